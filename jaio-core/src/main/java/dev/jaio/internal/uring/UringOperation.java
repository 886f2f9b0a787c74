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
 * A control block of the io_uring engine: a slot in the engine's table (its index and a
 * generation make the SQE's {@code user_data}) and, for vectored operations, an iovec array in C
 * memory. Nothing is allocated per submission.
 */
final class UringOperation extends Operation {
    private final UringEngine engine;
    /** Index in the engine's table, for the whole life of the block. */
    final int slot;
    /** Incremented at each submission; a CQE whose generation differs is not this submission's. */
    int generation;
    /** True from the SQE's submission to the reaping of its CQE: the kernel may use the buffers. */
    volatile boolean inKernel;
    /** The user asked to cancel this submission (so an ECANCELED completion is the answer). */
    volatile boolean cancelRequested;
    /** Order of submission, engine-wide (under the submit lock): what an fsync must wait for. */
    long sequence;
    /**
     * Whether the current submission keeps call order ({@link #inCallOrder()}), asked by the
     * submitting thread before it takes the submit lock.
     */
    boolean ordered;
    /**
     * This submission heads its descriptor's lane (see {@code UringEngine}): its end, whichever
     * way it comes, hands the lane on. Set under the submit lock; cleared once, by whoever ends
     * the submission (under the reap lock for a completion, else under the submit lock).
     */
    volatile boolean laneHead;
    /** This submission waits in its descriptor's lane and has not reached the kernel. Under the submit lock. */
    boolean laneWaiting;
    private MemorySegment iovecs;

    UringOperation(UringEngine engine, OpKind kind, int fd, int priority, AioFsyncMode mode, SigevNotify notify) {
        super(engine, kind, fd, priority, mode, notify);
        this.engine = engine;
        this.slot = engine.register(this);
    }

    /** The {@code user_data} of the current submission: generation (31 bits) and slot. */
    long userData() {
        return ((long) (generation & 0x7FFF_FFFF) << 32) | slot;
    }

    /** Fills SQE {@code sqe} for this operation's current request. Under the engine's submit lock. */
    void prepare(SubmissionQueue sq, int sqe) {
        generation++;
        cancelRequested = false;
        long ud = userData();
        switch (kind) {
            case READ -> sq.prepareRead(sqe, fd, transferable(ioBuffer()), offset, ud);
            case WRITE -> sq.prepareWrite(sqe, fd, transferable(ioBuffer()), offset, ud);
            case READV -> sq.prepareReadv(sqe, fd, fillIovecs(), buffers.length, offset, ud);
            case WRITEV -> sq.prepareWritev(sqe, fd, fillIovecs(), buffers.length, offset, ud);
            // io_uring starts an fsync at once, unordered with earlier writes; the engine submits
            // it only once the writes it must cover have completed (UringEngine#submitFsync).
            case FSYNC -> sq.prepareFsync(sqe, fd, fsyncMode == AioFsyncMode.O_DSYNC
                    ? IoUringAbi.IORING_FSYNC_DATASYNC : 0, ud);
        }
        inKernel = true;
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
    protected long pollNative() {
        long r = storedResult();
        if (r == PENDING) {
            engine.reapNow();
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
