package dev.jaio.internal.posix;

import static dev.jaio.internal.ffi.PosixAio.AIOCB_SIZE;
import static dev.jaio.internal.ffi.PosixAio.AIO_BUF;
import static dev.jaio.internal.ffi.PosixAio.AIO_ERROR_CODE;
import static dev.jaio.internal.ffi.PosixAio.AIO_FILDES;
import static dev.jaio.internal.ffi.PosixAio.AIO_LIO_OPCODE;
import static dev.jaio.internal.ffi.PosixAio.AIO_NBYTES;
import static dev.jaio.internal.ffi.PosixAio.AIO_OFFSET;
import static dev.jaio.internal.ffi.PosixAio.AIO_REQPRIO;
import static dev.jaio.internal.ffi.PosixAio.AIO_SIGEVENT;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.jaio.AioFsyncMode;
import dev.jaio.Errno;
import dev.jaio.SigevNotify;
import dev.jaio.internal.OpKind;
import dev.jaio.internal.Operation;
import dev.jaio.internal.ffi.Libc;
import dev.jaio.internal.ffi.PosixAio;
import java.lang.foreign.MemorySegment;

/**
 * A control block of the posix engine: a glibc {@code struct aiocb} in C heap memory, at one
 * address from the block's creation to its close, so resubmitting it allocates nothing.
 *
 * <p>The request fields ({@code aio_offset}, {@code aio_buf}, {@code aio_nbytes}, the opcode) are
 * written just before each submission from the Java fields of {@link Operation}, and so is the
 * sigevent when the notification changed: only a submission writes into the aiocb, never a setter
 * (which could race with a {@code close()} that frees it). Completion is learnt by asking libc ({@code aio_error})
 * when somebody polls or waits; there is no per-operation callback into Java unless the user asked
 * for {@code SigevNotify.thread}.
 */
final class PosixOperation extends Operation {
    /**
     * Written into {@code __error_code} before a list submission: a value no system call returns.
     * glibc overwrites it with {@code EINPROGRESS} when it queues the aiocb, so after a failed
     * {@code lio_listio} an aiocb still holding it was never queued (glibc leaves the field alone
     * when it runs out of memory for its request list).
     */
    static final int NOT_QUEUED_SENTINEL = 0x4A41494F;

    final MemorySegment aiocb;
    /** Threads handing the aiocb to libc right now ({@link #pin()}), plus {@link #FREE_REQUESTED} once freed. */
    private final java.util.concurrent.atomic.AtomicInteger pins = new java.util.concurrent.atomic.AtomicInteger();
    private static final int FREE_REQUESTED = 1 << 30;
    /** The submission (see {@code Operation.submission()}) whose request libc has, or is being given. */
    private volatile int handedToLibc;
    /** Token of the {@code SIGEV_THREAD} dispatch for this block's notification, or 0. */
    private long threadToken;
    /**
     * The notification changed since the aiocb's sigevent was written: the next submission
     * writes it. Written there and not by the setter, so that only a submission, which a
     * {@code close()} of another thread waits for, ever writes into the aiocb.
     */
    private boolean sigeventStale;
    private final PosixEngine posixEngine;
    /** The current submission waits in the engine's {@link DescriptorQueues}, not yet handed to glibc. */
    private volatile boolean queuedHere;
    /** The next operation waiting in the same descriptor's queue. Under the engine's submitLock. */
    PosixOperation nextQueued;
    /** The list notification the submission waiting here counts toward, or null. Under the submitLock. */
    private ListNotice queuedNotice;
    /**
     * Odd while a cancel has taken the current submission back from glibc; counts take-backs, so
     * a poller can tell whether one happened while it asked (see {@link #pollNative()}). Written
     * under the submitLock.
     */
    private volatile int takeBacks;
    /** The {@link CompletionWatcher}'s wait that last included this aiocb. Under the watcher's lock. */
    long watchCycle;

    PosixOperation(PosixEngine engine, OpKind kind, int fd, int priority, AioFsyncMode mode, SigevNotify notify) {
        super(engine, kind, fd, priority, mode, notify);
        this.posixEngine = engine;
        this.aiocb = Libc.calloc(AIOCB_SIZE);
        aiocb.set(JAVA_INT, AIO_FILDES, fd);
        aiocb.set(JAVA_INT, AIO_REQPRIO, priority);
        encodeNotify();
    }

    /** Writes the request fields for a transfer; {@code opcode} is {@code LIO_READ} or {@code LIO_WRITE}. */
    void prepareTransfer(int opcode) {
        refreshSigevent();
        aiocb.set(JAVA_INT, AIO_LIO_OPCODE, opcode);
        aiocb.set(ADDRESS, AIO_BUF, ioBuffer());
        aiocb.set(JAVA_LONG, AIO_NBYTES, ioBuffer().byteSize());
        aiocb.set(JAVA_LONG, AIO_OFFSET, offset);
        if (threadToken != 0) {
            SigevThreadDispatch.expect(threadToken);
        }
    }

    /** Before a list submission: marks the aiocb so a failed list shows whether it was queued. */
    void markUnqueued() {
        aiocb.set(JAVA_INT, AIO_ERROR_CODE, NOT_QUEUED_SENTINEL);
        handedToLibc = submission();
    }

    /**
     * Before a single submission: the aiocb says "in progress" before libc has it, and the
     * submission counts as handed over. Until then {@link #pollNative()} answers "pending" without
     * asking libc, whose answer would be about the previous submission (a {@code close()} of
     * another thread could otherwise take the block for done and free the aiocb that this thread
     * is about to give libc).
     */
    private void markInProgress() {
        aiocb.set(JAVA_INT, AIO_ERROR_CODE, Errno.EINPROGRESS.code());
        handedToLibc = submission();
    }

    /** After a failed list submission: whether libc never queued this aiocb, and why. 0 if it was queued. */
    int notQueuedErrno() {
        if (!pin()) {
            return 0; // queued, completed and closed by its own notification already
        }
        int e;
        try {
            e = PosixAio.aioError(aiocb);
        } finally {
            unpin();
        }
        if (e == NOT_QUEUED_SENTINEL) {
            return Errno.EAGAIN.code();
        }
        // glibc stores its enqueue failure (EAGAIN: no thread, EINVAL: bad request) in the aiocb;
        // an operation that was queued and already finished with one of these can safely be
        // reported as not queued: libc is done with it, and submitting it again is harmless.
        if (e == Errno.EAGAIN.code() || e == Errno.EINVAL.code()) {
            return e;
        }
        return 0;
    }

    /** A notification that will not come because the submission failed. */
    void submissionFailed() {
        if (threadToken != 0) {
            SigevThreadDispatch.unexpect(threadToken);
        }
    }

    /** The submission now in progress, for {@link DescriptorQueues}. */
    int currentSubmission() {
        return submission();
    }

    /** The current submission waits in the engine's queue (see {@link DescriptorQueues}). Under the submitLock. */
    void enqueued(ListNotice notice) {
        // What the watcher's aio_error and anybody reading the aiocb see until glibc has it.
        aiocb.set(JAVA_INT, AIO_ERROR_CODE, Errno.EINPROGRESS.code());
        queuedNotice = notice;
        queuedHere = true;
    }

    /** The current submission, waiting here, counts toward {@code notice}. Under the submitLock. */
    void noticeWhileQueued(ListNotice notice) {
        queuedNotice = notice;
    }

    /** The submission leaves the engine's queue; returns the list notification it counts toward. Under the submitLock. */
    ListNotice dequeued() {
        ListNotice n = queuedNotice;
        queuedNotice = null;
        queuedHere = false;
        return n;
    }

    /** The list notification the submission waiting here counts toward, or null. Under the submitLock. */
    ListNotice queuedNotice() {
        return queuedNotice;
    }

    /** Whether the current submission waits in the engine's queue. */
    boolean isQueuedHere() {
        return queuedHere;
    }

    /**
     * Completes submission {@code submission}, which never reached glibc or was refused by it,
     * with {@code r} ({@code -errno}), and delivers the block's notification, as glibc delivers a
     * canceled request's. Under the submitLock.
     */
    void completeHere(long r, int submission) {
        completeIfCurrent(r, submission);
        OwnNotifications.deliver(notify);
    }

    /**
     * For {@link DescriptorQueues}, under the submitLock: the outcome of submission
     * {@code submission}, which glibc holds, recording it if glibc has completed it; PENDING while
     * glibc runs it. Any other answer means its place in glibc is free.
     */
    long outcomeInLibc(int submission) {
        if (submission() != submission || !inProgress()) {
            return 0; // reaped (and perhaps resubmitted) already: that request is over
        }
        long stored = storedResult();
        if (stored != PENDING) {
            return stored;
        }
        if (!pin()) {
            return 0; // being freed: its I/O is over
        }
        long r;
        try {
            int e = PosixAio.aioError(aiocb);
            if (e == Errno.EINPROGRESS.code() || e == NOT_QUEUED_SENTINEL) {
                return PENDING;
            }
            r = e == 0 ? PosixAio.aioReturn(aiocb) : e > 0 ? -e : e;
        } finally {
            unpin();
        }
        long recorded = completeIfCurrent(r, submission);
        return recorded == PENDING ? r : recorded;
    }

    @Override
    protected int startSingle() {
        awaitNoSuspender();
        synchronized (posixEngine.submitLock) {
            return posixEngine.queues.submit(this);
        }
    }

    /** Hands the current submission to glibc ({@code aio_read}...): 0 or {@code -errno}. Under the submitLock. */
    int handToLibc() {
        return submitToLibc();
    }

    private int submitToLibc() {
        markInProgress();
        int r = switch (kind) {
            case READ -> {
                prepareTransfer(PosixAio.LIO_READ);
                yield PosixAio.aioRead(aiocb);
            }
            case WRITE -> {
                prepareTransfer(PosixAio.LIO_WRITE);
                yield PosixAio.aioWrite(aiocb);
            }
            case FSYNC -> {
                refreshSigevent();
                if (threadToken != 0) {
                    SigevThreadDispatch.expect(threadToken);
                }
                yield PosixAio.aioFsync(fsyncMode == AioFsyncMode.O_DSYNC ? Libc.O_DSYNC : Libc.O_SYNC, aiocb);
            }
            case READV, WRITEV -> throw new AssertionError("vectored operations are refused before they get here");
        };
        if (r < 0) {
            submissionFailed();
        }
        return r;
    }

    /**
     * Asks glibc about the current submission ({@code aio_error}). Without any lock: a request a
     * cancel takes back from glibc ({@link DescriptorQueues}) says {@code ECANCELED} until it is
     * handed over again, so an answer counts only if no take-back began or ended around it (the
     * take-back count, read before asking, is unchanged after; a seqlock). Recording the outcome
     * frees the request's place in glibc; the engine's queues hear of it at once when something
     * waits for that place, else the place is dropped at the descriptor's next submission.
     */
    @Override
    protected long pollNative() {
        int submission = submission();
        if (queuedHere) {
            // Waiting in the engine's queue: asking is a chance to move the descriptor's queue on.
            synchronized (posixEngine.submitLock) {
                posixEngine.queues.advance(fd);
            }
            return storedResult();
        }
        if (handedToLibc != submission) {
            return PENDING; // still being handed to libc by its submitter: see markInProgress()
        }
        int takeBacks = this.takeBacks;
        if ((takeBacks & 1) != 0) {
            return PENDING; // being taken back and handed over again right now
        }
        if (!pin()) {
            return storedResult(); // closed meanwhile (by its own notification, say): nothing to ask
        }
        long r;
        try {
            int e = PosixAio.aioError(aiocb);
            if (e == Errno.EINPROGRESS.code() || e == NOT_QUEUED_SENTINEL) {
                // The sentinel: lio_listio is queuing it right now (one it could not queue is
                // made idle by the list and never polled).
                return PENDING;
            }
            if (e == 0) {
                r = PosixAio.aioReturn(aiocb);
            } else {
                r = e > 0 ? -e : e;
            }
        } finally {
            unpin();
        }
        if (this.takeBacks != takeBacks) {
            return PENDING; // the answer may be the take-back's ECANCELED: ask again
        }
        long recorded = completeIfCurrent(r, submission);
        if (posixEngine.queues.needsHandOver(fd)) {
            synchronized (posixEngine.submitLock) {
                posixEngine.queues.completed(this, submission);
            }
        }
        return recorded;
    }

    /**
     * A cancel takes the current submission back from glibc to hand it over again (see
     * {@link DescriptorQueues}): until {@link #endTakeBack()}, answers of glibc about it are not
     * its outcome. Under the submitLock.
     */
    void beginTakeBack() {
        takeBacks++;
    }

    /** The submission taken back is glibc's again (or has its outcome recorded). Under the submitLock. */
    void endTakeBack() {
        takeBacks++;
    }

    /**
     * Whether nobody is notified of this operation's end: glibc's cancel of its request would
     * tell nobody, so the engine may take it back (see {@link DescriptorQueues}).
     */
    boolean notifiesNobody() {
        return notify instanceof SigevNotify.SigevNone;
    }

    /** The outcome recorded for the current submission, or {@code PENDING}. */
    long recordedResult() {
        return storedResult();
    }

    /**
     * Keeps the aiocb from being freed while this thread hands it to libc ({@code aio_error},
     * {@code aio_suspend}), which other threads may race with: a block's own notification may
     * close it while a {@code LIO_WAIT} of its list, or an {@code aioSuspend}, still looks at it.
     * False once the block is being freed; then its aiocb must not be touched at all.
     */
    boolean pin() {
        while (true) {
            int p = pins.get();
            if ((p & FREE_REQUESTED) != 0) {
                return false;
            }
            if (pins.compareAndSet(p, p + 1)) {
                return true;
            }
        }
    }

    /**
     * Before a new submission rewrites the aiocb: waits until no thread holds it in
     * {@code aio_suspend} (or any other call) for the previous one. glibc's {@code aio_suspend},
     * woken by a completion, later unlinks its wait entries from the requests of the aiocbs that
     * still say {@code EINPROGRESS}; an aiocb submitted again meanwhile says so, and glibc then
     * walks the finished request's stale list of waiters, whose entries live on the stacks of
     * threads long gone (shown: SIGSEGV in {@code aio_suspend} under the sixteen-thread test, once
     * threads waited for blocks of other threads). Holders leave within one completion: the
     * request they wait on is over. Never called under the engine's submit lock, which holders
     * may be waiting for.
     */
    void awaitNoSuspender() {
        int spins = 0;
        while ((pins.get() & ~FREE_REQUESTED) != 0) {
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    /** Ends a {@link #pin()}; the last one out frees an aiocb whose free was asked for meanwhile. */
    void unpin() {
        if (pins.decrementAndGet() == FREE_REQUESTED) {
            Libc.free(aiocb);
        }
    }

    /**
     * For the {@link CompletionWatcher}: whether a waiter for this operation should look again
     * (it completed, or is no longer in progress). Asks libc only while it may still run.
     */
    boolean mayHaveCompleted() {
        if (queuedHere || !inProgress() || storedResult() != PENDING) {
            return true;
        }
        if (!pin()) {
            return true; // being freed by a close() of another thread: its I/O is over
        }
        try {
            return PosixAio.aioError(aiocb) != Errno.EINPROGRESS.code();
        } finally {
            unpin();
        }
    }

    /**
     * {@code aio_cancel(fd, aiocb)} as {@link DescriptorQueues#cancel} decides: an operation
     * waiting in the engine's queue is canceled by the engine, one of glibc's by glibc once the
     * requests behind it are taken back (it is then glibc's last), unless one of those notifies
     * somebody ({@code AIO_NOTCANCELED}: it heads glibc's queue).
     */
    @Override
    protected int cancelNative() {
        synchronized (posixEngine.submitLock) {
            if (storedResult() != PENDING) {
                return PosixAio.AIO_ALLDONE;
            }
            return posixEngine.queues.cancel(this);
        }
    }

    @Override
    protected void onReturned() {
        // glibc's aio_return only reads __return_value, but POSIX makes it the call that lets the
        // implementation release what it keeps for the aiocb; keep the protocol. (Not once a
        // racing close() of another thread has freed the aiocb: see pin().)
        if (pin()) {
            try {
                PosixAio.aioReturn(aiocb);
            } finally {
                unpin();
            }
        }
    }

    @Override
    protected boolean returnTouchesNativeState() {
        return true; // aio_return on the aiocb
    }

    @Override
    protected void onNotifyChanged(SigevNotify old) {
        sigeventStale = true;
    }

    /** Before a submission: writes the sigevent if the notification changed since it was written. */
    private void refreshSigevent() {
        if (sigeventStale) {
            sigeventStale = false;
            encodeNotify();
        }
    }

    private void encodeNotify() {
        if (threadToken != 0) {
            SigevThreadDispatch.retire(threadToken);
            threadToken = 0;
        }
        MemorySegment sigevent = aiocb.asSlice(AIO_SIGEVENT, PosixAio.SIGEVENT_SIZE);
        threadToken = Sigevents.encode(notify, sigevent, false);
    }

    @Override
    protected void freeNative() {
        synchronized (posixEngine.submitLock) {
            posixEngine.queues.forget(this);
        }
        if (watchCycle != 0) {
            posixEngine.watcher.release(this); // glibc's aio_suspend of the watcher may still read the aiocb
        }
        if (threadToken != 0) {
            SigevThreadDispatch.retire(threadToken);
            threadToken = 0;
        }
        if (pins.getAndAdd(FREE_REQUESTED) == 0) {
            Libc.free(aiocb); // else the last pin holder frees it (see unpin)
        }
    }
}
