package dev.jaio.internal.posix;

import dev.jaio.Errno;
import dev.jaio.internal.ffi.PosixAio;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The posix engine's per-descriptor bookkeeping of glibc's queues: what glibc holds of each
 * descriptor, in glibc's order ({@link GlibcRequests}), and the few operations that wait in the
 * engine's own queue instead; with it, canceling an operation that is only queued answers
 * {@code AIO_CANCELED} without tripping glibc 2.36's stranded queue.
 *
 * <p><b>The glibc defect (seen in 2.36, {@code aio_cancel} and {@code __aio_remove_request}).</b>
 * glibc keeps, per descriptor, a queue whose head is the request being run (state
 * "allocated") or waiting on the run list for a worker thread (state "yes"), followed by the
 * others (state "queued"). Canceling a queued request behind the head just unlinks it, and
 * canceling the last one is always safe; canceling a running head answers
 * {@code AIO_NOTCANCELED}. But canceling a head in state "yes" while a request is queued behind
 * it removes the head from the run list and marks the next one "yes" without ever putting that
 * one on the run list: it, and everything behind it, stays {@code EINPROGRESS} for ever. Which
 * request heads the queue cannot be known race-free from outside glibc (those ahead may complete
 * between any check and the cancel; glibc's mutex is private).
 *
 * <p><b>Cancel from the tail.</b> So the engine never asks glibc to cancel a request that has
 * another of the descriptor's behind it. To cancel one in the middle, under the engine's submit
 * lock (which every hand-over to glibc holds, so nothing is queued meanwhile), it cancels glibc's
 * last request of the descriptor, then the new last, and so on up to the target (each the last
 * when canceled: safe whether it heads the queue or not), then hands the ones it took back to
 * glibc again in their order. They never started: glibc runs a descriptor's requests one at a
 * time in queue order, so a request behind the target is not running while the target is not
 * over. Should one of them answer {@code AIO_NOTCANCELED} (it runs) or {@code AIO_ALLDONE}, the
 * target is over already: the engine hands the others back and answers {@code AIO_ALLDONE}; a
 * target that runs by the time it is canceled answers {@code AIO_NOTCANCELED}, as glibc's does,
 * and the ones behind it go back to glibc all the same. Taken back and handed over again, a
 * request keeps its block, its aiocb and its submission: its waiters look again (see
 * {@link PosixOperation#pollNative()}) and nobody but the engine learns of it.
 *
 * <p><b>Which requests may be taken back.</b> Only those that notify nobody: glibc's cancel of a
 * request delivers its notification, and a list's notification counts its members' ends. So an
 * operation with a notification of its own, or a member of a {@code LIO_NOWAIT} list with a
 * notification, goes to glibc only while glibc holds at most one request of the descriptor
 * (it then has at most the head ahead of it); otherwise it waits in the engine's queue, and so
 * does everything submitted after it on that descriptor, to keep the order. A request with
 * one of these behind it heads glibc's queue (or is over): its cancel answers
 * {@code AIO_NOTCANCELED} (it runs, or is next to run, possibly still waiting for a worker when
 * all of glibc's are busy). An operation that would not land at the tail of glibc's queue (a
 * smaller {@code aio_reqprio} than the last one glibc holds) waits in the engine's queue too.
 * The engine's queue keeps glibc's order (ascending {@code aio_reqprio}, first come first served
 * among equals; an fsync is never overtaken by what is submitted after it) and its operations
 * are canceled by the engine alone ({@code AIO_CANCELED}; the operation completes with
 * {@code ECANCELED} and its notification is delivered, as glibc delivers a canceled request's).
 * Operations without notification, submitted at one priority (the usual case), never wait
 * there: glibc holds all of them, as many as are submitted.
 *
 * <p><b>Refilling.</b> When a request of glibc is seen complete (by a poll, a wait, a cancel, or
 * the engine's {@link QueuePump}), it leaves its place and the operations waiting here go to
 * glibc as the rules above allow. One that glibc refuses at that point completes with glibc's
 * errno, its notification delivered by the engine. The pump looks every millisecond at the
 * descriptors that have operations waiting here (or members of a list whose notification the
 * engine delivers), so nothing waits for ever when nobody asks.
 *
 * <p>Operations other code in the process submits on the same descriptor through glibc (another
 * posix engine included) are not seen; they would lengthen glibc's queue behind the engine's
 * back, and a cancel of what the engine takes for the last request could strand them.
 */
final class DescriptorQueues {
    /**
     * Requests of one descriptor glibc may hold when one that may not be taken back is handed to
     * it: the head and that one.
     */
    static final int DEPTH_FOR_NOTIFYING = 2;
    private static final int DIRECT_FDS = 4096;
    /** Requests of a descriptor at which glibc is first asked which are over: see {@link #dropCompleted}. */
    static final int ASK_GLIBC_AT = 256;

    /** One descriptor: what glibc holds of it, in glibc's order, and what waits here. */
    static final class Descriptor {
        final int fd;
        final GlibcRequests inGlibc = new GlibcRequests();
        /** The operations waiting here, linked through {@link PosixOperation#nextQueued}. */
        PosixOperation queueHead;
        /** Requests in glibc that count toward a list notification the engine delivers. */
        int noticedInGlibc;
        /** See {@link #dropCompleted}. */
        int askGlibcAt = ASK_GLIBC_AT;
        /** In {@link #watched}; read without the lock by pollers, as a hint (see {@link #needsHandOver}). */
        volatile boolean watched;

        Descriptor(int fd) {
            this.fd = fd;
        }

        boolean needsWatching() {
            return queueHead != null || noticedInGlibc > 0;
        }
    }

    private final PosixEngine engine;
    private final Descriptor[] direct = new Descriptor[DIRECT_FDS];
    private final Map<Integer, Descriptor> others = new HashMap<>();
    /** Descriptors the pump looks at. */
    private final List<Descriptor> watched = new ArrayList<>();
    /** A cancel's requests taken back from glibc, last first; reused. */
    private PosixOperation[] takenBack = new PosixOperation[8];
    private int[] takenBackSubmissions = new int[8];

    DescriptorQueues(PosixEngine engine) {
        this.engine = engine;
    }

    private Descriptor of(int fd) {
        if (fd >= 0 && fd < DIRECT_FDS) {
            Descriptor d = direct[fd];
            if (d == null) {
                d = direct[fd] = new Descriptor(fd);
            }
            return d;
        }
        return others.computeIfAbsent(fd, Descriptor::new);
    }

    /**
     * Without the lock: whether a completion on {@code fd} may let an operation waiting here go
     * to glibc, or count toward a list notification, so that its poller should tell
     * {@link #completed} at once. A stale answer costs at most a pump round.
     */
    boolean needsHandOver(int fd) {
        Descriptor d = fd >= 0 && fd < DIRECT_FDS ? direct[fd] : null;
        return d == null ? fd >= DIRECT_FDS || fd < 0 : d.watched;
    }

    // ---------------------------------------------------------------- submitting

    /**
     * Submits one operation: to glibc if the rules of the class comment allow, else into this
     * queue. Returns 0, or glibc's {@code -errno} when glibc refused it at once.
     */
    int submit(PosixOperation op) {
        Descriptor d = of(op.fd());
        boolean mayTakeBack = op.notifiesNobody();
        if (d.queueHead == null && hasRoom(d, op, mayTakeBack)) {
            int r = op.handToLibc();
            if (r == 0) {
                d.inGlibc.add(op, op.currentSubmission(), null, mayTakeBack);
            }
            return r;
        }
        enqueue(d, op, null);
        return 0;
    }

    /**
     * For a list: true if {@code op} goes into the {@code lio_listio} call (its place in glibc is
     * taken now and given back by {@link #notQueuedByList} if glibc does not queue it); false if
     * it was queued here. List members are admitted in list order, as glibc queues a list;
     * {@code listNotifies}: the list has a notification (a {@code LIO_NOWAIT} list with a
     * sigevent), which counts its members' ends.
     */
    boolean admitToList(PosixOperation op, boolean listNotifies) {
        Descriptor d = of(op.fd());
        boolean mayTakeBack = !listNotifies && op.notifiesNobody();
        if (d.queueHead == null && hasRoom(d, op, mayTakeBack)) {
            d.inGlibc.add(op, op.currentSubmission(), null, mayTakeBack);
            return true;
        }
        enqueue(d, op, null);
        return false;
    }

    /**
     * Whether glibc may be given {@code op} now (nothing of its descriptor waiting here): one that
     * may be taken back if it lands at the tail of glibc's queue, any other while glibc holds at
     * most one request of the descriptor.
     */
    private static boolean hasRoom(Descriptor d, PosixOperation op, boolean mayTakeBack) {
        dropCompleted(d);
        if (mayTakeBack) {
            return d.inGlibc.landsAtTail(GlibcRequests.priorityOf(op));
        }
        return d.inGlibc.size() < DEPTH_FOR_NOTIFYING;
    }

    /**
     * Forgets the requests of {@code d} known to be over. Those whose outcome is recorded leave
     * from the head ({@link GlibcRequests#dropRecordedHead()}); so that one nobody ever asks
     * about cannot hold all the others behind it, glibc is asked about each whenever the
     * descriptor's count reaches twice what it was after the last such round (at least
     * {@link #ASK_GLIBC_AT}).
     */
    private static void dropCompleted(Descriptor d) {
        GlibcRequests q = d.inGlibc;
        q.dropRecordedHead();
        if (q.size() < d.askGlibcAt) {
            return;
        }
        removeCompleted(d);
        d.askGlibcAt = Math.max(ASK_GLIBC_AT, 2 * q.size());
    }

    /**
     * Makes the current submission of list member {@code op} (just admitted to glibc or queued
     * here) count toward {@code notice}.
     */
    void attachNotice(PosixOperation op, ListNotice notice) {
        Descriptor d = of(op.fd());
        if (op.isQueuedHere()) {
            op.noticeWhileQueued(notice);
            return;
        }
        int at = d.inGlibc.indexOf(op, op.currentSubmission());
        if (at < 0) {
            throw new IllegalStateException(op.describe() + " was admitted to its list but is neither queued here"
                    + " nor in glibc");
        }
        d.inGlibc.setNotice(at, notice);
        d.noticedInGlibc++;
        watch(d);
    }

    /** A list member admitted by {@link #admitToList} that glibc did not queue. */
    void notQueuedByList(PosixOperation op) {
        Descriptor d = of(op.fd());
        removeFromGlibc(d, op, op.currentSubmission());
        refill(d);
    }

    private void enqueue(Descriptor d, PosixOperation op, ListNotice notice) {
        op.enqueued(notice);
        PosixOperation prev = null;
        PosixOperation at = d.queueHead;
        if (op.kind() != dev.jaio.internal.OpKind.FSYNC) {
            // glibc's order: ascending aio_reqprio, first come first served; never ahead of an fsync.
            PosixOperation lastFsync = null;
            for (PosixOperation p = d.queueHead; p != null; p = p.nextQueued) {
                if (p.kind() == dev.jaio.internal.OpKind.FSYNC) {
                    lastFsync = p;
                }
            }
            if (lastFsync != null) {
                prev = lastFsync;
                at = lastFsync.nextQueued;
            }
            while (at != null && at.priority() <= op.priority()) {
                prev = at;
                at = at.nextQueued;
            }
        } else {
            while (at != null) {
                prev = at;
                at = at.nextQueued;
            }
        }
        op.nextQueued = at;
        if (prev == null) {
            d.queueHead = op;
        } else {
            prev.nextQueued = op;
        }
        watch(d);
    }

    private void addToGlibc(Descriptor d, PosixOperation op, int submission, ListNotice notice) {
        d.inGlibc.add(op, submission, notice, notice == null && op.notifiesNobody());
        if (notice != null) {
            d.noticedInGlibc++;
            watch(d);
        }
    }

    /**
     * Removes submission {@code submission} of {@code op} from glibc's places, counting it down in
     * its list notification (it is over, or was never queued). Returns whether it was there.
     */
    private boolean removeFromGlibc(Descriptor d, PosixOperation op, int submission) {
        int i = d.inGlibc.indexOf(op, submission);
        if (i < 0) {
            return false;
        }
        removeAt(d, i);
        return true;
    }

    private static void removeAt(Descriptor d, int i) {
        ListNotice notice = d.inGlibc.notice(i);
        d.inGlibc.remove(i);
        if (notice != null) {
            d.noticedInGlibc--;
            notice.memberDone();
        }
    }

    // ---------------------------------------------------------------- completions and refills

    /**
     * Submission {@code submission} of {@code op}, handed to glibc, is complete (its outcome is
     * recorded): it leaves its place in glibc, and the operations waiting here may follow.
     */
    void completed(PosixOperation op, int submission) {
        Descriptor d = of(op.fd());
        if (removeFromGlibc(d, op, submission)) {
            refill(d);
        }
    }

    /** Asks glibc about the requests of {@code fd} it holds, and refills: see {@link #observe}. */
    void advance(int fd) {
        observe(of(fd));
    }

    /**
     * Records the outcome of every request of {@code d} that glibc has completed (so its place is
     * free), then hands glibc the operations waiting here while the rules allow.
     */
    private void observe(Descriptor d) {
        removeCompleted(d);
        refill(d);
    }

    /** Asks glibc about each request of {@code d} it holds; those it completed are recorded and leave. */
    private static void removeCompleted(Descriptor d) {
        GlibcRequests q = d.inGlibc;
        for (int i = 0; i < q.size(); ) {
            if (q.op(i).outcomeInLibc(q.submission(i)) == dev.jaio.internal.Operation.PENDING) {
                i++;
            } else {
                removeAt(d, i);
            }
        }
    }

    private void refill(Descriptor d) {
        while (d.queueHead != null) {
            PosixOperation op = d.queueHead;
            if (!hasRoom(d, op, op.notifiesNobody() && op.queuedNotice() == null)) {
                break;
            }
            d.queueHead = op.nextQueued;
            op.nextQueued = null;
            ListNotice notice = op.dequeued();
            int submission = op.currentSubmission();
            int r = op.handToLibc();
            if (r == 0) {
                addToGlibc(d, op, submission, notice);
            } else {
                // Accepted by the engine, refused by glibc now (out of threads or memory): the
                // operation completes with glibc's errno, and its notification is owed.
                op.completeHere(r, submission);
                if (notice != null) {
                    notice.memberDone();
                }
            }
        }
        unwatchIfIdle(d);
    }

    // ---------------------------------------------------------------- canceling

    /**
     * {@code aio_cancel(fd, op)} for the current submission of {@code op}, which is in progress
     * with no outcome recorded: 0, 1, 2 as {@code AioCancelStat}'s order, or {@code -errno}.
     */
    int cancel(PosixOperation op) {
        Descriptor d = of(op.fd());
        int submission = op.currentSubmission();
        if (op.isQueuedHere()) {
            unlink(d, op);
            ListNotice notice = op.dequeued();
            op.completeHere(-Errno.ECANCELED.code(), submission);
            if (notice != null) {
                notice.memberDone();
            }
            unwatchIfIdle(d);
            return PosixAio.AIO_CANCELED;
        }
        observe(d);
        GlibcRequests q = d.inGlibc;
        int at = q.indexOf(op, submission);
        if (at < 0) {
            return PosixAio.AIO_ALLDONE; // its completion was just recorded
        }
        for (int i = at + 1; i < q.size(); i++) {
            if (!q.mayTakeBack(i)) {
                return PosixAio.AIO_NOTCANCELED; // it heads glibc's queue: see the class comment
            }
        }
        int taken = 0;
        int r = 0;
        while (q.size() > at + 1) {
            int last = q.size() - 1;
            PosixOperation behind = q.op(last);
            int behindSubmission = q.submission(last);
            behind.beginTakeBack();
            int c = PosixAio.aioCancel(op.fd(), behind.aiocb);
            if (c != PosixAio.AIO_CANCELED) {
                behind.endTakeBack();
                // It runs (AIO_NOTCANCELED) or is over (AIO_ALLDONE): glibc runs the descriptor's
                // requests in order, so the target is over. Or the cancel failed (-errno: the
                // descriptor was closed meanwhile, say): the target stays as it is.
                r = c < 0 ? c : PosixAio.AIO_ALLDONE;
                break;
            }
            q.remove(last);
            if (taken == takenBack.length) {
                takenBack = java.util.Arrays.copyOf(takenBack, 2 * taken);
                takenBackSubmissions = java.util.Arrays.copyOf(takenBackSubmissions, 2 * taken);
            }
            takenBack[taken] = behind;
            takenBackSubmissions[taken++] = behindSubmission;
        }
        if (q.size() == at + 1) {
            r = PosixAio.aioCancel(op.fd(), op.aiocb); // now glibc's last request of the descriptor
        }
        handBack(d, taken);
        observe(d);
        return r;
    }

    /**
     * Hands glibc again, in their order, the {@code taken} requests a cancel took back (last
     * first in {@link #takenBack}); each lands at the tail, as it did before.
     */
    private void handBack(Descriptor d, int taken) {
        for (int i = taken - 1; i >= 0; i--) {
            PosixOperation op = takenBack[i];
            int submission = takenBackSubmissions[i];
            takenBack[i] = null;
            // A thread may still sit in aio_suspend on the request glibc just canceled; it was
            // woken and leaves at once, but the aiocb must not say EINPROGRESS again before it
            // has unlinked itself (see PosixOperation.awaitNoSuspender). Pin holders never wait
            // for the submit lock held here.
            op.awaitNoSuspender();
            int r = op.handToLibc();
            if (r == 0) {
                d.inGlibc.add(op, submission, null, true);
            } else {
                // glibc is out of threads or memory right now: the operation fails with its errno,
                // as if glibc had refused it at submission.
                op.completeHere(r, submission);
            }
            op.endTakeBack();
        }
    }

    /**
     * {@code aio_cancel(fd, NULL)}: cancels everything waiting here on {@code fd}, then asks glibc
     * to cancel what it holds (which strands nothing, as it takes the whole queue).
     */
    int cancelAll(int fd) {
        Descriptor d = of(fd);
        int canceledHere = 0;
        while (d.queueHead != null) {
            PosixOperation op = d.queueHead;
            d.queueHead = op.nextQueued;
            op.nextQueued = null;
            ListNotice notice = op.dequeued();
            op.completeHere(-Errno.ECANCELED.code(), op.currentSubmission());
            if (notice != null) {
                notice.memberDone();
            }
            canceledHere++;
        }
        int r = PosixAio.aioCancel(fd, java.lang.foreign.MemorySegment.NULL);
        observe(d);
        if (r < 0 || r == PosixAio.AIO_NOTCANCELED || canceledHere == 0) {
            return r;
        }
        return PosixAio.AIO_CANCELED;
    }

    private static void unlink(Descriptor d, PosixOperation op) {
        PosixOperation prev = null;
        for (PosixOperation p = d.queueHead; p != null; prev = p, p = p.nextQueued) {
            if (p == op) {
                if (prev == null) {
                    d.queueHead = op.nextQueued;
                } else {
                    prev.nextQueued = op.nextQueued;
                }
                op.nextQueued = null;
                return;
            }
        }
        throw new IllegalStateException(op.describe() + " is marked queued but is not in its descriptor's queue");
    }

    // ---------------------------------------------------------------- waits, freeing, the pump

    /**
     * The request glibc holds last on the descriptor of {@code op}, which waits here (after
     * refilling): a wait for {@code op} waits for it. glibc runs a descriptor's requests one
     * after another, so when the last is over all places are free and the waiter hands glibc
     * what waits here at once. Null if {@code op} no longer waits here.
     */
    PosixOperation lastAheadOf(PosixOperation op) {
        Descriptor d = of(op.fd());
        observe(d);
        if (!op.isQueuedHere() || d.inGlibc.size() == 0) {
            return null;
        }
        return d.inGlibc.op(d.inGlibc.size() - 1);
    }

    /** {@code op} is being freed (its I/O is over): nothing may refer to it any more. */
    void forget(PosixOperation op) {
        Descriptor d = op.fd() >= 0 && op.fd() < DIRECT_FDS ? direct[op.fd()] : others.get(op.fd());
        if (d == null) {
            return;
        }
        for (int i = d.inGlibc.size() - 1; i >= 0; i--) {
            if (d.inGlibc.op(i) == op) {
                removeAt(d, i);
            }
        }
        if (op.isQueuedHere()) {
            unlink(d, op);
            ListNotice notice = op.dequeued();
            if (notice != null) {
                notice.memberDone();
            }
        }
        refill(d);
    }

    /** The pump's round: observes every watched descriptor. True while any still needs watching. */
    boolean pump() {
        for (int i = watched.size() - 1; i >= 0; i--) {
            if (i < watched.size()) {
                observe(watched.get(i));
            }
        }
        return !watched.isEmpty();
    }

    /** Whether the pump has anything to look at. */
    boolean anyWatched() {
        return !watched.isEmpty();
    }

    private void watch(Descriptor d) {
        if (!d.watched && d.needsWatching()) {
            d.watched = true;
            watched.add(d);
            engine.pump.wake();
        }
    }

    private void unwatchIfIdle(Descriptor d) {
        if (d.watched && !d.needsWatching()) {
            d.watched = false;
            watched.remove(d);
        }
    }
}
