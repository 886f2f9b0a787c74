package dev.jaio.cli;

/**
 * Which block a job reads or writes next: sequential from the job's own starting point
 * ({@code rw=read|write}; job {@code j} of {@code n} starts at block {@code j * blocks / n} and
 * wraps around), or uniformly random from a seeded generator (the random kinds; the same seed
 * gives the same offsets). For {@code randrw} it also draws whether the next operation writes.
 *
 * <p>Used by one thread at a time; allocates nothing.
 */
final class BlockPicker {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final long blocks;
    private final boolean random;
    private long cursor;
    private long state;

    /**
     * @param stream tells apart the pickers of one run (the job, and in {@code afc} the slot)
     */
    BlockPicker(long blocks, boolean random, long seed, long stream, int job, int jobs) {
        this.blocks = blocks;
        this.random = random;
        this.cursor = blocks * job / jobs;
        this.state = mix(seed * GOLDEN + stream * 0xD1B54A32D192ED03L + 1);
    }

    /** The next block, in {@code [0, blocks)}. */
    long next() {
        if (random) {
            return Math.unsignedMultiplyHigh(nextLong(), blocks);
        }
        long b = cursor;
        cursor = b + 1 == blocks ? 0 : b + 1;
        return b;
    }

    /** Whether the next operation of a mixed run writes: with probability {@code 100 - readPercent} %. */
    boolean nextWrites(int readPercent) {
        return Math.unsignedMultiplyHigh(nextLong(), 100) >= readPercent;
    }

    /** SplitMix64: a counter scrambled by the finalizer. */
    private long nextLong() {
        state += GOLDEN;
        return mix(state);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
