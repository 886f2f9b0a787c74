package dev.jaio.internal.posix;

import dev.jaio.Errno;
import dev.jaio.internal.ffi.PosixAio;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The posix engine's per-descriptor queues: glibc is given at most two requests of a descriptor
 * at a time, and the others wait here, so that canceling any operation that is only queued is
 * safe from glibc 2.36's stranded queue.
 *
 * <p><b>The glibc defect (seen in 2.36).</b> glibc keeps, per descriptor, a queue whose head is
 * the request being run or waiting for a worker thread, followed by the others in priority
 * order. A head that waits for a worker is on glibc's run list in state "yes". Canceling such a
 * head while a request is queued behind it removes the head from the run list and marks the next
 * request "yes", but never puts that one on the run list: it, and everything behind it, stays
 * {@code EINPROGRESS} for ever. Whether a request is the head cannot be known race-free from
 * outside glibc (the requests ahead of it may complete between any check and the cancel; glibc's
 * mutex is private).
 *
 * <p><b>The way around it.</b> Every method runs under the engine's submit lock, which every
 * hand-over to glibc also holds. glibc holds at most two requests of a descriptor that this engine
 * submitted: the first (running, or next to run) and one behind it; a new operation goes to glibc
 * only while the descriptor has fewer than two there and nothing waits here, else it waits here,
 * in glibc's own order (ascending {@code aio_reqprio}, first come first served among equals; an
 * fsync is never overtaken by what is submitted after it). So under the lock, a request of glibc
 * with another ahead of it is glibc's last on that descriptor and its cancel strands nothing, and
 * a request alone in glibc has nothing behind it. A cancel therefore answers:
 * <ul>
 *   <li>queued here: canceled by the engine alone ({@code AIO_CANCELED}; the operation completes
 *       with {@code ECANCELED} and its notification is delivered, as glibc delivers a canceled
 *       request's);</li>
 *   <li>alone in glibc, or the second there: glibc's {@code aio_cancel}, whose answer is kept;</li>
 *   <li>the first in glibc with one behind it: {@code AIO_NOTCANCELED} (it runs, or is next to
 *       run). This is what remains of the defect: such a request may in fact still wait for a
 *       worker thread, when all of glibc's are busy.</li>
 * </ul>
 *
 * <p><b>Refilling.</b> When a request of glibc is seen complete (by whoever asks first: a poll,
 * a wait, a cancel, or the engine's {@link QueuePump}), it leaves its place and the next
 * operation waiting here is handed to glibc. An operation that glibc refuses at that point
 * completes with glibc's errno, its notification delivered by the engine. The pump looks every
 * millisecond at the descriptors that have operations waiting here (or members of a list whose
 * notification the engine delivers), so nothing waits for ever when nobody asks.
 *
 * <p>Operations other code in the process submits on the same descriptor through glibc are not
 * seen; they would lengthen glibc's queue behind the engine's back.
 */
final class DescriptorQueues {
    /** Requests of one descriptor glibc holds at most. */
    static final int IN_GLIBC = 2;
    private static final int DIRECT_FDS = 4096;

    /** One descriptor: what glibc holds of it, in glibc's order, and what waits here. */
    static final class Descriptor {
        final int fd;
        final PosixOperation[] glibcOps = new PosixOperation[IN_GLIBC];
        final int[] glibcSubmissions = new int[IN_GLIBC];
        final ListNotice[] glibcNotices = new ListNotice[IN_GLIBC];
        int inGlibc;
        /** The operations waiting here, linked through {@link PosixOperation#nextQueued}. */
        PosixOperation queueHead;
        /** Requests in glibc that count toward a list notification the engine delivers. */
        int noticedInGlibc;
        /** In {@link #watched}. */
        boolean watched;

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

    // ---------------------------------------------------------------- submitting

    /**
     * Submits one operation: to glibc if its descriptor has room there, else into this queue.
     * Returns 0, or glibc's {@code -errno} when glibc refused it at once.
     */
    int submit(PosixOperation op) {
        Descriptor d = of(op.fd());
        if (d.inGlibc < IN_GLIBC && d.queueHead == null) {
            int r = op.handToLibc();
            if (r == 0) {
                addToGlibc(d, op, op.currentSubmission(), null);
            }
            return r;
        }
        enqueue(d, op, null);
        return 0;
    }

    /**
     * For a list: true if {@code op} goes into the {@code lio_listio} call (its place in glibc is
     * taken now and given back by {@link #notQueuedByList} if glibc does not queue it); false if
     * it was queued here. List members are admitted in list order, as glibc queues a list.
     */
    boolean admitToList(PosixOperation op) {
        Descriptor d = of(op.fd());
        if (d.inGlibc < IN_GLIBC && d.queueHead == null) {
            addToGlibc(d, op, op.currentSubmission(), null);
            return true;
        }
        enqueue(d, op, null);
        return false;
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
        int at = placeInGlibc(d, op, op.currentSubmission());
        if (at < 0) {
            throw new IllegalStateException(op.describe() + " was admitted to its list but is neither queued here"
                    + " nor in glibc");
        }
        d.glibcNotices[at] = notice;
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
        d.glibcOps[d.inGlibc] = op;
        d.glibcSubmissions[d.inGlibc] = submission;
        d.glibcNotices[d.inGlibc] = notice;
        d.inGlibc++;
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
        for (int i = 0; i < d.inGlibc; i++) {
            if (d.glibcOps[i] == op && d.glibcSubmissions[i] == submission) {
                ListNotice notice = d.glibcNotices[i];
                for (int j = i + 1; j < d.inGlibc; j++) {
                    d.glibcOps[j - 1] = d.glibcOps[j];
                    d.glibcSubmissions[j - 1] = d.glibcSubmissions[j];
                    d.glibcNotices[j - 1] = d.glibcNotices[j];
                }
                d.inGlibc--;
                d.glibcOps[d.inGlibc] = null;
                d.glibcNotices[d.inGlibc] = null;
                if (notice != null) {
                    d.noticedInGlibc--;
                    notice.memberDone();
                }
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- completions and refills

    /**
     * Submission {@code submission} of {@code op}, handed to glibc, is complete (its outcome is
     * recorded): it leaves its place in glibc, and the next operation waiting here takes it.
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
     * free), then hands glibc the operations waiting here while it has room.
     */
    private void observe(Descriptor d) {
        for (int i = 0; i < d.inGlibc; ) {
            PosixOperation op = d.glibcOps[i];
            int submission = d.glibcSubmissions[i];
            long r = op.outcomeInLibc(submission);
            if (r == dev.jaio.internal.Operation.PENDING) {
                i++;
                continue;
            }
            removeFromGlibc(d, op, submission);
        }
        refill(d);
    }

    private void refill(Descriptor d) {
        while (d.inGlibc < IN_GLIBC && d.queueHead != null) {
            PosixOperation op = d.queueHead;
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
        int at = placeInGlibc(d, op, submission);
        if (at < 0) {
            return PosixAio.AIO_ALLDONE; // its completion was just recorded
        }
        if (at == 0 && d.inGlibc > 1) {
            return PosixAio.AIO_NOTCANCELED; // it runs, or runs next: see the class comment
        }
        int r = PosixAio.aioCancel(op.fd(), op.aiocb);
        observe(d);
        return r;
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

    private static int placeInGlibc(Descriptor d, PosixOperation op, int submission) {
        for (int i = 0; i < d.inGlibc; i++) {
            if (d.glibcOps[i] == op && d.glibcSubmissions[i] == submission) {
                return i;
            }
        }
        return -1;
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
     * after another, so when the last is over both places are free and the waiter hands glibc two
     * operations at once; waking for the first as well would cost a thread switch per operation.
     * Returns how many were put into {@code out}: 1, or 0 if {@code op} no longer waits here.
     */
    int aheadOf(PosixOperation op, PosixOperation[] out) {
        Descriptor d = of(op.fd());
        observe(d);
        if (!op.isQueuedHere() || d.inGlibc == 0) {
            return 0;
        }
        out[0] = d.glibcOps[d.inGlibc - 1];
        return 1;
    }

    /** {@code op} is being freed (its I/O is over): nothing may refer to it any more. */
    void forget(PosixOperation op) {
        Descriptor d = op.fd() >= 0 && op.fd() < DIRECT_FDS ? direct[op.fd()] : others.get(op.fd());
        if (d == null) {
            return;
        }
        for (int i = d.inGlibc - 1; i >= 0; i--) {
            if (d.glibcOps[i] == op) {
                removeFromGlibc(d, op, d.glibcSubmissions[i]);
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
