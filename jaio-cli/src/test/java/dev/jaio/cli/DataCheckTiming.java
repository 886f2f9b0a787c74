package dev.jaio.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times {@link DataPattern#firstMismatch} against the word-by-word loop it replaced (a compare and
 * a branch per word, kept here as {@link #wordByWordBefore}), in one JVM, rounds interleaved, and
 * prints the nanoseconds per check and the median of the per-round ratios. Not a JUnit test (the
 * surefire run does not pick it up): a {@code main}, because {@link DataPattern} is package-private
 * and the JMH module may use jaio's public API only.
 *
 * <pre>
 * ./mvnw -B -q -pl jaio-cli -am test-compile
 * java -cp jaio-cli/target/classes:jaio-cli/target/test-classes dev.jaio.cli.DataCheckTiming [bs [rounds]]
 * </pre>
 *
 * <p>As in {@code jaio bench}, the JIT first sees checks of slices of a confined arena's chunk on
 * the main thread (the check of an existing file), then the timed checks run on another thread,
 * each of one of 32 page-aligned buffers of an automatic arena (a job's: 128 KiB at 4 KiB blocks,
 * in the L2 cache as a buffer the kernel has just copied a cached read into), filled at random
 * block offsets. Two cases: one generation allowed (a read-only run) and two (a run that writes;
 * the words hold the second).
 */
final class DataCheckTiming {
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final long LOW56 = (1L << 56) - 1;
    private static final int BUFFERS = 32;
    private static final int CHECKS_PER_ROUND = 400_000;

    private DataCheckTiming() {
    }

    /** The check as it was before the fold: each word compared and branched on, per page one key. */
    static long wordByWordBefore(DataPattern pattern, MemorySegment buf, long offset, long length, int genA,
            int genB) {
        long a = (long) genA << 56;
        long b = (long) genB << 56;
        long pos = 0;
        while (pos < length) {
            long at = offset + pos;
            long pageEnd = Math.min(length, pos + DataPattern.PAGE - (at & (DataPattern.PAGE - 1)));
            long key = pattern.word(at, 0) - at + offset; // the old loop's key (pageKey + offset), mod 2^56
            for (; pos < pageEnd; pos += 8) {
                long x = buf.get(WORD, pos) ^ ((key + pos) & LOW56);
                if (x != a && x != b) {
                    return offset + pos;
                }
            }
        }
        return -1;
    }

    public static void main(String[] args) throws InterruptedException {
        int bs = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        DataPattern pattern = new DataPattern(1);
        checkLikeTheFileCheck(pattern, bs);
        Thread job = new Thread(() -> timeLikeAJob(pattern, bs, rounds), "job");
        job.start();
        job.join();
    }

    /**
     * What {@link BenchFile} does first when it adopts an existing file: checks slices of a chunk
     * of a confined arena, on the main thread, with both checks. The JIT sees these first.
     */
    private static void checkLikeTheFileCheck(DataPattern pattern, int bs) {
        int chunk = Math.max(bs, (1 << 20) / bs * bs);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(chunk, DataPattern.PAGE);
            for (long at = 0; at < 64L << 20; at += chunk) {
                pattern.fill(seg, at, chunk, 0);
                for (int i = 0; i < chunk; i += bs) {
                    if (pattern.firstMismatch(seg.asSlice(i, bs), at + i, bs, 0, 0) >= 0
                            || wordByWordBefore(pattern, seg.asSlice(i, bs), at + i, bs, 0, 0) >= 0) {
                        throw new AssertionError("the fill fails the check at " + (at + i));
                    }
                }
            }
        }
    }

    /** The timed checks, on another thread, of buffers of an automatic arena (as {@link JaioJob}'s). */
    private static void timeLikeAJob(DataPattern pattern, int bs, int rounds) {
        SplittableRandom random = new SplittableRandom(7);
        MemorySegment[] buffers = new MemorySegment[BUFFERS];
        long[] offsets = new long[BUFFERS];
        Arena arena = Arena.ofAuto();
        for (int i = 0; i < BUFFERS; i++) {
            buffers[i] = arena.allocate(bs, DataPattern.PAGE);
            offsets[i] = (long) random.nextInt(65536) * bs;
            pattern.fill(buffers[i], offsets[i], bs, 3);
        }
        System.out.printf(Locale.ROOT, "ns per check of %d bytes, %d checks per round, %d rounds after 2 of warm-up%n",
                bs, CHECKS_PER_ROUND, rounds);
        for (int[] gens : new int[][] {{3, 3}, {0, 3}}) {
            double[] before = new double[rounds];
            double[] after = new double[rounds];
            double[] ratio = new double[rounds];
            for (int round = -2; round < rounds; round++) {
                double b = time(pattern, buffers, offsets, bs, gens, true);
                double a = time(pattern, buffers, offsets, bs, gens, false);
                if (round >= 0) {
                    before[round] = b;
                    after[round] = a;
                    ratio[round] = b / a;
                }
            }
            System.out.printf(Locale.ROOT, "generations %d/%d: word by word %.1f ns, folded %.1f ns, median of the"
                    + " per-round ratios %.2fx (rounds: %s)%n", gens[0], gens[1], median(before), median(after),
                    median(ratio), Arrays.toString(Arrays.stream(ratio).map(r -> Math.round(r * 100) / 100.0).toArray()));
        }
    }

    private static double time(DataPattern pattern, MemorySegment[] buffers, long[] offsets, int bs, int[] gens,
            boolean before) {
        long bad = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < CHECKS_PER_ROUND; i++) {
            int j = i & (BUFFERS - 1);
            bad += before ? wordByWordBefore(pattern, buffers[j], offsets[j], bs, gens[0], gens[1])
                    : pattern.firstMismatch(buffers[j], offsets[j], bs, gens[0], gens[1]);
        }
        long t = System.nanoTime() - t0;
        if (bad != -CHECKS_PER_ROUND) {
            throw new AssertionError("a check found a wrong word in a buffer that holds the pattern");
        }
        return (double) t / CHECKS_PER_ROUND;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
