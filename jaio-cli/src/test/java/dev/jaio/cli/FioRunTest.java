package dev.jaio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jaio bench --fio} without running fio: the command it gives fio, the reading of fio's
 * JSON (two reports recorded from fio 3.33 on this project's machine, in the test resources), and
 * its refusal to let fio write over a file it did not make.
 */
class FioRunTest {
    @TempDir
    Path dir;

    private static BenchOptions parse(String... args) throws UsageException {
        return BenchOptions.parse(List.of(args));
    }

    private static String recorded(String name) throws IOException {
        try (InputStream in = FioRunTest.class.getResourceAsStream(name)) {
            assertTrue(in != null, name + " is in the test resources");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void theCommandIsBenchsJobInFiosWords() throws UsageException {
        BenchOptions o = parse("--rw", "randrw", "--rwmixread", "70", "--bs", "8k", "--size", "1m", "--iodepth", "32",
                "--iodepth-batch", "8", "--numjobs", "2", "--direct", "1", "--fsync", "16", "--runtime", "2",
                "--ramp", "500ms");
        Path file = dir.resolve("fio.dat");
        List<String> c = FioRun.command("fio", o, 32, file, dir.resolve("fio.json"));
        assertEquals(List.of("fio", "--name=jaio", "--filename=" + file, "--size=1048576", "--rw=randrw",
                "--rwmixread=70", "--bs=8192", "--direct=1", "--ioengine=io_uring", "--iodepth=32",
                "--iodepth_batch_submit=8", "--iodepth_batch_complete_min=1", "--fsync=16", "--numjobs=2",
                "--time_based", "--runtime=2", "--ramp_time=500ms", "--norandommap", "--randrepeat=0",
                "--group_reporting", "--lat_percentiles=1", "--output-format=json", "--output=" + dir.resolve("fio.json")),
                c);
        // Cached reads in one list of the whole depth, as bench's LIO_WAIT lists.
        List<String> cached = FioRun.command("fio", parse("--direct", "0", "--size", "64k"), 4, file,
                dir.resolve("o.json"));
        assertTrue(cached.containsAll(List.of("--rw=randread", "--direct=0", "--invalidate=0", "--iodepth=4",
                "--iodepth_batch_submit=4", "--iodepth_batch_complete_min=4", "--numjobs=1")), cached::toString);
        assertFalse(cached.stream().anyMatch(a -> a.startsWith("--fsync") || a.startsWith("--rwmixread")),
                cached::toString);
        assertFalse(cached.stream().anyMatch(a -> a.startsWith("--registerfiles") || a.startsWith("--fixedbufs")
                || a.startsWith("--sqthread_poll")), cached::toString);
        // bench's io_uring options, in fio's words, before the job's end.
        List<String> ring = FioRun.command("fio", parse("--registerfiles", "1", "--fixedbufs", "1", "--sqpoll", "1"),
                32, file, dir.resolve("r.json"));
        int at = ring.indexOf("--registerfiles=1");
        assertEquals(List.of("--registerfiles=1", "--fixedbufs=1", "--sqthread_poll=1"), ring.subList(at, at + 3),
                ring::toString);
    }

    @Test
    void aRecordedReportOfTwoJobsIsRead() throws Exception {
        FioRun.Result r = FioRun.parse(recorded("fio-3.33-randread-2jobs.json"), 32, 2);
        assertEquals(32, r.depth());
        assertEquals(179621.13659, r.iops(), 1e-6);
        assertEquals(735728175 / 1048576.0, r.mibPerSecond(), 1e-9);
        assertEquals(42.752, r.p50Micros(), 1e-9);
        assertEquals(24772.608, r.p999Micros(), 1e-9);
        assertEquals(41543.541, r.maxMicros(), 1e-9);
        assertTrue(r.p50Micros() <= r.p99Micros() && r.p99Micros() <= r.p999Micros(), r::toString);
        assertEquals((1.747379 + 24.912631) / 100 * 2, r.cpuCores(), 1e-9, "fio gives CPU per job");
    }

    @Test
    void readsAndWritesAreAddedAndTheLongestLatencyOfEitherKept() throws Exception {
        FioRun.Result r = FioRun.parse(recorded("fio-3.33-randrw-direct.json"), 8, 1);
        assertEquals(7803.196803 + 7613.386613, r.iops(), 1e-6);
        assertEquals(63146325 / 1048576.0, r.mibPerSecond(), 1e-9);
        assertEquals(136.192, r.p50Micros(), 1e-9, "the reads' percentiles");
        assertEquals(64476.611, r.maxMicros(), 1e-9, "the writes' maximum, above the reads'");
    }

    @Test
    void whatIsNotAFioReportIsOneClearLine() throws Exception {
        assertTrue(assertThrows(FioRun.Failure.class, () -> FioRun.parse("fio: engine io_uring not loadable", 1, 1))
                .getMessage().startsWith("fio's report is not JSON"));
        assertTrue(assertThrows(FioRun.Failure.class, () -> FioRun.parse("{\"jobs\": []}", 1, 1))
                .getMessage().startsWith("fio's report does not have the shape"));
        String withoutPercentiles = recorded("fio-3.33-randread-2jobs.json").replace("\"percentile\"", "\"pct\"");
        assertTrue(assertThrows(FioRun.Failure.class, () -> FioRun.parse(withoutPercentiles, 32, 2))
                .getMessage().contains("--lat_percentiles=1"));
    }

    /**
     * fio lays out its file itself, writing over whatever is there: a file at its place that
     * this run did not make (here: put there after the run chose the place) stops it before fio
     * starts, and stays as it was. fio's place is never bench's file, and goes at the end.
     */
    @Test
    void fioNeverWritesOverAFileItDidNotMake() throws Exception {
        Path benchFile = dir.resolve("bench.dat");
        Files.writeString(benchFile, "bench's data");
        Path fioDir;
        // The fio program is never started: true(1) stands in, so that a start would be harmless.
        try (FioRun run = new FioRun(Path.of("/bin/true"), parse("--size", "64k"), dir)) {
            assertNotEquals(benchFile, run.file());
            fioDir = run.file().getParent();
            assertEquals(dir, fioDir.getParent(), "beside bench's file, on its file system");
            assertFalse(Files.exists(run.file()), "fio's file is new");
            Files.writeString(run.file(), "someone's notes");
            FioRun.Failure refused = assertThrows(FioRun.Failure.class, () -> run.measure(4));
            assertTrue(refused.getMessage().startsWith("refusing to run fio: its file " + run.file() + " exists"),
                    refused.getMessage());
            assertEquals("someone's notes", Files.readString(run.file()));
            assertFalse(Files.exists(fioDir.resolve("fio.json")), "fio did not run");
        }
        assertEquals("someone's notes", Files.readString(fioDir.resolve("fio.dat")), "not removed either");
        assertEquals("bench's data", Files.readString(benchFile));
        try (FioRun run = new FioRun(Path.of("/bin/true"), parse("--size", "64k"), dir)) {
            fioDir = run.file().getParent();
        }
        assertFalse(Files.exists(fioDir), "fio's directory goes at the end");
    }

    @Test
    void fioIsLookedForInThePath() throws IOException {
        assertEquals(Optional.empty(), FioRun.locate(null));
        assertEquals(Optional.empty(), FioRun.locate(dir.toString()));
        Path fake = dir.resolve("fio");
        Files.writeString(fake, "#!/bin/sh\n");
        assertEquals(Optional.empty(), FioRun.locate(dir.toString()), "not executable");
        assertTrue(fake.toFile().setExecutable(true));
        assertEquals(Optional.of(fake), FioRun.locate("/nonexistent:" + dir));
        assertTrue(FioRun.NOT_INSTALLED.contains("apt-get install fio"));
    }
}
