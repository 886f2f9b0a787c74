package dev.jaio;

import dev.jaio.internal.AbstractEngine;
import dev.jaio.internal.Cleaners;
import dev.jaio.internal.OpKind;
import dev.jaio.internal.Operation;
import dev.jaio.internal.OperationAccess;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.Objects;

/**
 * What the five control-block classes share: the link to the engine's {@link Operation}, which
 * keeps the life cycle, and the checks on buffers. Every method ends with a reachability fence,
 * so the block cannot be found unreachable (and its operation freed by the cleaner) while one of
 * its own methods still uses the operation.
 */
abstract sealed class ControlBlock permits AioRead, AioWrite, AioFsync, AioReadv, AioWritev {
    static {
        OperationAccess.install(block -> {
            if (block instanceof ControlBlock cb) {
                return cb.op;
            }
            throw new IllegalArgumentException("not a jaio control block: " + block.getClass().getName());
        });
    }

    final Operation op;
    private final Cleaner.Cleanable cleanable;

    ControlBlock(AioEngine engine, OpKind kind, int fd, int priority, AioFsyncMode mode, SigevNotify notify) {
        Objects.requireNonNull(engine, "engine");
        if (!(engine instanceof AbstractEngine e)) {
            throw new IllegalArgumentException("engine " + engine.getClass().getName() + " is not one of jaio's;"
                    + " use AioEngine.defaultEngine() or AioEngine.open(name)");
        }
        this.op = e.create(kind, fd, priority, mode, notify == null ? SigevNotify.none() : notify);
        this.cleanable = Cleaners.register(this, op);
    }

    /**
     * Starts the operation; see {@link Aio#submit()}.
     *
     * @throws AioException if it could not be queued
     */
    public final void submit() throws AioException {
        try {
            op.submit();
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * {@link #submit()} where the engine may defer the system call to join later submissions;
     * see {@link Operation#submitDeferrable()}. For the channel, which flushes before it waits.
     */
    final void submitDeferrable() throws AioException {
        try {
            op.submitDeferrable();
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * {@code aio_error}; see {@link Aio#error()}.
     *
     * @return the operation's status
     */
    public final Errno error() {
        try {
            return op.error();
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * {@code aio_return}; see {@link Aio#aioReturn()}.
     *
     * @return bytes transferred (0 for fsync)
     * @throws AioException carrying the errno when the operation failed
     */
    public final long aioReturn() throws AioException {
        try {
            return op.aioReturn();
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * {@code aio_cancel(fd, this)}; see {@link Aio#cancel()}.
     *
     * @return whether it was canceled
     * @throws AioException {@link Errno#EBADF} if the descriptor is not open
     */
    public final AioCancelStat cancel() throws AioException {
        try {
            return op.cancel();
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * See {@link Aio#inProgress()}.
     *
     * @return true from a successful submit until {@code aioReturn()}
     */
    public final boolean inProgress() {
        return op.inProgress();
    }

    /**
     * See {@link Aio#fd()}.
     *
     * @return the file descriptor
     */
    public final int fd() {
        return op.fd();
    }

    /**
     * See {@link Aio#priority()}.
     *
     * @return {@code aio_reqprio}
     */
    public final int priority() {
        return op.priority();
    }

    /**
     * See {@link Aio#sigevNotify()}.
     *
     * @return the block's own notification
     */
    public final SigevNotify sigevNotify() {
        return op.sigevNotify();
    }

    /**
     * See {@link Aio#setSigevNotify(SigevNotify)}.
     *
     * @param notify the notification for later submissions
     */
    public final void setSigevNotify(SigevNotify notify) {
        try {
            op.setNotify(notify);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * See {@link Aio#engine()}.
     *
     * @return the engine that runs this block
     */
    public final AioEngine engine() {
        return op.engine();
    }

    /** Frees the block's native state; see {@link Aio#close()}. */
    public final void close() {
        try {
            op.close();
        } finally {
            cleanable.clean();
            Reference.reachabilityFence(this);
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + op.describe() + (op.inProgress() ? ", in progress" : "")
                + (op.isClosed() ? ", closed" : "") + "]";
    }

    // ---------------------------------------------------------------- shared by the subclasses

    final void setOffsetChecked(long offset) {
        try {
            op.setOffset(offset);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Sets a buffer that the caller has already passed through {@link #checkBuffer} (or that is
     * its own native memory): {@link AioFileChannel} re-aims pooled blocks per operation, and the
     * check's arena lookup would run twice.
     */
    final void setBufferUnchecked(MemorySegment buf) {
        try {
            op.setBuffer(buf);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    final void setBufferChecked(MemorySegment buf, boolean writable) {
        checkBuffer(buf, writable);
        try {
            op.setBuffer(buf);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * A buffer must be native (the engine passes its address to C), not of a thread-confined
     * arena (see {@code BufferLifetime}) and, for a read, writable.
     */
    static MemorySegment checkBuffer(MemorySegment buf, boolean writable) {
        Objects.requireNonNull(buf, "buffer");
        if (!buf.isNative()) {
            throw new IllegalArgumentException("a heap MemorySegment cannot be an I/O buffer (the kernel needs a"
                    + " stable native address): allocate it with an Arena, e.g. Arena.ofAuto().allocate(size),"
                    + " or use AioWrite.of(...) to copy a byte[]");
        }
        if (dev.jaio.internal.BufferLifetime.of(buf) == dev.jaio.internal.BufferLifetime.CONFINED) {
            throw new IllegalArgumentException(dev.jaio.internal.BufferLifetime.confinedRefusal());
        }
        if (writable && buf.isReadOnly()) {
            throw new IllegalArgumentException("a read needs a writable buffer, but this MemorySegment is read-only:"
                    + " pass the segment itself, not asReadOnly()");
        }
        return buf;
    }

    static MemorySegment[] checkBuffers(java.util.List<MemorySegment> bufs, boolean writable) {
        Objects.requireNonNull(bufs, "bufs");
        if (bufs.isEmpty()) {
            throw new IllegalArgumentException("a vectored operation needs at least one buffer");
        }
        MemorySegment[] out = bufs.toArray(MemorySegment[]::new);
        for (MemorySegment b : out) {
            checkBuffer(b, writable);
        }
        return out;
    }

    static AioEngine defaultEngine() {
        return AioEngine.defaultEngine();
    }
}
