package dev.jaio.reliability;

import dev.jaio.AioEngine;
import dev.jaio.AioFile;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.SigevNotify;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The native-memory check, in its own JVM (started by {@link NativeMemoryTest} with Native Memory
 * Tracking on and a heap that is fully committed from the start, so that only native memory can
 * move the resident size): warms every engine up, measures, runs a soak of {@code ops} operations
 * per engine plus thousands of blocks created and closed or dropped and engines opened and
 * closed, measures again, and compares.
 *
 * <p>Three measures, each after a full GC, a pause for cleaners and idle libc threads, and
 * {@code malloc_trim}: the C heap in use ({@code mallinfo2}: every {@code malloc} of the
 * process, jaio's aiocbs and iovecs, FFM arenas, the JVM's own), the JVM's committed native
 * memory (NMT, {@code jcmd VM.native_memory summary}), and the resident set size
 * ({@code VmRSS}); plus open descriptors and threads. Prints {@code MEMORY-*} lines; exits 0
 * when every growth is within its bound, 1 otherwise.
 *
 * <p>Arguments: {@code ops-per-engine engine...}.
 */
public final class NativeMemoryRun {
    /** Bounds on growth from the warmed-up baseline to the end. */
    static final long MAX_MALLOC_GROWTH = 4L << 20, MAX_NMT_GROWTH = 16L << 20, MAX_RSS_GROWTH = 48L << 20;
    static final int MAX_FD_GROWTH = 4, MAX_THREAD_GROWTH = 4;

    private NativeMemoryRun() {
    }

    /** One measurement. */
    record Sample(long mallocInUse, long nmtCommitted, long rss, int fds, int threads) {
        String describe() {
            return String.format(java.util.Locale.ROOT, "malloc in use %,d KiB, NMT committed %,d KiB, VmRSS %,d KiB,"
                    + " %d descriptors, %d threads", mallocInUse >> 10, nmtCommitted >> 10, rss >> 10, fds, threads);
        }
    }

    public static void main(String[] args) throws Exception {
        long ops = Long.parseLong(args[0]);
        List<String> engines = List.of(args).subList(1, args.length);
        Path dir = Files.createTempDirectory("jaio-memory-");
        try {
            long t0 = System.nanoTime();
            long warmOps = 0;
            for (String e : engines) {
                warmOps += workload(e, dir, Math.min(ops, 20_000), 1);
            }
            Sample before = settleAndMeasure();
            System.out.println("MEMORY-BEFORE " + before.describe() + " (after " + warmOps + " warm-up operations)");
            String beforeFds = fdTargets();
            long total = 0;
            for (String e : engines) {
                long n = workload(e, dir, ops, 7);
                total += n;
                System.out.println("MEMORY-ENGINE " + e + " " + n + " operations");
            }
            Sample after = settleAndMeasure();
            System.out.println("MEMORY-AFTER " + after.describe());
            System.out.println("MEMORY-FDS-BEFORE " + beforeFds);
            System.out.println("MEMORY-FDS-AFTER " + fdTargets());
            long dm = after.mallocInUse - before.mallocInUse;
            long dn = after.nmtCommitted - before.nmtCommitted;
            long dr = after.rss - before.rss;
            int df = after.fds - before.fds;
            int dt = after.threads - before.threads;
            boolean ok = dm <= MAX_MALLOC_GROWTH && dn <= MAX_NMT_GROWTH && dr <= MAX_RSS_GROWTH && df <= MAX_FD_GROWTH
                    && dt <= MAX_THREAD_GROWTH;
            System.out.printf(java.util.Locale.ROOT, "MEMORY-SUMMARY operations=%d malloc-growth=%d nmt-growth=%d"
                            + " rss-growth=%d fd-growth=%d thread-growth=%d malloc-bytes-per-op=%.4f seconds=%d verdict=%s%n",
                    total, dm, dn, dr, df, dt, (double) dm / Math.max(1, total),
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0), ok ? "within-bounds" : "LEAK");
            System.out.flush();
            Runtime.getRuntime().halt(ok ? 0 : 1);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /**
     * A soak of {@code ops} on a private engine, then blocks created and closed or dropped by the
     * thousand, and engines opened and closed: every way jaio allocates. Returns the operations.
     */
    private static long workload(String name, Path dir, long ops, long seed) throws Exception {
        long done;
        try (AioEngine engine = AioEngine.open(name)) {
            Soak.Result r = Soak.run(engine, dir.resolve("soak-" + name), new Soak.Settings(ops, 4, 1024, 4096, seed));
            if (!r.clean()) {
                throw new AssertionError(r.summary() + "\n" + r.problems());
            }
            done = r.operations();
            try (AioFile f = AioFile.tempfile(); Arena arena = Arena.ofShared()) {
                for (int i = 0; i < 5_000; i++) {
                    AioRead read = new AioRead(engine, f.fd(), 0, arena.allocate(16), 0, SigevNotify.none());
                    AioWrite write = AioWrite.of(engine, f.fd(), 0, new byte[16], 0, SigevNotify.none());
                    if (i % 2 == 0) {
                        read.close();
                        write.close();
                    } // else dropped: the cleaner frees them
                }
            }
        }
        for (int i = 0; i < 10; i++) {
            try (AioEngine e = AioEngine.open(name); AioFile f = AioFile.tempfile()) {
                AioWrite w = AioWrite.of(e, f.fd(), 0, new byte[512], 0, SigevNotify.none());
                dev.jaio.Aio.lioListio(dev.jaio.LioMode.LIO_WAIT, List.of(w), SigevNotify.none());
                w.aioReturn();
                w.close();
                done++;
            }
        }
        return done;
    }

    private static Sample settleAndMeasure() throws IOException, InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(300); // cleaners free dropped blocks
        }
        Thread.sleep(2000); // glibc's idle AIO threads leave after 1 s
        LinuxCalls.mallocTrim();
        return new Sample(LinuxCalls.mallocInUse(), nmtCommitted(), statusKiB("VmRSS") << 10, count("/proc/self/fd"),
                count("/proc/self/task"));
    }

    /** What each open descriptor is, for the report when their number grew. */
    private static String fdTargets() throws IOException {
        List<String> out = new ArrayList<>();
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : s.sorted().toList()) {
                try {
                    out.add(p.getFileName() + "->" + Files.readSymbolicLink(p));
                } catch (IOException gone) {
                    // the descriptor of the listing itself
                }
            }
        }
        return out.toString();
    }

    private static int count(String dir) throws IOException {
        try (var s = Files.list(Path.of(dir))) {
            return (int) s.count();
        }
    }

    private static long statusKiB(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(key + ":")) {
                return Long.parseLong(line.replaceAll("\\D+", ""));
            }
        }
        return -1;
    }

    /** NMT's total committed bytes, from {@code jcmd <pid> VM.native_memory summary}; -1 without NMT. */
    private static long nmtCommitted() throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        List<String> cmd = new ArrayList<>(List.of(jcmd.toString(), Long.toString(ProcessHandle.current().pid()),
                "VM.native_memory", "summary"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        Matcher m = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB").matcher(out);
        return m.find() ? Long.parseLong(m.group(2)) << 10 : -1;
    }
}
