package dev.jaio.internal.posix;

import static java.lang.foreign.ValueLayout.ADDRESS;

import dev.jaio.AioFsyncMode;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.internal.AbstractEngine;
import dev.jaio.internal.OpKind;
import dev.jaio.internal.Operation;
import dev.jaio.internal.ffi.CallState;
import dev.jaio.internal.ffi.PosixAio;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The engine "posix": the C library's own POSIX AIO ({@code aio_read}, {@code lio_listio}, ...),
 * the faithful reference for every other engine's semantics.
 *
 * <p>On Linux this is glibc's user-space implementation: a pool of threads, at most one per
 * descriptor, running {@code pread}/{@code pwrite}; so operations on one descriptor run one after
 * another, whatever the queue depth. Use it where libc's behaviour is what you want to match;
 * io_uring or threads are faster.
 *
 * <p><b>How completions are seen.</b> The engine never asks libc for a notification of its own:
 * {@code error()} and waits ask libc directly ({@code aio_error}, {@code aio_suspend}), and the
 * notifications the user chose are libc's (a list's {@code sigevent} and each aiocb's). Lists are
 * always submitted with {@code LIO_NOWAIT}; {@code LIO_WAIT} then waits in {@code aio_suspend} on
 * the last operation not yet complete, in slices so that {@code Thread.interrupt()} is honoured
 * (within {@link AbstractEngine#WAIT_SLICE_NANOS}). Waiting happens in native code here, so a
 * virtual thread that waits on this engine pins its carrier for up to one slice at a time.
 *
 * <p>Thread-safe.
 */
public final class PosixEngine extends AbstractEngine {
    private static final ThreadLocal<MemorySegment> LIST_SIGEVENT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(PosixAio.SIGEVENT));

    /**
     * Descriptors below this number get the bookkeeping that makes a single cancel safe (see
     * {@link #mayCancel}); on higher ones a single operation is never canceled.
     */
    private static final int TRACKED_FDS = 4096;

    /**
     * Held while submitting, while canceling one operation and while finishing a prioritized one,
     * so that what {@link #mayCancel} looks at cannot change between its check and
     * {@code aio_cancel}. glibc takes its own global AIO mutex in each of these calls anyway.
     */
    final Object submitLock = new Object();
    /** Order of submission, engine-wide. Under submitLock. */
    private long sequence;
    /** Per descriptor: the sequence of the last submission on it. Under submitLock. */
    private final long[] lastSubmitted = new long[TRACKED_FDS];
    /** Per descriptor: operations with a priority other than 0 submitted and not yet finished. Under submitLock. */
    private final int[] prioritizedInFlight = new int[TRACKED_FDS];

    /** Opens a posix engine; {@code processWide} for the default engine, which refuses to close. */
    public PosixEngine(boolean processWide) {
        super("posix", processWide);
        dev.jaio.internal.ffi.NativeAccess.ensureEnabled();
    }

    @Override
    protected Operation newOperation(OpKind kind, int fd, int priority, AioFsyncMode mode, SigevNotify notify) {
        return new PosixOperation(this, kind, fd, priority, mode, notify);
    }

    @Override
    protected boolean supportsVectored() {
        return false;
    }

    @Override
    protected UnsupportedOperationException vectoredUnsupported() {
        return new UnsupportedOperationException("the posix engine has no vectored I/O: glibc implements no"
                + " aio_readv/aio_writev; use AioEngine.open(\"io_uring\") or AioEngine.open(\"threads\"),"
                + " or one AioRead/AioWrite per buffer");
    }

    /** Records a submission of {@code op} that libc accepted; returns its sequence. Under submitLock. */
    long submitted(PosixOperation op) {
        long s = ++sequence;
        int fd = op.fd();
        if (fd >= 0 && fd < TRACKED_FDS) {
            lastSubmitted[fd] = s;
            if (op.priority() != 0) {
                prioritizedInFlight[fd]++;
            }
        }
        return s;
    }

    /** A prioritized operation recorded by {@link #submitted} is finished (returned or freed). Under submitLock. */
    void finishedPrioritized(PosixOperation op) {
        int fd = op.fd();
        if (fd >= 0 && fd < TRACKED_FDS) {
            prioritizedInFlight[fd]--;
        }
    }

    /**
     * Whether {@code aio_cancel(fd, aiocb)} of {@code op} is safe. glibc (seen in 2.36)
     * mishandles the cancel of a request that heads its descriptor's queue while it waits for a
     * worker thread: the request behind it is marked runnable but never put on the run list, so
     * it, and everything queued after it, stays EINPROGRESS for ever (its waits, its close() and
     * the engine's close() hang). So a single operation is handed to {@code aio_cancel} only when
     * nothing this engine submitted on the descriptor can be queued behind it in glibc's
     * per-descriptor queue, which is ordered by priority, then by submission: it is the last one
     * submitted there, and no other operation there with a priority is unfinished. Otherwise the
     * answer is AIO_NOTCANCELED, which POSIX allows for any operation (it then runs to its end).
     * Operations submitted on the same descriptor by other code in the process are not seen.
     * Under submitLock.
     */
    boolean mayCancel(PosixOperation op) {
        int fd = op.fd();
        if (fd < 0 || fd >= TRACKED_FDS || lastSubmitted[fd] != op.sequence) {
            return false;
        }
        int others = prioritizedInFlight[fd] - (op.prioritizedInFlight ? 1 : 0);
        return others == 0;
    }

    @Override
    protected int startList(Operation[] ops, int n, LioMode mode, SigevNotify notify) {
        MemorySegment list = CallState.current().pointers(Math.max(n, 1));
        for (int i = 0; i < n; i++) {
            PosixOperation op = (PosixOperation) ops[i];
            op.prepareTransfer(op.kind() == OpKind.READ ? PosixAio.LIO_READ : PosixAio.LIO_WRITE);
            op.markUnqueued();
            list.setAtIndex(ADDRESS, i, op.aiocb);
        }
        MemorySegment sigevent = LIST_SIGEVENT.get();
        // The list is handed to libc with LIO_NOWAIT whatever the caller's mode, so libc would
        // deliver its notification; POSIX says a LIO_WAIT list's sig "shall be ignored".
        Sigevents.encode(mode == LioMode.LIO_WAIT ? SigevNotify.none() : notify, sigevent, true);
        int r;
        synchronized (submitLock) {
            r = PosixAio.lioListio(PosixAio.LIO_NOWAIT, list, n, sigevent);
            // glibc queues a list's requests in list order: record them in that order.
            for (int i = 0; i < n; i++) {
                PosixOperation op = (PosixOperation) ops[i];
                if (r == 0 || op.notQueuedErrno() == 0) {
                    op.recordSubmission();
                }
            }
        }
        if (r < 0) {
            // Partial submission: find out which aiocbs glibc never queued. (A list notification
            // needs no undoing: glibc fires it once the queued ones are done, or at once if none was.)
            for (int i = 0; i < n; i++) {
                PosixOperation op = (PosixOperation) ops[i];
                int errno = op.notQueuedErrno();
                if (errno != 0) {
                    op.submissionFailed();
                    markNotQueued(op, errno);
                }
            }
        }
        return r;
    }

    @Override
    protected void awaitSlice(Operation[] ops, int from, int count, long nanos) {
        MemorySegment list = CallState.current().pointers(count);
        for (int i = 0; i < count; i++) {
            list.setAtIndex(ADDRESS, i, ((PosixOperation) ops[from + i]).aiocb);
        }
        int r = PosixAio.aioSuspend(list, count, nanos);
        // 0: one completed; -EAGAIN: the slice elapsed; -EINTR: a signal arrived. The caller
        // re-checks every operation in all three cases. Anything else is a bug in the list.
        if (r < 0 && r != -dev.jaio.Errno.EAGAIN.code() && r != -dev.jaio.Errno.EINTR.code()) {
            throw new IllegalStateException("aio_suspend failed: " + dev.jaio.internal.Failures.text(-r));
        }
    }

    @Override
    protected int cancelAllNative(int fd) {
        return PosixAio.aioCancel(fd, MemorySegment.NULL);
    }

    @Override
    protected void closeNative() {
        // glibc's thread pool is process-wide and retires idle threads by itself.
    }
}
