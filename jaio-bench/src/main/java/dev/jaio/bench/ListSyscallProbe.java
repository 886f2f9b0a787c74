package dev.jaio.bench;

import dev.jaio.AioBatch;
import dev.jaio.AioEngine;
import dev.jaio.AioFileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * Runs one benchmark's measured method outside JMH a fixed number of times, for counting system
 * calls or context switches per list with {@code strace -c -f} or {@code perf stat}:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp jaio-bench/target/benchmarks.jar \
 *     dev.jaio.bench.ListSyscallProbe ENGINE LISTS [FILE] [cached|direct-refill|direct-list|channel-batch]
 * </pre>
 * {@code cached} (the default) is benchmark 1, {@link LioWaitBenchmark#cachedRead()};
 * {@code direct-*} is {@link DirectReadBenchmark#directRead()} in that mode;
 * {@code channel-batch} is an {@link AioBatch} of 32 cached reads of random blocks on one
 * {@link AioFileChannel}, submitted and then joined read by read. Each list is 32 reads. Run it with {@code LISTS=0} and with {@code LISTS=N}: the difference of the two counts,
 * over {@code N}, is the count per list of 32, free of start-up and set-up.
 */
public final class ListSyscallProbe {
    private ListSyscallProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length > 4) {
            System.err.println("usage: ListSyscallProbe ENGINE LISTS [FILE] [cached|direct-refill|direct-list|channel-batch]"
                    + "   (ENGINE: io_uring, posix, threads)");
            System.exit(2);
        }
        String engine = args[0];
        long lists = Long.parseLong(args[1]);
        String file = args.length >= 3 ? args[2] : "";
        String kind = args.length == 4 ? args[3] : "cached";
        long t0;
        switch (kind) {
            case "cached" -> {
                LioWaitBenchmark bench = new LioWaitBenchmark();
                bench.engine = engine;
                bench.arena = "auto";
                bench.file = file;
                bench.open();
                t0 = System.nanoTime();
                try {
                    for (long i = 0; i < lists; i++) {
                        bench.cachedRead();
                    }
                } finally {
                    bench.close();
                }
            }
            case "direct-refill", "direct-list" -> {
                DirectReadBenchmark bench = new DirectReadBenchmark();
                bench.engine = engine;
                bench.file = file;
                bench.mode = kind.substring("direct-".length());
                bench.open();
                t0 = System.nanoTime();
                try {
                    for (long i = 0; i < lists; i++) {
                        bench.directRead();
                    }
                } finally {
                    bench.close();
                }
            }
            case "channel-batch" -> t0 = channelBatches(engine, file, lists);
            default -> {
                System.err.println("unknown kind " + kind + ": cached, direct-refill, direct-list or channel-batch");
                System.exit(2);
                return;
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "engine=%s kind=%s lists=%d reads=%d secs=%.3f IOPS=%.0f%n", engine, kind,
                lists, lists * BenchFiles.DEPTH, secs, lists * BenchFiles.DEPTH / secs);
    }

    /** {@code lists} batches of 32 cached reads on one channel; returns when the first began. */
    private static long channelBatches(String engineName, String file, long lists) throws Exception {
        Path p = BenchFiles.resolve(file);
        BenchFiles.warm(p);
        long blocks = BenchFiles.blocks(p);
        SplittableRandom rnd = new SplittableRandom(46);
        ByteBuffer[] buffers = new ByteBuffer[BenchFiles.DEPTH];
        long[] offsets = new long[BenchFiles.DEPTH];
        @SuppressWarnings("unchecked")
        CompletableFuture<Integer>[] reads = new CompletableFuture[BenchFiles.DEPTH];
        for (int k = 0; k < buffers.length; k++) {
            buffers[k] = ByteBuffer.allocateDirect(BenchFiles.BLOCK);
        }
        try (AioEngine engine = AioEngine.open(engineName);
             AioFileChannel channel = AioFileChannel.open(engine, p, StandardOpenOption.READ)) {
            long t0 = System.nanoTime();
            for (long i = 0; i < lists; i++) {
                AioBatch batch = channel.batch();
                for (int k = 0; k < reads.length; k++) {
                    offsets[k] = BenchFiles.randomOffset(rnd, blocks);
                    reads[k] = batch.read(channel, buffers[k].clear(), offsets[k]);
                }
                batch.submit();
                for (int k = 0; k < reads.length; k++) {
                    int n = reads[k].join();
                    if (n != BenchFiles.BLOCK) {
                        throw BenchFiles.shortRead(engineName + " batch read", offsets[k], n);
                    }
                }
            }
            return t0;
        }
    }
}
