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
    private static final AioEngineOptions DEFAULTS = new AioEngineOptions(0, 0, 0, 0, 0, 0, 0);

    private final int queueDepth;
    private final int threads;
    private final int queueBound;
    private final int registeredFiles;
    private final int fixedBufferCount;
    private final int fixedBufferSize;
    private final int sqPollIdleMillis;

    private AioEngineOptions(int queueDepth, int threads, int queueBound, int registeredFiles, int fixedBufferCount,
            int fixedBufferSize, int sqPollIdleMillis) {
        this.sqPollIdleMillis = sqPollIdleMillis;
        this.queueDepth = queueDepth;
        this.threads = threads;
        this.queueBound = queueBound;
        this.registeredFiles = registeredFiles;
        this.fixedBufferCount = fixedBufferCount;
        this.fixedBufferSize = fixedBufferSize;
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
        return new AioEngineOptions(nonNegative("queueDepth", entries), threads, queueBound, registeredFiles,
                fixedBufferCount, fixedBufferSize, sqPollIdleMillis);
    }

    /**
     * threads: the number of I/O threads of the pool.
     *
     * @param count threads; 0 for the engine's default
     * @return new options with this value, the others unchanged
     * @throws IllegalArgumentException if negative
     */
    public AioEngineOptions withThreads(int count) {
        return new AioEngineOptions(queueDepth, nonNegative("threads", count), queueBound, registeredFiles,
                fixedBufferCount, fixedBufferSize, sqPollIdleMillis);
    }

    /**
     * threads: how many operations may wait for a thread before submitters are held back.
     *
     * @param operations the bound; 0 for the engine's default
     * @return new options with this value, the others unchanged
     * @throws IllegalArgumentException if negative
     */
    public AioEngineOptions withQueueBound(int operations) {
        return new AioEngineOptions(queueDepth, threads, nonNegative("queueBound", operations), registeredFiles,
                fixedBufferCount, fixedBufferSize, sqPollIdleMillis);
    }

    /**
     * io_uring: a table of {@code slots} registered files per ring ({@code IORING_REGISTER_FILES}).
     * A descriptor opened by {@link AioFile#open} gets a slot the first time an operation uses it
     * on a ring, and its operations then name the slot ({@code IOSQE_FIXED_FILE}), so the kernel
     * skips looking the descriptor up at each request. {@link AioFile#close()} empties the slot
     * before it closes the descriptor, so a number reused by the next {@code open} is never served
     * the old file. Raw descriptors, and any beyond a full table, go as usual. Opening the engine
     * fails, saying why, if the kernel refuses the table (more slots than {@code RLIMIT_NOFILE},
     * a security policy).
     *
     * {@snippet class=dev.jaio.examples.EngineExample region=registered}
     *
     * @param slots the table's size per ring; 0 for none (the default)
     * @return new options with this value, the others unchanged
     * @throws IllegalArgumentException if negative
     */
    public AioEngineOptions withRegisteredFiles(int slots) {
        return new AioEngineOptions(queueDepth, threads, queueBound, nonNegative("registeredFiles", slots),
                fixedBufferCount, fixedBufferSize, sqPollIdleMillis);
    }

    /**
     * io_uring: {@code count} buffers of {@code size} bytes, allocated by the engine, each
     * starting on a 4 KiB page (fit for {@link AioOpenOption#DIRECT}), and registered with every
     * ring ({@code IORING_REGISTER_BUFFERS}); {@link AioEngine#fixedBuffers()} hands them out. A
     * read or write whose buffer lies inside one of them goes as {@code IORING_OP_READ_FIXED} or
     * {@code WRITE_FIXED}: the kernel skips pinning the pages at each request. Any other buffer
     * goes as usual. The memory stays valid as long as a buffer is reachable, also after the
     * engine closed. Opening the engine fails, saying why and what to raise, if the kernel refuses
     * (registered buffers count against the locked-memory limit {@code RLIMIT_MEMLOCK}, once per
     * ring, unless the process has {@code CAP_IPC_LOCK}). Other engines ignore this option.
     *
     * @param count how many buffers, 1 to 16384 (1024 on kernels before 5.13); 0 for none (the default)
     * @param size the bytes of each buffer, 1 to 1 GiB; ignored when {@code count} is 0
     * @return new options with these values, the others unchanged
     * @throws IllegalArgumentException for a negative count, or a count with a size out of range
     */
    public AioEngineOptions withFixedBuffers(int count, int size) {
        nonNegative("fixedBuffers count", count);
        if (count > 16384 || (count > 0 && (size < 1 || size > (1 << 30)))) {
            throw new IllegalArgumentException("fixed buffers: 1 to 16384 buffers of 1 byte to 1 GiB each (the"
                    + " kernel's limits; 0 buffers for none), not " + count + " of " + size + " bytes");
        }
        return new AioEngineOptions(queueDepth, threads, queueBound, registeredFiles, count, count == 0 ? 0 : size,
                sqPollIdleMillis);
    }

    /**
     * io_uring: a kernel thread polls the submission queues ({@code IORING_SETUP_SQPOLL}), so a
     * submission is a store to memory and no system call while that thread is awake; after
     * {@code idleMillis} without work it sleeps, and the next submission wakes it with one
     * {@code io_uring_enter}. Every ring of the engine shares that one thread
     * ({@code IORING_SETUP_ATTACH_WQ}). It keeps a core busy while it polls: it pays where a
     * core is spare, and costs where there is none (see BENCHMARKS.md). Opening the engine
     * fails, saying why, where the kernel refuses it (before Linux 5.11 it needs privileges and
     * registered files).
     *
     * @param idleMillis how long the poller spins without work before it sleeps; 0 for no SQPOLL
     *        (the default)
     * @return new options with this value, the others unchanged
     * @throws IllegalArgumentException if negative
     */
    public AioEngineOptions withSqPoll(int idleMillis) {
        return new AioEngineOptions(queueDepth, threads, queueBound, registeredFiles, fixedBufferCount,
                fixedBufferSize, nonNegative("sqPoll idleMillis", idleMillis));
    }

    /**
     * The SQPOLL idle time asked for.
     *
     * @return milliseconds, 0 for no SQPOLL
     */
    public int sqPollIdleMillis() {
        return sqPollIdleMillis;
    }

    /**
     * The registered-file table's size asked for.
     *
     * @return slots per ring, 0 for none
     */
    public int registeredFiles() {
        return registeredFiles;
    }

    /**
     * The number of registered buffers asked for.
     *
     * @return buffers, 0 for none
     */
    public int fixedBufferCount() {
        return fixedBufferCount;
    }

    /**
     * The size of each registered buffer asked for.
     *
     * @return bytes, 0 when no buffers are asked for
     */
    public int fixedBufferSize() {
        return fixedBufferSize;
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
        return "AioEngineOptions[queueDepth=" + queueDepth + ", threads=" + threads + ", queueBound=" + queueBound
                + ", registeredFiles=" + registeredFiles + ", fixedBuffers=" + fixedBufferCount + "x" + fixedBufferSize
                + ", sqPollIdleMillis=" + sqPollIdleMillis + "]";
    }
}
