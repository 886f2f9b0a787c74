package dev.jaio.bench;

import dev.jaio.Aio;
import dev.jaio.AioEngine;
import dev.jaio.AioFile;
import dev.jaio.AioRead;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.stream.LongStream;

/**
 * Benchmark 1's work ({@link LioWaitBenchmark#cachedRead()}: lists of 32 random 4 KiB reads with
 * {@code LIO_WAIT}) done a fixed number of times by {@code JOBS} threads sharing one engine, each
 * with its own descriptor and blocks, as {@code jaio bench --numjobs} does. For measuring the CPU
 * a read costs with {@code perf stat -e task-clock}, independent of how long the run took:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp jaio-bench/target/benchmarks.jar \
 *     dev.jaio.bench.ListCostProbe ENGINE LISTS JOBS FILE
 * </pre>
 * Run it with {@code LISTS=0} and with {@code LISTS=N}: the difference of the two CPU times over
 * {@code N * JOBS * 32} is the CPU per read, start-up, set-up and the JIT's first compilations
 * left out; the probe also prints the CPU time of the job threads alone per read (all of it, and
 * its user part: the JIT's and the garbage collector's threads left out). Each job first does {@value #WARM_LISTS} lists that are not counted, so that LISTS=0
 * still compiles the hot path.
 */
public final class ListCostProbe {
    /** Lists each job does before the counted ones, in both runs (the JIT's warm-up). */
    static final int WARM_LISTS = 20_000;

    private ListCostProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: ListCostProbe ENGINE LISTS JOBS FILE   (ENGINE: io_uring, posix, threads)");
            System.exit(2);
        }
        String engineName = args[0];
        long lists = Long.parseLong(args[1]);
        int jobs = Integer.parseInt(args[2]);
        Path path = BenchFiles.resolve(args[3]);
        BenchFiles.warm(path);
        long fileBlocks = BenchFiles.blocks(path);
        CyclicBarrier start = new CyclicBarrier(jobs + 1);
        CyclicBarrier end = new CyclicBarrier(jobs + 1);
        Throwable[] failures = new Throwable[jobs];
        long[] cpuNanos = new long[jobs];
        long[] userNanos = new long[jobs];
        try (AioEngine engine = AioEngine.open(engineName)) {
            Thread[] threads = new Thread[jobs];
            for (int j = 0; j < jobs; j++) {
                int job = j;
                threads[j] = new Thread(() -> {
                    try {
                        runJob(engine, path, fileBlocks, job, lists, start, end, cpuNanos, userNanos);
                    } catch (Throwable t) {
                        failures[job] = t;
                        start.reset();
                        end.reset();
                    }
                }, "job-" + j);
                threads[j].start();
            }
            start.await();
            long t0 = System.nanoTime();
            end.await();
            double secs = (System.nanoTime() - t0) / 1e9;
            for (Thread t : threads) {
                t.join();
            }
            for (Throwable f : failures) {
                if (f != null) {
                    throw new IOException("a job failed", f);
                }
            }
            long reads = lists * jobs * BenchFiles.DEPTH;
            double perRead = reads == 0 ? 0 : 1.0 / reads;
            System.out.printf(Locale.ROOT, "engine=%s jobs=%d lists=%d reads=%d secs=%.3f IOPS=%.0f"
                    + " jobThreadCpuNsPerRead=%.0f jobThreadUserNsPerRead=%.0f%n", engineName, jobs, lists, reads,
                    secs, reads / secs, LongStream.of(cpuNanos).sum() * perRead,
                    LongStream.of(userNanos).sum() * perRead);
        }
    }

    private static void runJob(AioEngine engine, Path path, long fileBlocks, int job, long lists,
                               CyclicBarrier start, CyclicBarrier end, long[] cpuNanos, long[] userNanos)
            throws Exception {
        SplittableRandom rnd = new SplittableRandom(42 + job);
        SigevNotify none = SigevNotify.none();
        try (AioFile file = AioFile.open(path, StandardOpenOption.READ)) {
            Arena arena = Arena.ofAuto();
            AioRead[] reads = new AioRead[BenchFiles.DEPTH];
            for (int i = 0; i < reads.length; i++) {
                MemorySegment buf = arena.allocate(BenchFiles.BLOCK, BenchFiles.BLOCK);
                reads[i] = new AioRead(engine, file.fd(), 0, buf, 0, none);
            }
            List<AioRead> all = List.of(reads);
            try {
                oneList(reads, all, none, rnd, fileBlocks, WARM_LISTS);
                ThreadMXBean threads = ManagementFactory.getThreadMXBean();
                start.await();
                long cpu0 = threads.getCurrentThreadCpuTime();
                long user0 = threads.getCurrentThreadUserTime();
                oneList(reads, all, none, rnd, fileBlocks, lists);
                cpuNanos[job] = threads.getCurrentThreadCpuTime() - cpu0;
                userNanos[job] = threads.getCurrentThreadUserTime() - user0;
                end.await();
            } finally {
                for (AioRead r : reads) {
                    r.close();
                }
            }
        }
    }

    private static void oneList(AioRead[] reads, List<AioRead> all, SigevNotify none, SplittableRandom rnd,
                                long fileBlocks, long count) throws IOException {
        for (long n = 0; n < count; n++) {
            for (AioRead r : reads) {
                r.setOffset(BenchFiles.randomOffset(rnd, fileBlocks));
            }
            Aio.lioListio(LioMode.LIO_WAIT, all, none);
            for (AioRead r : reads) {
                ReadBlocks.finish(r);
            }
        }
    }
}
