package dev.jaio.testing;

import dev.jaio.AioEngine;
import dev.jaio.AioEngineOptions;

/**
 * The engines the contract suites run on, each with the options it is opened with and what it can
 * do where engines differ. A test consults these capabilities ({@code assumeTrue}, or a branch
 * for the two outcomes POSIX allows) instead of an engine's test class overriding the test; one
 * line here is the only place that says what an engine cannot do.
 *
 * <p>Used through {@link OnEngine} and {@link OneEnginePerClass}; immutable.
 */
public enum EngineUnderTest {
    /** glibc's POSIX AIO: no vectored I/O (glibc has no {@code aio_readv}); a read blocked on a pipe runs on a glibc thread. */
    POSIX("posix", AioEngineOptions.defaults(), false, false),
    /**
     * The thread pool, with 8 workers: more than the CPUs of a small machine, so that reads blocked
     * on pipes never hold every worker; a read blocked on a pipe runs on a worker.
     */
    THREADS("threads", AioEngineOptions.defaults().withThreads(8), true, false),
    /** io_uring: a read waiting on a pipe waits in the kernel (armed on the pipe's poll), where a cancel reaches it. */
    IO_URING("io_uring", AioEngineOptions.defaults(), true, true),
    /**
     * io_uring with a registered-file table (64 slots per ring) and 256 registered buffers of
     * 16 KiB, which {@code UringRegisteredContractTest} hands out as the suite's buffers.
     */
    IO_URING_REGISTERED("io_uring", AioEngineOptions.defaults().withRegisteredFiles(64).withFixedBuffers(256, 16384),
            true, true),
    /**
     * io_uring with a kernel poller thread that sleeps after 2 ms without work, so that
     * submissions find it asleep as often as awake.
     */
    IO_URING_SQPOLL("io_uring", AioEngineOptions.defaults().withSqPoll(2), true, true);

    private final String engineName;
    private final AioEngineOptions options;
    private final boolean supportsVectored;
    private final boolean cancelsWaitingPipeReads;

    EngineUnderTest(String engineName, AioEngineOptions options, boolean supportsVectored,
            boolean cancelsWaitingPipeReads) {
        this.engineName = engineName;
        this.options = options;
        this.supportsVectored = supportsVectored;
        this.cancelsWaitingPipeReads = cancelsWaitingPipeReads;
    }

    /**
     * The name {@link AioEngine#open(String, AioEngineOptions)} knows the engine by.
     *
     * @return {@code "posix"}, {@code "threads"} or {@code "io_uring"}
     */
    public String engineName() {
        return engineName;
    }

    /**
     * Opens a private instance of this engine with this constant's options.
     *
     * @return the engine, which the caller closes
     */
    public AioEngine open() {
        return AioEngine.open(engineName, options);
    }

    /**
     * Whether the engine does {@code AioReadv}/{@code AioWritev}; the posix engine refuses them.
     *
     * @return true for threads and io_uring
     */
    public boolean supportsVectored() {
        return supportsVectored;
    }

    /**
     * Whether a cancel reaches a read that waits for data on an empty pipe or FIFO. Only io_uring's
     * reads wait where a cancel can reach them; on the other engines such a read is a running
     * system call on a thread, which POSIX lets {@code aio_cancel} leave alone
     * ({@code AIO_NOTCANCELED}). (A read queued behind it is canceled on every engine.)
     *
     * @return true for io_uring
     */
    public boolean cancelsWaitingPipeReads() {
        return cancelsWaitingPipeReads;
    }

    /**
     * How many reads of one pipe the engine runs at once, each blocked in its own system call: 1
     * on every engine, since each keeps call order on descriptors without offsets, as POSIX asks.
     * The cancel tests first occupy that many with reads of an empty pipe, so that the next one is
     * really queued, which every engine must then cancel.
     *
     * @return 1
     */
    public int parallelOperationsPerDescriptor() {
        return 1;
    }
}
