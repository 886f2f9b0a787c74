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
import java.util.concurrent.locks.LockSupport;

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
 * <p><b>Canceling without stranding.</b> glibc 2.36 strands a descriptor's queue when the request
 * canceled heads it, waiting for a worker thread, with another behind it; the engine therefore
 * cancels from the tail ({@link DescriptorQueues}): it keeps, per descriptor, what glibc holds in
 * glibc's order ({@link GlibcRequests}), and cancels an operation in the middle by taking back
 * the requests behind it (glibc's last first), canceling it as glibc's last, and handing the
 * others back in their order, under the lock every hand-over holds. Operations that notify
 * nobody (the usual case) all go to glibc at once, however many there are on a descriptor, and
 * cost the hot path nothing but that bookkeeping. Those with a notification (which glibc's cancel
 * would deliver), members of a {@code LIO_NOWAIT} list with one, and ones of a smaller
 * {@code aio_reqprio} than what glibc holds wait in the engine's own queue while glibc holds more
 * than the head of their descriptor; they go to glibc as those ahead complete (seen by whoever
 * polls or waits first, else by the engine's {@link QueuePump} within a millisecond), and when a
 * list's members did not all go to glibc together the engine delivers its notification itself
 * ({@link ListNotice}). A virtual thread waiting for one there parks in Java in slices of a
 * millisecond. So every cancel of an operation that is only queued answers {@code AIO_CANCELED},
 * but that of the head of glibc's queue with one of those behind it, which answers
 * {@code AIO_NOTCANCELED}.
 *
 * <p>Thread-safe.
 */
public final class PosixEngine extends AbstractEngine {
    private static final ThreadLocal<MemorySegment> LIST_SIGEVENT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(PosixAio.SIGEVENT));

    /**
     * Held while handing anything to glibc, while canceling, and while recording a completion of
     * glibc's, so that what {@link DescriptorQueues} knows of glibc's queues cannot change between
     * its check and {@code aio_cancel}. glibc takes its own global AIO mutex in each of these
     * calls anyway.
     */
    final Object submitLock = new Object();
    /** What glibc holds of each descriptor, and what waits here. Under submitLock. */
    final DescriptorQueues queues = new DescriptorQueues(this);
    /** Moves the queues on when nobody polls or waits. */
    final QueuePump pump = new QueuePump(this);
    /** Waits for virtual threads, so that they park in Java instead of holding their carrier. */
    final CompletionWatcher watcher = new CompletionWatcher("posix");
    /** Per thread: the operations a wait hands to aio_suspend (pinned), reused. */
    private static final ThreadLocal<PosixOperation[][]> WAIT_OPS = ThreadLocal.withInitial(() -> new PosixOperation[1][]);

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
        for (int i = 0; i < n; i++) {
            ((PosixOperation) ops[i]).awaitNoSuspender();
        }
        MemorySegment list = CallState.current().pointers(Math.max(n, 1));
        MemorySegment sigevent = LIST_SIGEVENT.get();
        // The list is handed to libc with LIO_NOWAIT whatever the caller's mode, so libc would
        // deliver its notification; POSIX says a LIO_WAIT list's sig "shall be ignored".
        boolean wanted = mode == LioMode.LIO_NOWAIT && !(notify instanceof SigevNotify.SigevNone);
        synchronized (submitLock) {
            // Admitted in list order, as glibc queues a list: what a descriptor has room for in
            // glibc goes into one lio_listio call, the rest waits in the engine's queues.
            int m = 0;
            boolean anyHere = false;
            for (int i = 0; i < n; i++) {
                PosixOperation op = (PosixOperation) ops[i];
                if (queues.admitToList(op, wanted)) {
                    op.prepareTransfer(op.kind() == OpKind.READ ? PosixAio.LIO_READ : PosixAio.LIO_WRITE);
                    op.markUnqueued();
                    list.setAtIndex(ADDRESS, m++, op.aiocb);
                } else {
                    anyHere = true;
                }
            }
            // When part of the list waits in the engine's queues, glibc never sees the whole list:
            // the engine then counts the members down and delivers the notification itself.
            ListNotice notice = null;
            if (wanted && anyHere) {
                notice = new ListNotice(n, notify);
                for (int i = 0; i < n; i++) {
                    queues.attachNotice((PosixOperation) ops[i], notice);
                }
            }
            Sigevents.encode(wanted && notice == null ? notify : SigevNotify.none(), sigevent, true);
            int r = m > 0 || notice == null ? PosixAio.lioListio(PosixAio.LIO_NOWAIT, list, m, sigevent) : 0;
            if (r != 0) {
                // After a partial submission each aiocb says whether glibc queued it; each is asked
                // once, as the answer of one that was queued changes when it completes.
                // The members that went into the call are those whose aiocbs the list holds, in
                // order (one queued here may have been handed to glibc meanwhile by a refill).
                int j = 0;
                for (int i = 0; i < n && j < m; i++) {
                    PosixOperation op = (PosixOperation) ops[i];
                    if (op.aiocb.address() != list.getAtIndex(ADDRESS, j).address()) {
                        continue;
                    }
                    j++;
                    int errno = op.notQueuedErrno();
                    if (errno != 0) {
                        // (A list notification of glibc's needs no undoing: glibc fires it once the
                        // queued ones are done, or at once if none was; one of the engine's is
                        // counted down by notQueuedByList.)
                        op.submissionFailed();
                        markNotQueued(op, errno);
                        queues.notQueuedByList(op);
                    }
                }
            }
            return r;
        }
    }

    @Override
    protected void awaitSlice(Operation[] ops, int from, int count, long nanos) {
        if (Thread.currentThread().isVirtual()) {
            if (!anyQueuedHere(ops, from, count) && watcher.await(ops, from, count, nanos)) {
                return;
            }
            if (anyQueuedHere(ops, from, count)) {
                // glibc cannot wait for what it does not hold; the queue moves on when the
                // requests ahead complete (seen by their waiters or the pump): park in Java.
                LockSupport.parkNanos(this, Math.min(nanos, QueuePump.ROUND_NANOS));
                return;
            }
        }
        PosixOperation[][] holder = WAIT_OPS.get();
        if (holder[0] == null || holder[0].length < 2 * count) {
            holder[0] = new PosixOperation[Math.max(2 * count, 8)];
        }
        PosixOperation[] waited = holder[0];
        MemorySegment list = CallState.current().pointers(2 * count);
        // First what to wait on, then the pins, none taken while the submit lock is: a cancel
        // that takes requests back from glibc waits under that lock until nobody holds them
        // (PosixOperation.awaitNoSuspender).
        int n = 0;
        int lastQueuedFd = Integer.MIN_VALUE;
        for (int i = 0; i < count; i++) {
            PosixOperation op = (PosixOperation) ops[from + i];
            if (op.isQueuedHere()) {
                if (op.fd() == lastQueuedFd) {
                    continue; // the request it waits behind on that descriptor is in the list already
                }
                lastQueuedFd = op.fd();
                // Waiting in the engine's queue, not in glibc's: wait for the last request ahead of it.
                PosixOperation ahead;
                synchronized (submitLock) {
                    ahead = queues.lastAheadOf(op);
                }
                if (ahead == null) {
                    clear(waited, n);
                    return; // it moved on meanwhile: the caller looks again
                }
                waited[n++] = ahead;
            } else {
                waited[n++] = op;
            }
        }
        int pinned = 0;
        int r;
        try {
            while (pinned < n) {
                if (!waited[pinned].pin()) {
                    return; // it was closed meanwhile, which ends the wait: the caller looks again
                }
                list.setAtIndex(ADDRESS, pinned, waited[pinned].aiocb);
                pinned++;
            }
            r = PosixAio.aioSuspend(list, pinned, nanos);
        } finally {
            for (int i = 0; i < pinned; i++) {
                waited[i].unpin();
            }
            clear(waited, n);
        }
        // 0: one completed; -EAGAIN: the slice elapsed; -EINTR: a signal arrived. The caller
        // re-checks every operation in all three cases. Anything else is a bug in the list.
        if (r < 0 && r != -dev.jaio.Errno.EAGAIN.code() && r != -dev.jaio.Errno.EINTR.code()) {
            throw new IllegalStateException("aio_suspend failed: " + dev.jaio.internal.Failures.text(-r));
        }
    }

    private static void clear(PosixOperation[] ops, int n) {
        for (int i = 0; i < n; i++) {
            ops[i] = null;
        }
    }

    private static boolean anyQueuedHere(Operation[] ops, int from, int count) {
        for (int i = from; i < from + count; i++) {
            if (((PosixOperation) ops[i]).isQueuedHere()) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected int cancelAllNative(int fd) {
        synchronized (submitLock) {
            return queues.cancelAll(fd);
        }
    }

    @Override
    protected void closeNative() {
        // glibc's thread pool is process-wide and retires idle threads by itself; the watcher is
        // the watcher and the pump are the engine's own.
        watcher.stop();
        pump.stop();
    }
}
