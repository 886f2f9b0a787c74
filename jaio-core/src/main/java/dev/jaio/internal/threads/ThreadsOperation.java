package dev.jaio.internal.threads;

import dev.jaio.AioFsyncMode;
import dev.jaio.Errno;
import dev.jaio.SigevNotify;
import dev.jaio.internal.OpKind;
import dev.jaio.internal.Operation;
import dev.jaio.internal.ffi.FileIo;
import dev.jaio.internal.ffi.Libc;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A control block of the threads engine. Its only native state is the iovec array of a vectored
 * operation (allocated once, refilled at each submission). The queue state decides what a cancel
 * can do: an operation still {@link #QUEUED} (in the work queue or waiting in its descriptor's
 * lane) is canceled, one {@link #RUNNING} in a worker is not.
 *
 * <p>The state is kept together with the submission's sequence number in one {@code ticket}
 * ({@code sequence << 2 | state}), changed by compare-and-set: an entry left behind in a work
 * shard or a lane by a canceled submission (or by a write an fsync's worker ran ahead of its
 * turn) names its sequence, and can then never start the block's next submission out of its
 * place, nor run one twice.
 */
final class ThreadsOperation extends Operation {
    static final int IDLE = 0, QUEUED = 1, RUNNING = 2, DONE = 3;
    private static final int STATE_BITS = 2;
    private static final long STATE_MASK = (1 << STATE_BITS) - 1;
    private static final VarHandle TICKET;

    static {
        try {
            TICKET = MethodHandles.lookup().findVarHandle(ThreadsOperation.class, "ticket", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ThreadsEngine engine;
    /** {@code sequence << 2 | state}; the sequence orders submissions engine-wide. */
    private volatile long ticket = IDLE;
    private MemorySegment iovecs;
    ThreadsOperation(ThreadsEngine engine, OpKind kind, int fd, int priority, AioFsyncMode mode, SigevNotify notify) {
        super(engine, kind, fd, priority, mode, notify);
        this.engine = engine;
    }

    private static long ticket(long sequence, int state) {
        return sequence << STATE_BITS | state;
    }

    /** Before queuing: in the queue from now on, as submission number {@code sequence}. */
    void queued(long sequence) {
        ticket = ticket(sequence, QUEUED);
    }

    /** The submission number (an fsync waits for the writes of its fd queued before it). */
    long sequence() {
        return ticket >>> STATE_BITS;
    }

    /** Whether submission {@code sequence} is still waiting to run. */
    boolean isQueued(long sequence) {
        return ticket == ticket(sequence, QUEUED);
    }

    /** A worker takes submission {@code sequence}; false if it was canceled or is not the current one. */
    boolean startRunning(long sequence) {
        return TICKET.compareAndSet(this, ticket(sequence, QUEUED), ticket(sequence, RUNNING));
    }

    boolean isRunning() {
        return (ticket & STATE_MASK) == RUNNING;
    }

    /** Whether a submission of it is queued or running (not idle, not done). */
    boolean isQueuedOrRunning() {
        long state = ticket & STATE_MASK;
        return state == QUEUED || state == RUNNING;
    }

    boolean writesData() {
        return kind == OpKind.WRITE || kind == OpKind.WRITEV;
    }

    /** Runs the system call on the calling worker; {@code >= 0} or {@code -errno}. */
    long perform() {
        return switch (kind) {
            case READ -> FileIo.pread(fd, ioBuffer(), offset);
            case WRITE -> FileIo.pwrite(fd, ioBuffer(), offset);
            case READV -> FileIo.preadv(fd, fillIovecs(), buffers.length, offset);
            case WRITEV -> FileIo.pwritev(fd, fillIovecs(), buffers.length, offset);
            case FSYNC -> FileIo.fsync(fd, fsyncMode == AioFsyncMode.O_DSYNC);
        };
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
            iovecs.set(java.lang.foreign.ValueLayout.ADDRESS, i * FileIo.IOVEC_SIZE + FileIo.IOV_BASE, ioBuffer(i));
            iovecs.set(java.lang.foreign.ValueLayout.JAVA_LONG, i * FileIo.IOVEC_SIZE + FileIo.IOV_LEN,
                    ioBuffer(i).byteSize());
        }
        return iovecs;
    }

    /** The worker finished it (or it could not be queued). */
    void finished() {
        ticket = ticket(sequence(), DONE);
    }

    @Override
    protected int startSingle() {
        return engine.enqueue(this, null);
    }

    @Override
    protected long pollNative() {
        return storedResult();
    }

    @Override
    protected int cancelNative() {
        while (true) {
            long t = ticket;
            int state = (int) (t & STATE_MASK);
            if (state != QUEUED) {
                return state == RUNNING ? 1 : 2;
            }
            if (cancelQueued(t >>> STATE_BITS)) {
                return 0;
            }
        }
    }

    /** Cancels submission {@code sequence} if it is still queued (it completes with ECANCELED at once). */
    boolean cancelQueued(long sequence) {
        if (TICKET.compareAndSet(this, ticket(sequence, QUEUED), ticket(sequence, DONE))) {
            engine.canceled(this);
            return true;
        }
        return false;
    }

    @Override
    protected void freeNative() {
        if (iovecs != null) {
            Libc.free(iovecs);
            iovecs = null;
        }
    }

    static int canceledResult() {
        return -Errno.ECANCELED.code();
    }
}
