package dev.jaio.bench;

import java.util.Locale;

/**
 * Runs one benchmark's measured method outside JMH a fixed number of times, for counting system
 * calls or context switches per list with {@code strace -c -f} or {@code perf stat}:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp jaio-bench/target/benchmarks.jar \
 *     dev.jaio.bench.ListSyscallProbe ENGINE LISTS [FILE] [cached|direct-refill|direct-list]
 * </pre>
 * {@code cached} (the default) is benchmark 1, {@link LioWaitBenchmark#cachedRead()};
 * {@code direct-*} is {@link DirectReadBenchmark#directRead()} in that mode. Each list is 32
 * reads. Run it with {@code LISTS=0} and with {@code LISTS=N}: the difference of the two counts,
 * over {@code N}, is the count per list of 32, free of start-up and set-up.
 */
public final class ListSyscallProbe {
    private ListSyscallProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length > 4) {
            System.err.println("usage: ListSyscallProbe ENGINE LISTS [FILE] [cached|direct-refill|direct-list]"
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
            default -> {
                System.err.println("unknown kind " + kind + ": cached, direct-refill or direct-list");
                System.exit(2);
                return;
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "engine=%s kind=%s lists=%d reads=%d secs=%.3f IOPS=%.0f%n", engine, kind,
                lists, lists * BenchFiles.DEPTH, secs, lists * BenchFiles.DEPTH / secs);
    }
}
