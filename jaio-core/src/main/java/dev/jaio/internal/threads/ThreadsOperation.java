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
 * can do: an operation still {@link #QUEUED} is canceled, one {@link #RUNNING} in a worker is not.
 */
final class ThreadsOperation extends Operation {
    static final int IDLE = 0, QUEUED = 1, RUNNING = 2, DONE = 3;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(ThreadsOperation.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ThreadsEngine engine;
    private volatile int state = IDLE;
    /** Order of submission, engine-wide: an fsync waits for the writes of its fd queued before it. */
    long sequence;
    private MemorySegment iovecs;

    ThreadsOperation(ThreadsEngine engine, OpKind kind, int fd, int priority, AioFsyncMode mode, SigevNotify notify) {
        super(engine, kind, fd, priority, mode, notify);
        this.engine = engine;
    }

    /** Before queuing: in the queue from now on. */
    void queued(long sequence) {
        this.sequence = sequence;
        state = QUEUED;
    }

    /** A worker takes it; false if it was canceled while queued. */
    boolean startRunning() {
        return STATE.compareAndSet(this, QUEUED, RUNNING);
    }

    boolean isRunning() {
        return state == RUNNING;
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

    /** The worker finished it. */
    void finished() {
        state = DONE;
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
        if (STATE.compareAndSet(this, QUEUED, DONE)) {
            engine.canceled(this);
            return 0;
        }
        return state == RUNNING ? 1 : 2;
    }

    /** Cancels this queued operation for {@code aio_cancel(fd, NULL)}; see {@link #cancelNative()}. */
    int cancelForFd() {
        return cancelNative();
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
