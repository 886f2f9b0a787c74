package dev.jaio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.AioEngineOptions;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing of {@code jaio bench}'s options: every option, its suffixes, its defaults, its errors. */
class BenchOptionsTest {

    private static BenchOptions parse(String... args) throws UsageException {
        return BenchOptions.parse(List.of(args));
    }

    private static String refused(String... args) {
        UsageException e = assertThrows(UsageException.class, () -> parse(args), String.join(" ", args));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void defaultsAreTheReadmeDefaults() throws UsageException {
        BenchOptions o = parse();
        assertEquals(BenchOptions.Rw.RANDREAD, o.rw());
        assertEquals(50, o.rwmixread());
        assertEquals(4096, o.bs());
        assertEquals(32, o.iodepth());
        assertEquals(32, o.batchAt(o.iodepth()), "one list of the whole depth");
        assertEquals(256L << 20, o.size());
        assertEquals(3_000_000_000L, o.runtimeNanos());
        assertEquals(1_000_000_000L, o.rampNanos());
        assertEquals(1, o.numjobs());
        assertFalse(o.direct());
        assertFalse(o.directGiven(), "the file system decides (DirectIoDefault)");
        assertEquals(0, o.fsync());
        assertNull(o.filename());
        assertEquals(List.of(), o.engines(), "empty: every engine that works, then the baselines");
        assertEquals(1, o.seed());
        assertFalse(o.json());
        assertFalse(o.compare());
        assertEquals(List.of(1, 8, 32, 128), o.depths());
        assertEquals(Path.of("jaio-compare.svg"), o.chart());
        assertFalse(o.fio());
        assertEquals(1, o.rounds());
        assertEquals(o, BenchOptions.defaults());
    }

    @Test
    void ioUringOptionsReachTheEngineAndFio() throws UsageException {
        BenchOptions none = parse();
        assertEquals(BenchOptions.RingOptions.NONE, none.ring());
        assertEquals(List.of(), none.ring().fioFlags());
        assertEquals(AioEngineOptions.defaults().toString(), none.ring().engineOptions(1, 32, 4096).toString());

        BenchOptions o = parse("--registerfiles", "1", "--fixedbufs=1", "--sqpoll", "1", "--numjobs", "2");
        assertEquals(new BenchOptions.RingOptions(true, true, true), o.ring());
        assertEquals(List.of("--registerfiles=1", "--fixedbufs=1", "--sqthread_poll=1"), o.ring().fioFlags());
        AioEngineOptions e = o.ring().engineOptions(2, 32, 4096);
        assertEquals(64, e.fixedBufferCount(), "depth buffers per job");
        assertEquals(4096, e.fixedBufferSize());
        assertTrue(e.registeredFiles() >= 2, "a slot per job's descriptor");
        assertEquals(1000, e.sqPollIdleMillis(), "the kernel's default idle, as fio leaves it");
        assertEquals(0, parse("--fixedbufs", "0").ring().engineOptions(1, 32, 4096).fixedBufferCount());
        assertTrue(refused("--sqpoll", "2").contains("--sqpoll"));
    }

    @Test
    void fioRoundsAndAGivenDirectAreRead() throws UsageException {
        BenchOptions o = parse("--fio", "--rounds", "3", "--direct", "0");
        assertTrue(o.fio());
        assertEquals(3, o.rounds());
        assertFalse(o.direct());
        assertTrue(o.directGiven(), "--direct 0 is a choice, not the default");
        assertEquals(5, parse("--rounds=5").rounds());
        BenchOptions chosen = parse().withDirect(true);
        assertTrue(chosen.direct());
        assertFalse(chosen.directGiven());
        assertEquals(parse().withDirect(false), parse());
        assertTrue(refused("--fio=1").contains("--fio takes no value"));
        assertTrue(refused("--rounds", "0").contains("--rounds must be from 1 to 99, got 0"));
        assertTrue(refused("--rounds", "100").contains("--rounds must be from 1 to 99"));
        assertTrue(refused("--rounds").contains("option --rounds needs a value"));
    }

    @Test
    void everyOptionIsRead() throws UsageException {
        BenchOptions o = parse("--rw", "randrw", "--rwmixread", "70", "--bs", "64k", "--iodepth", "16",
                "--iodepth-batch", "4", "--size", "1g", "--runtime", "500ms", "--ramp", "2s", "--numjobs", "2",
                "--direct", "1", "--fsync", "32", "--filename", "/tmp/x.dat", "--engine", "posix,afc,threads",
                "--seed", "0x10", "--json", "--fio", "--rounds", "2");
        assertEquals(BenchOptions.Rw.RANDRW, o.rw());
        assertEquals(70, o.rwmixread());
        assertEquals(65536, o.bs());
        assertEquals(16, o.iodepth());
        assertEquals(4, o.batchAt(16));
        assertEquals(1L << 30, o.size());
        assertEquals(500_000_000L, o.runtimeNanos());
        assertEquals(2_000_000_000L, o.rampNanos());
        assertEquals(2, o.numjobs());
        assertTrue(o.direct());
        assertEquals(32, o.fsync());
        assertEquals(Path.of("/tmp/x.dat"), o.filename());
        assertEquals(List.of("posix", "afc", "threads"), o.engines());
        assertEquals(16, o.seed());
        assertTrue(o.json());
        assertTrue(o.fio());
        assertEquals(2, o.rounds());
    }

    @Test
    void valuesMayFollowAnEqualsSignAndFioUnderscores() throws UsageException {
        BenchOptions o = parse("--bs=1m", "--iodepth_batch=8", "--rw=write", "--compare", "--depths=32,1,8,8",
                "--chart=out.svg");
        assertEquals(1 << 20, o.bs());
        assertEquals(8, o.iodepthBatch());
        assertEquals(BenchOptions.Rw.WRITE, o.rw());
        assertTrue(o.compare());
        assertEquals(List.of(1, 8, 32), o.depths(), "sorted, without duplicates");
        assertEquals(Path.of("out.svg"), o.chart());
        assertEquals(1, o.batchAt(1), "--compare caps the batch at each depth");
        assertEquals(8, o.batchAt(32));
    }

    @Test
    void sizeSuffixesArePowersOf1024() throws UsageException {
        assertEquals(512, BenchOptions.sizeIn("--bs", "512", 1, Long.MAX_VALUE));
        assertEquals(4096, BenchOptions.sizeIn("--bs", "4k", 1, Long.MAX_VALUE));
        assertEquals(4096, BenchOptions.sizeIn("--bs", "4K", 1, Long.MAX_VALUE));
        assertEquals(4096, BenchOptions.sizeIn("--bs", "4KiB", 1, Long.MAX_VALUE));
        assertEquals(64L << 20, BenchOptions.sizeIn("--size", "64m", 1, Long.MAX_VALUE));
        assertEquals(3L << 30, BenchOptions.sizeIn("--size", "3g", 1, Long.MAX_VALUE));
        assertEquals(2L << 40, BenchOptions.sizeIn("--size", "2t", 1, Long.MAX_VALUE));
    }

    @Test
    void durationsAreSecondsUnlessTheySayOtherwise() throws UsageException {
        assertEquals(3_000_000_000L, BenchOptions.duration("--runtime", "3", false));
        assertEquals(300_000_000L, BenchOptions.duration("--runtime", "0.3", false));
        assertEquals(500_000_000L, BenchOptions.duration("--runtime", "500ms", false));
        assertEquals(2_000_000_000L, BenchOptions.duration("--runtime", "2s", false));
        assertEquals(60_000_000_000L, BenchOptions.duration("--runtime", "1m", false));
        assertEquals(0, BenchOptions.duration("--ramp", "0", true));
    }

    @Test
    void badValuesAreOneClearLine() {
        assertTrue(refused("--engine", "io_uring,nope").contains("unknown engine 'nope'"));
        assertTrue(refused("--bs", "3000", "--direct", "1").contains("power of two"));
        assertTrue(refused("--bs", "1001").contains("multiple of 8"));
        assertTrue(refused("--size", "1k").contains("smaller than one block"));
        assertTrue(refused("--iodepth", "0").contains("--iodepth must be from 1"));
        assertTrue(refused("--numjobs", "0").contains("--numjobs must be from 1"));
        assertTrue(refused("--frobnicate", "1").contains("unknown option '--frobnicate'"));
        assertTrue(refused("--bs", "4q").contains("bad size '4q'"));
        assertTrue(refused("--iodepth", "many").contains("bad number 'many'"));
        assertTrue(refused("--seed", "x").contains("bad number 'x'"));
        assertTrue(refused("--runtime", "soon").contains("bad duration 'soon'"));
        assertTrue(refused("--runtime", "0").contains("at least 1ms"));
        assertTrue(refused("--rw", "sideways").contains("bad --rw 'sideways'"));
        assertTrue(refused("--direct", "2").contains("--direct must be from 0 to 1"));
        assertTrue(refused("--rwmixread", "101").contains("--rwmixread must be from 0 to 100"));
        assertTrue(refused("--iodepth", "4", "--iodepth-batch", "8").contains("larger than --iodepth"));
        assertTrue(refused("--size", "99999999999t").contains("too large"));
        assertTrue(refused("--bs").contains("needs a value"));
        assertTrue(refused("--json=yes").contains("takes no value"));
        assertTrue(refused("--depths", "1,8").contains("goes with --compare"));
        assertTrue(refused("--chart", "x.svg").contains("goes with --compare"));
        assertTrue(refused("--compare", "--depths", "1,0").contains("--depths must be from 1"));
        assertTrue(refused("extra").contains("options only"));
        assertTrue(refused("--filename", "").contains("empty"));
    }

    @Test
    void humanForms() {
        assertEquals("4 KiB", BenchOptions.bytes(4096));
        assertEquals("256 MiB", BenchOptions.bytes(256L << 20));
        assertEquals("1.5 KiB", BenchOptions.bytes(1536));
        assertEquals("100 B", BenchOptions.bytes(100));
        assertEquals("3 s", BenchOptions.seconds(3_000_000_000L));
        assertEquals("500 ms", BenchOptions.seconds(500_000_000L));
        assertEquals("1.5 s", BenchOptions.seconds(1_500_000_000L));
    }
}
