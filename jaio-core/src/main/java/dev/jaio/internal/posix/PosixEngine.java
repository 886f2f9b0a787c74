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
 * always submitted with {@code LIO_NOWAIT} (so a {@code LIO_WAIT} list's notification is dropped
 * before libc sees it, as POSIX ignores it); {@code LIO_WAIT} then waits on the last operation
 * not yet complete.
 *
 * <p><b>How threads wait.</b> A platform thread waits in {@code aio_suspend} itself, in slices so
 * that {@code Thread.interrupt()} is honoured (within {@link AbstractEngine#WAIT_SLICE_NANOS}). A
 * virtual thread parks in Java instead, and the engine's {@link CompletionWatcher} thread waits in
 * {@code aio_suspend} for it and unparks it: a virtual thread in a native call would keep its
 * carrier, and a few of them waiting for slow reads starved every other virtual thread. The
 * watcher costs a wake-up through an eventfd and a thread switch per wait, which halved the
 * throughput of {@code LIO_WAIT} lists of 32 cached reads when measured for platform threads too
 * (about 110,000 against 235,000 reads/s, {@code ./jaio bench --engine posix}); so platform
 * threads keep the native wait. The watcher starts with the first wait of a virtual thread, holds
 * one of glibc's AIO threads (its wake-up read) while it lives, and ends with the engine.
 *
 * <p><b>Canceling one operation</b> goes to glibc only where glibc 2.36 cannot strand the
 * descriptor's queue by it; see {@link DescriptorQueues}.
 *
 * <p>Thread-safe.
 */
public final class PosixEngine extends AbstractEngine {
    private static final ThreadLocal<MemorySegment> LIST_SIGEVENT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(PosixAio.SIGEVENT));

    /**
     * Held while submitting, while canceling one operation and while finishing or freeing one,
     * so that what {@link DescriptorQueues} knows cannot change between its check and
     * {@code aio_cancel}. glibc takes its own global AIO mutex in each of these calls anyway.
     */
    final Object submitLock = new Object();
    /** glibc's per-descriptor queues as this engine submitted to them. Under submitLock. */
    final DescriptorQueues queues = new DescriptorQueues();
    /** Waits for virtual threads, so that they park in Java instead of holding their carrier. */
    final CompletionWatcher watcher = new CompletionWatcher("posix");

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
            // glibc queues a list's requests in list order: record them in that order. After a
            // partial submission each aiocb says whether glibc queued it; each is asked once, as
            // the answer of one that was queued changes when it completes.
            for (int i = 0; i < n; i++) {
                PosixOperation op = (PosixOperation) ops[i];
                int errno = r == 0 ? 0 : op.notQueuedErrno();
                if (errno == 0) {
                    op.recordSubmission();
                } else {
                    // (A list notification needs no undoing: glibc fires it once the queued ones
                    // are done, or at once if none was.)
                    op.submissionFailed();
                    markNotQueued(op, errno);
                }
            }
        }
        return r;
    }

    @Override
    protected void awaitSlice(Operation[] ops, int from, int count, long nanos) {
        if (Thread.currentThread().isVirtual() && watcher.await(ops, from, count, nanos)) {
            return;
        }
        MemorySegment list = CallState.current().pointers(count);
        int pinned = 0;
        int r;
        try {
            for (; pinned < count; pinned++) {
                PosixOperation op = (PosixOperation) ops[from + pinned];
                if (!op.pin()) {
                    return; // it was closed meanwhile, which ends the wait: the caller looks again
                }
                list.setAtIndex(ADDRESS, pinned, op.aiocb);
            }
            r = PosixAio.aioSuspend(list, count, nanos);
        } finally {
            for (int i = 0; i < pinned; i++) {
                ((PosixOperation) ops[from + i]).unpin();
            }
        }
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
        // glibc's thread pool is process-wide and retires idle threads by itself; the watcher is
        // the engine's own.
        watcher.stop();
    }
}
