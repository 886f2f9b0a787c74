package dev.jaio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jaio.AioProbe;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code jaio bench} as a user meets it: short real runs (a 256 KiB file, a fraction of a second
 * per engine), its JSON, its refusals, and the data check failing a run when an engine returns
 * wrong bytes (played by {@link Bench.ReadTamper}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BenchTest {
    /** A small, quick run: every test adds its own engines and options. */
    private static final List<String> QUICK = List.of("--size", "256k", "--runtime", "0.3", "--ramp", "0",
            "--iodepth", "4", "--direct", "0");

    @TempDir
    Path dir;

    private record Outcome(int status, String out, String err) {
        @Override
        public String toString() {
            return "status " + status + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    private static Outcome bench(Bench bench, List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            List<String> all = new ArrayList<>(List.of("bench"));
            all.addAll(args);
            if (bench == null) {
                status = Main.run(all.toArray(String[]::new), o, e);
            } else {
                try {
                    status = bench.run(args, o, e);
                } catch (UsageException u) {
                    e.println("jaio: " + u.getMessage());
                    status = Main.EXIT_USAGE;
                }
            }
        }
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Outcome bench(String... args) {
        List<String> all = new ArrayList<>(QUICK);
        all.addAll(List.of(args));
        return bench(null, all);
    }

    @Test
    void aShortRealRunOfTwoEnginesPrintsTheTable() {
        Outcome r = bench("--engine", "threads,filechannel");
        assertEquals(Main.EXIT_OK, r.status(), r::toString);
        assertEquals("", r.err());
        assertTrue(r.out().startsWith("jaio bench: randread, bs 4 KiB, 256 KiB file, buffered, 1 job"), r::toString);
        List<String> rows = r.out().lines().filter(l -> l.startsWith("threads ") || l.startsWith("filechannel "))
                .toList();
        assertEquals(2, rows.size(), r::toString);
        assertTrue(rows.get(0).endsWith("1.00x"), "the first engine is the reference: " + rows.get(0));
        assertTrue(r.out().contains("vs threads"), r::toString);
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("data check: ") && l.endsWith(": all correct")),
                r::toString);
        assertTrue(Files.notExists(Path.of(System.getProperty("java.io.tmpdir")).resolve("jaio-bench-x.dat")));
    }

    @Test
    void jsonHasEveryFieldAndOnlyJson() {
        Outcome r = bench("--engine", "posix,afc", "--json", "--iodepth-batch", "2");
        assertEquals(Main.EXIT_OK, r.status(), r::toString);
        assertEquals("", r.err());
        Map<?, ?> doc = assertInstanceOf(Map.class, JsonReader.parse(r.out()), "one JSON document, nothing else");
        assertEquals("bench", doc.get("command"));
        Map<?, ?> machine = assertInstanceOf(Map.class, doc.get("machine"));
        assertInstanceOf(String.class, machine.get("kernel"));
        assertInstanceOf(Double.class, machine.get("cpus"));
        assertTrue(machine.containsKey("default_engine") && machine.containsKey("libc") && machine.containsKey("java"));
        Map<?, ?> job = assertInstanceOf(Map.class, doc.get("job"));
        assertEquals("randread", job.get("rw"));
        assertEquals(4096.0, job.get("bs"));
        assertEquals(4.0, job.get("iodepth"));
        assertEquals(2.0, job.get("iodepth_batch"));
        assertEquals(262144.0, job.get("size"));
        assertEquals(0.3, job.get("runtime_s"));
        for (String k : List.of("rwmixread", "ramp_s", "numjobs", "direct", "fsync", "seed")) {
            assertInstanceOf(Double.class, job.get(k), k);
        }
        assertNull(job.get("filename"), "a temporary file");
        assertInstanceOf(List.class, doc.get("skipped"));
        List<?> results = assertInstanceOf(List.class, doc.get("results"));
        assertEquals(2, results.size());
        for (Object o : results) {
            Map<?, ?> res = assertInstanceOf(Map.class, o);
            for (String k : List.of("iodepth", "ios", "seconds", "iops", "mib_s", "lat_p50_us", "lat_p99_us",
                    "lat_p99_9_us", "lat_max_us", "cpu_cores", "ratio", "fsyncs", "reads_checked", "blocks_written")) {
                Object v = res.get(k);
                assertInstanceOf(Double.class, v, k + " in " + res);
                assertTrue((Double) v >= 0, k + " in " + res);
            }
            assertTrue((Double) res.get("ios") > 0, res::toString);
            assertTrue((Double) res.get("lat_p50_us") <= (Double) res.get("lat_p99_us"), res::toString);
            assertTrue((Double) res.get("lat_p99_us") <= (Double) res.get("lat_max_us"), res::toString);
        }
        assertEquals("posix", ((Map<?, ?>) results.get(0)).get("engine"));
        assertEquals("LIO_NOWAIT", ((Map<?, ?>) results.get(0)).get("lio_mode"));
        assertEquals(1.0, ((Map<?, ?>) results.get(0)).get("ratio"));
        assertEquals("afc", ((Map<?, ?>) results.get(1)).get("engine"));
        assertNull(((Map<?, ?>) results.get(1)).get("lio_mode"));
        assertEquals("ok", doc.get("data_check"));
    }

    @Test
    void writesAreReadBackAndKeptFilesStayVerifiable() {
        Path file = dir.resolve("bench.dat");
        Outcome w = bench("--engine", "io_uring,threads,afc", "--rw", "randrw", "--fsync", "8", "--filename",
                file.toString(), "--numjobs", "2");
        assertEquals(Main.EXIT_OK, w.status(), w::toString);
        assertTrue(w.out().contains("written blocks as written: all correct"), w::toString);
        assertTrue(Files.exists(file), "a given file is kept");
        // Another run over the same file, with another block size, still checks every read.
        Outcome r = bench("--engine", "posix,filechannel", "--rw", "read", "--bs", "8k", "--filename", file.toString());
        assertEquals(Main.EXIT_OK, r.status(), r::toString);
        assertTrue(r.out().contains("reads compared word for word"), r::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "posix", "threads", "filechannel", "afc"})
    void anEngineThatReadsWrongBytesFailsTheRun(String engine) {
        long target = 3 * 4096;
        AtomicLong seen = new AtomicLong();
        Bench lying = new Bench((contender, buf, offset) -> {
            if (offset == target) {
                seen.incrementAndGet();
                buf.set(ValueLayout.JAVA_LONG_UNALIGNED, 16, buf.get(ValueLayout.JAVA_LONG_UNALIGNED, 16) ^ 1);
            }
        });
        // 64 blocks, read in turn: block 3 comes at once.
        List<String> args = new ArrayList<>(QUICK);
        args.addAll(List.of("--engine", engine, "--rw", "read"));
        Outcome r = bench(lying, args);
        assertTrue(seen.get() > 0, "the read of block 3 happened");
        assertEquals(Main.EXIT_FAILED, r.status(), r::toString);
        assertEquals(1, r.err().lines().count(), r::toString);
        assertTrue(r.err().startsWith("jaio bench: data check failed: " + engine + " read wrong bytes at offset "
                + (target + 16) + " "), r::toString);
        assertFalse(r.out().contains("all correct"), r::toString);
    }

    @Test
    void aWriteThatDidNotHappenFailsTheCheckAfterTheRun() throws Exception {
        BenchOptions o = BenchOptions.parse(List.of("--size", "64k", "--rw", "randwrite", "--filename",
                dir.resolve("w.dat").toString()));
        try (BenchFile f = BenchFile.prepare(o)) {
            f.fill(BenchFile.Meter.NONE);
            f.newGeneration();
            f.markWritten(5);
            BenchFile.DataCheckFailure e = assertThrows(BenchFile.DataCheckFailure.class,
                    () -> f.checkWrites("liar", BenchFile.Meter.NONE));
            assertTrue(e.getMessage().contains("after the writes of liar: the file holds wrong bytes at offset "
                    + 5 * 4096 + " (block 5, which the run wrote)"), e.getMessage());
            assertTrue(e.getMessage().contains("stale or lost data"), e.getMessage());
        }
    }

    @Test
    void aFileWithOtherDataIsNeverOverwritten() throws Exception {
        Path other = dir.resolve("notes.txt");
        Files.writeString(other, "someone's notes\n");
        Outcome r = bench("--engine", "threads", "--rw", "randwrite", "--filename", other.toString());
        assertUsageError(r, "holds data bench did not write (at offset 0");
        assertEquals("someone's notes\n", Files.readString(other));
        Outcome seed = bench("--engine", "threads", "--filename", dir.resolve("s.dat").toString());
        assertEquals(Main.EXIT_OK, seed.status(), seed::toString);
        assertUsageError(bench("--engine", "threads", "--seed", "7", "--filename", dir.resolve("s.dat").toString()),
                "another --seed than 7");
    }

    private static int lineOf(String out, String start) {
        List<String> lines = out.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).stripLeading().startsWith(start)) {
                return i;
            }
        }
        throw new AssertionError("no line starts with '" + start + "' in:\n" + out);
    }

    /** The header comes first, then the fill with its progress; a run that wrote reads the file back with progress. */
    @Test
    void theHeaderComesBeforeTheFillAndLongPassesShowProgress() {
        Outcome r = bench("--engine", "threads", "--rw", "randwrite", "--filename", dir.resolve("p.dat").toString());
        assertEquals(Main.EXIT_OK, r.status(), r::toString);
        int header = lineOf(r.out(), "jaio bench: randwrite");
        int meaning = lineOf(r.out(), "page cache (--direct 0): ");
        int fill = lineOf(r.out(), "filling the file: 256 KiB of 256 KiB (100%)");
        int readBack = lineOf(r.out(), "reading the file back after threads: 256 KiB of 256 KiB (100%)");
        int table = lineOf(r.out(), "engine ");
        assertTrue(header < meaning && meaning < fill && fill < readBack && readBack < table, r::toString);
    }

    /**
     * Without --direct, bench measures O_DIRECT where the file system has it (as jaio probe
     * tells), the page cache elsewhere, and says which and why.
     */
    @Test
    void theDefaultMeasuresODirectWhereTheFileSystemHasIt() throws Exception {
        Optional<AioProbe.DirectIoAlignment> a = AioProbe.directIoAlignment(dir);
        boolean direct = a.isPresent() && a.get().offsetAlignment() > 0 && 4096 % a.get().offsetAlignment() == 0;
        Outcome r = bench(null, List.of("--size", "256k", "--runtime", "0.2", "--ramp", "0", "--iodepth", "4",
                "--engine", "threads", "--filename", dir.resolve("d.dat").toString()));
        assertEquals(Main.EXIT_OK, r.status(), r::toString);
        assertTrue(r.out().startsWith("jaio bench: randread, bs 4 KiB, 256 KiB file, "
                + (direct ? "O_DIRECT" : "buffered") + ", 1 job"), r::toString);
        lineOf(r.out(), (direct ? "O_DIRECT" : "page cache") + " (the default: ");
        Outcome json = bench(null, List.of("--size", "256k", "--runtime", "0.1", "--ramp", "0", "--engine", "threads",
                "--filename", dir.resolve("d.dat").toString(), "--json"));
        Map<?, ?> job = assertInstanceOf(Map.class, ((Map<?, ?>) JsonReader.parse(json.out())).get("job"));
        assertEquals(direct ? 1.0 : 0.0, job.get("direct"));
        assertTrue(((String) job.get("direct_chosen_by")).startsWith("default: "), job::toString);
    }

    /**
     * --fio runs fio in turn with each round on a file of its own: a row of its own, jaio's ratio
     * to it beside each engine; bench's file keeps bench's pattern, and fio leaves nothing behind.
     */
    @Test
    void fioRunsInTurnOnItsOwnFile() throws Exception {
        assumeTrue(FioRun.locate(System.getenv("PATH")).isPresent(), "fio is not installed");
        Path file = dir.resolve("b.dat");
        Outcome r = bench("--engine", "threads,filechannel", "--fio", "--rounds", "2", "--filename", file.toString());
        assertEquals(Main.EXIT_OK, r.status(), r::toString);
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("engine ") && l.endsWith("vs fio")), r::toString);
        List<String> rows = r.out().lines().filter(l -> l.matches("(threads|filechannel|fio) .*")).toList();
        assertEquals(3, rows.size(), "the medians of 2 rounds, then fio's: " + r);
        assertTrue(rows.get(2).startsWith("fio ") && rows.get(2).endsWith("1.00x"), r::toString);
        assertTrue(rows.get(0).matches(".*\\d\\.\\d\\dx +\\d+\\.\\d\\dx"), "two ratios: " + rows.get(0));
        assertEquals(2, r.out().lines().filter(l -> l.contains("fio io_uring (round ")).count(), r::toString);
        String asRun = r.out().lines().filter(l -> l.startsWith("fio, as run: ")).findFirst().orElseThrow();
        assertFalse(asRun.contains("--filename=" + file + " "), asRun);
        assertTrue(asRun.contains("--filename=" + dir.resolve("jaio-bench-fio-")), asRun);
        try (var left = Files.list(dir)) {
            assertEquals(List.of(file), left.toList(), "fio's directory is gone");
        }
        // bench's file still holds bench's pattern: adopting it checks every word.
        Outcome again = bench("--engine", "threads", "--filename", file.toString(), "--json", "--fio");
        assertEquals(Main.EXIT_OK, again.status(), again::toString);
        Map<?, ?> doc = assertInstanceOf(Map.class, JsonReader.parse(again.out()));
        Map<?, ?> fio = assertInstanceOf(Map.class, doc.get("fio"));
        assertEquals(Boolean.TRUE, fio.get("installed"));
        assertEquals(1, assertInstanceOf(List.class, fio.get("results")).size());
        Map<?, ?> threads = assertInstanceOf(Map.class, ((List<?>) doc.get("results")).getFirst());
        assertTrue((Double) threads.get("fio_ratio") > 0, threads::toString);
    }

    /** --numjobs N: N job threads, each doing (and checking) its own reads, on every kind of contender. */
    @Test
    void eachJobRunsOnAThreadOfItsOwn() {
        Map<String, java.util.Set<String>> threads = new java.util.concurrent.ConcurrentHashMap<>();
        Bench watching = new Bench((contender, buf, offset) -> threads
                .computeIfAbsent(contender, k -> java.util.concurrent.ConcurrentHashMap.newKeySet())
                .add(Thread.currentThread().getName()));
        List<String> args = new ArrayList<>(QUICK);
        args.addAll(List.of("--engine", "threads,posix,filechannel", "--numjobs", "3"));
        Outcome r = bench(watching, args);
        assertEquals(Main.EXIT_OK, r.status(), r::toString);
        for (String contender : List.of("threads", "posix", "filechannel")) {
            assertEquals(java.util.Set.of("jaio-bench-" + contender + "-0", "jaio-bench-" + contender + "-1",
                    "jaio-bench-" + contender + "-2"), threads.get(contender), contender);
        }
    }

    @Test
    void withoutFioBenchSaysHowToGetItAndMeasuresTheRest() {
        List<String> args = new ArrayList<>(QUICK);
        args.addAll(List.of("--engine", "threads", "--fio"));
        Outcome r = bench(new Bench(null, dir.toString()), args);
        assertEquals(Main.EXIT_OK, r.status(), r::toString);
        assertEquals(1, r.out().lines().filter(l -> l.equals(FioRun.NOT_INSTALLED)).count(), r::toString);
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("threads ")), r::toString);
        assertFalse(r.out().contains("vs fio"), r::toString);
    }

    @Test
    void badCommandLinesAreOneLineAndStatusTwo() throws Exception {
        assertUsageError(bench("--engine", "nope"), "unknown engine 'nope'");
        assertUsageError(bench("--bs", "3000", "--direct", "1"), "must be a power of two");
        assertUsageError(bench("--size", "1k"), "smaller than one block");
        assertUsageError(bench("--iodepth", "0"), "--iodepth must be from 1");
        assertUsageError(bench("--frobnicate"), "unknown option '--frobnicate'");
        assertUsageError(bench("--iodepth", "lots"), "bad number 'lots'");
        assertUsageError(bench("--filename", dir.resolve("no/such/dir/f.dat").toString()), "does not exist");
        assertUsageError(bench("--filename", dir.toString()), "is not a regular file");
        assertUsageError(bench("--compare", "--chart", dir.resolve("no/such/c.svg").toString()), "cannot write --chart");
        Path readOnly = Files.createDirectory(dir.resolve("ro"));
        assertTrue(readOnly.toFile().setWritable(false, false));
        try {
            // Root may write anywhere but in sysfs.
            Path denied = Files.isWritable(readOnly) ? Path.of("/sys/jaio-bench-test.dat") : readOnly.resolve("f.dat");
            if (Files.isDirectory(denied.getParent())) {
                assertUsageError(bench("--filename", denied.toString()), "cannot create --filename " + denied
                        + ": permission denied");
            }
        } finally {
            assertTrue(readOnly.toFile().setWritable(true, false));
        }
    }

    @Test
    void compareSweepsTheDepthsAndDrawsAWellFormedChart() throws Exception {
        Path chart = dir.resolve("c.svg");
        Outcome r = bench("--engine", "threads,filechannel,afc", "--compare", "--depths", "1,4", "--runtime", "0.15",
                "--chart", chart.toString());
        assertEquals(Main.EXIT_OK, r.status(), r::toString);
        assertEquals(2, r.out().lines().filter(l -> l.startsWith("threads ")).count(), r::toString);
        assertEquals(1, r.out().lines().filter(l -> l.startsWith("filechannel ")).count(), "no depth, measured once");
        assertEquals(2, r.out().lines().filter(l -> l.startsWith("afc ")).count(), r::toString);
        assertTrue(r.out().contains("chart: " + chart), r::toString);
        String svg = Files.readString(chart);
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new java.io.ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals("svg", doc.getDocumentElement().getTagName());
        assertEquals(2, doc.getElementsByTagName("polyline").getLength(), "threads and afc; filechannel is a line");
        assertTrue(svg.contains(">threads<") && svg.contains(">afc<") && svg.contains(">filechannel (no depth)<"), svg);
        assertTrue(svg.contains("IOPS") && svg.contains("iodepth") && svg.contains("randread"), svg);
    }

    @Test
    void probeTellsWhatWorksHere() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"probe", "--json"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(Main.EXIT_OK, status, err::toString);
        Map<?, ?> doc = assertInstanceOf(Map.class, JsonReader.parse(out.toString(StandardCharsets.UTF_8)));
        List<?> engines = assertInstanceOf(List.class, doc.get("engines"));
        assertEquals(3, engines.size());
        for (Object e : engines) {
            Map<?, ?> m = assertInstanceOf(Map.class, e);
            assertInstanceOf(String.class, m.get("name"));
            assertInstanceOf(Boolean.class, m.get("works"));
            if (!(Boolean) m.get("works")) {
                assertInstanceOf(String.class, m.get("reason"));
            }
        }
        assertInstanceOf(List.class, doc.get("io_uring_opcodes"));
        assertInstanceOf(Map.class, doc.get("direct_io"));
        assertInstanceOf(Map.class, doc.get("native_access"));
        assertInstanceOf(String.class, doc.get("kernel"));
        assertEquals(20.0, doc.get("aio_prio_delta_max"));

        ByteArrayOutputStream text = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_OK, Main.run(new String[] {"probe", dir.toString()},
                new PrintStream(text, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
        String t = text.toString(StandardCharsets.UTF_8);
        assertTrue(t.contains("O_DIRECT on " + dir), t);
        assertTrue(t.contains("libc: ") && t.contains("AIO_PRIO_DELTA_MAX: ") && t.contains("native access: "), t);
        ByteArrayOutputStream bad = new ByteArrayOutputStream();
        assertEquals(Main.EXIT_USAGE, Main.run(new String[] {"probe", dir.resolve("missing").toString()},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(bad, true, StandardCharsets.UTF_8)));
        assertEquals(1, bad.toString(StandardCharsets.UTF_8).lines().count());
    }

    private static void assertUsageError(Outcome r, String expected) {
        assertEquals(Main.EXIT_USAGE, r.status(), r::toString);
        assertEquals("", r.out(), r::toString);
        assertEquals(1, r.err().lines().count(), () -> "one line expected on stderr, got:\n" + r.err());
        assertTrue(r.err().startsWith("jaio: ") && r.err().contains(expected), r::toString);
    }
}
