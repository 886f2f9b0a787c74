package dev.jaio.internal.uring;

import dev.jaio.AioFsyncMode;
import dev.jaio.SigevNotify;
import dev.jaio.internal.OpKind;
import dev.jaio.internal.Operation;
import dev.jaio.internal.ffi.FileIo;
import dev.jaio.internal.ffi.IoUringAbi;
import dev.jaio.internal.ffi.Libc;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A control block of the io_uring engine: an index in the engine's table (with a generation it
 * makes the SQE's {@code user_data}, see {@link UserData}), its request as plain values
 * ({@link UringRequest}) and, for vectored operations, an iovec array in C memory. It holds data;
 * the engine fills SQEs and reaps. Nothing is allocated per submission.
 */
final class UringOperation extends Operation {
    private final UringEngine engine;
    /** Index in the engine's table, for the whole life of the block. */
    final int index;
    /** This block's request, described anew at each submission. */
    private final UringRequest request = new UringRequest();
    /** Incremented at each submission; a CQE whose generation differs is not this submission's. */
    int generation;
    /** True from the SQE's submission to the reaping of its CQE: the kernel may use the buffers. */
    volatile boolean inKernel;
    /** The user asked to cancel this submission (so an ECANCELED completion is the answer). */
    volatile boolean cancelRequested;
    /**
     * The number of a write or fsync in the order they were queued, engine-wide (see
     * {@code UringEngine#writeSequence}): what an fsync must wait for. Volatile: an fsync reads
     * the writes' numbers without their ring's lock.
     */
    volatile long sequence;
    /**
     * The ring the current (or last) submission went to, set before {@link #inKernel}: its
     * completion comes there, and a cancel request must go there.
     */
    volatile EngineRing ring;
    /**
     * Whether the current submission keeps call order ({@link #inCallOrder()}), asked by the
     * submitting thread before it takes any lock.
     */
    boolean ordered;
    /**
     * This submission heads its descriptor's lane (see {@code UringEngine}): its end, whichever
     * way it comes, hands the lane on. Set under the engine's order lock; cleared once, by whoever ends
     * the submission (under the reap lock for a completion, else under a lock of the engine).
     */
    volatile boolean laneHead;
    /**
     * This submission waits in its ring's {@link EngineRing#incoming} stack for the ring's combiner
     * (see {@code UringEngine#submitCombined}): accepted, not yet in the kernel. Set by the
     * submitter, cleared by the combiner once the operation has its SQE.
     */
    volatile boolean gathered;
    /** The next operation in {@link EngineRing#incoming}; written before the push, read by the combiner. */
    UringOperation nextIncoming;
    /** This submission waits in its descriptor's lane and has not reached the kernel. Under the engine's order lock. */
    boolean laneWaiting;
    private MemorySegment iovecs;

    UringOperation(UringEngine engine, OpKind kind, int fd, int priority, AioFsyncMode mode, SigevNotify notify) {
        super(engine, kind, fd, priority, mode, notify);
        this.engine = engine;
        this.index = engine.register(this);
    }

    /** The {@code user_data} of the current submission: see {@link UserData}. */
    long userData() {
        return UserData.ofOperation(index, generation);
    }

    /**
     * Starts a new submission (a new generation, no cancel asked yet) and describes it as a plain
     * request, in this block's own {@link UringRequest} (nothing allocated). Called by the
     * submitting thread before it fills the SQE.
     */
    UringRequest nextRequest() {
        generation++;
        cancelRequested = false;
        return switch (kind) {
            case READ -> inFixedBuffer(request.read(fd, transferable(ioBuffer()), offset));
            case WRITE -> inFixedBuffer(request.write(fd, transferable(ioBuffer()), offset));
            case READV -> request.readv(fd, fillIovecs(), buffers.length, offset);
            case WRITEV -> request.writev(fd, fillIovecs(), buffers.length, offset);
            // io_uring starts an fsync at once, unordered with earlier writes; the engine submits
            // it only once the writes it must cover have completed (UringEngine#deferFsync).
            case FSYNC -> request.fsync(fd, fsyncMode == AioFsyncMode.O_DSYNC ? IoUringAbi.IORING_FSYNC_DATASYNC : 0);
        };
    }

    /** {@code plain} as READ_FIXED/WRITE_FIXED when its buffer lies in one of the engine's registered buffers. */
    private UringRequest inFixedBuffer(UringRequest plain) {
        int index = engine.fixedBufferIndex(ioBuffer());
        return index < 0 ? plain : plain.inFixedBuffer(index);
    }

    /**
     * Linux moves at most {@code MAX_RW_COUNT} ({@code INT_MAX & PAGE_MASK}, 0x7ffff000 with 4 KiB
     * pages) bytes per read or write (read(2): "transfers at most 0x7ffff000 bytes"); the other
     * engines get that cut from the kernel. An SQE's {@code len} is a {@code __u32}, so a buffer
     * over 4 GiB - 1 would not fit at all: cut it here to what read(2) would transfer, and the
     * operation returns the same short count as on the other engines. (The slice is made only
     * for such buffers.)
     */
    static final long MAX_RW_COUNT = 0x7FFF_F000L;

    private static MemorySegment transferable(MemorySegment buffer) {
        return buffer.byteSize() <= MAX_RW_COUNT ? buffer : buffer.asSlice(0, MAX_RW_COUNT);
    }

    private MemorySegment fillIovecs() {
        int n = buffers.length;
        if (iovecs == null || iovecs.byteSize() < n * FileIo.IOVEC_SIZE) {
            if (iovecs != null) {
                Libc.free(iovecs);
            }
            iovecs = Libc.calloc(n * FileIo.IOVEC_SIZE);
        }
        for (int i = 0; i < n; i++) {
            iovecs.set(ValueLayout.ADDRESS, i * FileIo.IOVEC_SIZE + FileIo.IOV_BASE, ioBuffer(i));
            iovecs.set(ValueLayout.JAVA_LONG, i * FileIo.IOVEC_SIZE + FileIo.IOV_LEN, ioBuffer(i).byteSize());
        }
        return iovecs;
    }

    @Override
    protected int startSingle() {
        return engine.submitOne(this);
    }

    @Override
    protected int startSingleDeferrable() {
        return engine.submitOneDeferrable(this);
    }

    @Override
    public void flushDeferred() {
        engine.flushDeferredFor(this);
    }

    @Override
    public boolean mayBeDeferred() {
        if (gathered) {
            return true;
        }
        EngineRing r = ring;
        // Not in the kernel: perhaps an fsync held back for a write deferred on some ring.
        return inKernel && r != null ? r.deferred > 0 : engine.anyDeferred();
    }

    @Override
    protected long pollNative() {
        long r = storedResult();
        if (r == PENDING) {
            engine.reapFor(this);
            r = storedResult();
        }
        return r;
    }

    @Override
    protected int cancelNative() {
        return engine.cancel(this);
    }

    @Override
    protected void freeNative() {
        engine.unregister(this);
        if (iovecs != null) {
            Libc.free(iovecs);
            iovecs = null;
        }
    }
}
