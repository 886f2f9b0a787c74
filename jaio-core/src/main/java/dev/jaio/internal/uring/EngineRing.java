package dev.jaio.internal.uring;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;

/**
 * One of the io_uring engine's rings, with what belongs to it alone: its queues, the lock of
 * each side, its in-flight count and the operations its last refused submission withdrew. The
 * engine ({@link UringEngine}) does all the work; this holds its state, so that each ring is
 * locked on its own and threads on different rings never meet.
 *
 * <p>Locks, always taken in this order: the engine's order lock (if at all), then
 * {@link #submitLock}, then {@link #reapLock}. Monitors, not {@code ReentrantLock}s: a contended
 * {@code ReentrantLock} allocates a queue node per waiting thread.
 */
final class EngineRing {
    /** Position in the engine's ring table, for messages. */
    final int index;
    final IoUring ring;
    final SubmissionQueue sq;
    final CompletionQueue cq;
    /** The submission queue's one producer at a time, and {@link #withdrawn}. */
    final Object submitLock = new Object();
    /** The completion queue's one consumer at a time. */
    final Object reapLock = new Object();
    /**
     * SQEs submitted and not yet reaped: paces submissions when the kernel could drop CQEs, and
     * tells {@link #reaperArming} whether the reaper must be woken for this ring.
     */
    final AtomicInteger inFlight = new AtomicInteger();
    /** Without IORING_FEAT_NODROP, the CQ's size; else unlimited (see the engine's constructor). */
    final int maxInFlight;
    /**
     * Operations whose SQEs the last refused flush withdrew, oldest first; whoever called the
     * flush fails them and empties the list. Under submitLock.
     */
    final List<UringOperation> withdrawn = new ArrayList<>();
    /**
     * True while a submitter waits in the kernel for its list, holding {@link #reapLock}: it
     * reaps everything when the wait ends, so the reaper thread need not queue for the lock.
     */
    volatile boolean submitterWaits;
    /**
     * SQEs prepared but not yet given to the kernel: deferred submissions (see
     * {@link UringEngine#submitOneDeferrable}), submitted by the ring's next flush. Written under
     * submitLock, read anywhere.
     */
    volatile int deferred;
    /** Flushes that gave the kernel deferred SQEs of this ring; written under submitLock. */
    volatile long deferredFlushes;
    /** How often the {@link SubmissionFlusher} had to submit this ring's deferred SQEs several times in a row; written by its thread. */
    volatile long staleFlushes;
    /** {@link #deferredFlushes} at the {@link SubmissionFlusher}'s previous look; its thread only. */
    long deferredFlushesSeen = -1;
    /** {@link #deferredFlushes} right after the {@link SubmissionFlusher}'s last flush of this ring; its thread only. */
    long deferredFlushesAfterRescue = -1;
    /** The {@link SubmissionFlusher}'s rescues of this ring with no other flush between; its thread only. */
    int rescuesInARow;
    /**
     * Operations virtual threads handed to the ring's combiner, newest first, linked through
     * {@link UringOperation#nextIncoming}; see {@code UringEngine#submitCombined}. Pushed with a
     * CAS by any thread, taken whole by the combiner.
     */
    final AtomicReference<UringOperation> incoming = new AtomicReference<>();
    /** Whether a thread is the ring's combiner now: it takes {@link #incoming} and submits it. */
    final AtomicBoolean combining = new AtomicBoolean();
    /**
     * True while a thread reaps the ring (inside {@link #reapLock}): a combiner then leaves the
     * completions of what it submitted to that thread, whose last look at the ring comes after.
     */
    volatile boolean reaping;
    /** Whether the kernel wakes the reaper for this ring's completions. Under reapLock. */
    final ReaperArming reaperArming;
    /** Called by {@link SubmissionQueue#withdrawUnconsumed} for each withdrawn SQE's user_data. */
    final LongConsumer onWithdrawn;
    /** The ring's registered-file table, or null when the engine has none. */
    final RegisteredFiles files;

    EngineRing(int index, IoUring ring, RegisteredFiles files, LongConsumer onWithdrawn) {
        this.index = index;
        this.files = files;
        this.ring = ring;
        this.sq = ring.submissionQueue();
        this.cq = ring.completionQueue();
        this.onWithdrawn = onWithdrawn;
        this.reaperArming = new ReaperArming(cq);
        // Without IORING_FEAT_NODROP (before 5.5) a completion that does not fit the CQ is lost:
        // then never have more in flight than it holds. With it (every kernel that has
        // IORING_OP_READ, which jaio needs), the kernel keeps overflowing completions itself, and a
        // limit here could only deadlock: operations that wait for something (a pipe, a socket)
        // would hold back the submission of the very one that unblocks them.
        this.maxInFlight = ring.features().noDrop() ? Integer.MAX_VALUE : cq.entries();
    }

    @Override
    public String toString() {
        return "ring " + index + " (" + ring + ")";
    }
}
