package dev.jaio;

/**
 * Options of {@link AioEngine#open(String, AioEngineOptions)}. Zero means "the engine's default,
 * suited to this machine"; an engine ignores options that mean nothing to it.
 *
 * {@snippet class=dev.jaio.examples.EngineExample region=own-engine}
 *
 * <p>Immutable.
 */
public final class AioEngineOptions {
    private static final AioEngineOptions DEFAULTS = new AioEngineOptions(0, 0, 0);

    private final int queueDepth;
    private final int threads;
    private final int queueBound;

    private AioEngineOptions(int queueDepth, int threads, int queueBound) {
        this.queueDepth = queueDepth;
        this.threads = threads;
        this.queueBound = queueBound;
    }

    /**
     * Every option at the engine's default.
     *
     * @return the options with every value 0
     */
    public static AioEngineOptions defaults() {
        return DEFAULTS;
    }

    /**
     * io_uring: submission-queue entries (a power of two is used, at least this many).
     *
     * @param entries the ring's size; 0 for the engine's default
     * @return new options with this value, the others unchanged
     * @throws IllegalArgumentException if negative
     */
    public AioEngineOptions withQueueDepth(int entries) {
        return new AioEngineOptions(nonNegative("queueDepth", entries), threads, queueBound);
    }

    /**
     * threads: the number of I/O threads of the pool.
     *
     * @param count threads; 0 for the engine's default
     * @return new options with this value, the others unchanged
     * @throws IllegalArgumentException if negative
     */
    public AioEngineOptions withThreads(int count) {
        return new AioEngineOptions(queueDepth, nonNegative("threads", count), queueBound);
    }

    /**
     * threads: how many operations may wait for a thread before submitters are held back.
     *
     * @param operations the bound; 0 for the engine's default
     * @return new options with this value, the others unchanged
     * @throws IllegalArgumentException if negative
     */
    public AioEngineOptions withQueueBound(int operations) {
        return new AioEngineOptions(queueDepth, threads, nonNegative("queueBound", operations));
    }

    /**
     * The io_uring queue depth asked for.
     *
     * @return submission-queue entries, 0 for the engine's default
     */
    public int queueDepth() {
        return queueDepth;
    }

    /**
     * The number of pool threads asked for.
     *
     * @return threads of the threads engine, 0 for the engine's default
     */
    public int threads() {
        return threads;
    }

    /**
     * The bound on operations waiting for a pool thread.
     *
     * @return the bound, 0 for the engine's default
     */
    public int queueBound() {
        return queueBound;
    }

    private static int nonNegative(String what, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " must be >= 0 (0: the engine's default), not " + value);
        }
        return value;
    }

    @Override
    public String toString() {
        return "AioEngineOptions[queueDepth=" + queueDepth + ", threads=" + threads + ", queueBound=" + queueBound + "]";
    }
}
