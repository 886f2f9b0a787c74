package dev.jaio.internal.uring;

/**
 * Whether the kernel wakes the engine's reaper thread for one ring's completions: the eventfd
 * the engine registers with every ring is armed only while the ring has operations in the kernel
 * that no thread is reaping. A thread that submits reaps right after its {@code io_uring_enter}
 * (a read from the page cache is complete by then); waking the reaper for what it already
 * reaped would cost a {@code read} of the eventfd per operation, and the woken reaper would
 * queue for the ring's reap lock.
 *
 * <p><b>The protocol.</b> A ring starts with {@code IORING_CQ_EVENTFD_DISABLED} set. At the end of
 * every reap of the ring, with its reap lock held, the reaping thread calls {@link #settle}:
 * <ul>
 *   <li>operations in flight and the eventfd off: switch it on, then reap once more. A completion
 *       posted between the reap and the switch signalled nothing, and is found in the ring by
 *       that second reap; one posted after it signals the eventfd (see
 *       {@link CompletionQueue#signalEventFd}: a full fence on our side, the kernel's
 *       {@code smp_mb} between publishing a completion and reading the flag on its side);</li>
 *   <li>nothing in flight and the eventfd on: switch it off;</li>
 *   <li>otherwise: nothing to do.</li>
 * </ul>
 * A thread that waits in the kernel for the ring's completions, holding its reap lock, switches
 * the eventfd off for the wait ({@link #quietDuringWait}): it reaps whatever completes,
 * and settles, before it lets go of the lock.
 *
 * <p><b>Why no completion is stranded.</b> An operation counts in its ring's
 * {@link EngineRing#inFlight} from before its SQE is submitted until its CQE is reaped, and every
 * thread that submits to a ring reaps that ring after its {@code io_uring_enter} (the engine's
 * submit paths all end in {@code reapNow}), or, a virtual threads' combiner, finds another thread
 * inside {@code reapNow} before its settle (the ring's {@code reaping} flag, cleared just before
 * the settle): that settle then reads a count that includes the combiner's operations, and plays
 * the part of the combiner's own. Take a completion posted while the eventfd is off.
 * Either it was switched off while the operation was already counted: impossible, {@link #settle}
 * switches off only when it finds nothing in flight. Or the operation was counted after that
 * settle read the count; then its submitter's reap after submitting takes the reap lock after that
 * settle released it, and either reaps the completion or finds the operation in flight and
 * switches the eventfd on, then reaps again: the completion is reaped by the submitter or
 * signalled to the reaper. The reap lock orders the two settles, so no compare-and-set is needed.
 *
 * <p>Kernels before 5.8 have no CQ flags word: there the eventfd stays on, as it always was.
 *
 * <p>Threads: under the ring's reap lock, like its {@link CompletionQueue}.
 */
final class ReaperArming {
    private final CompletionQueue cq;
    /** Whether the kernel honours IORING_CQ_EVENTFD_DISABLED (5.8). */
    private final boolean switchable;
    /** Whether the eventfd is on: our copy of the flag, which only we write. */
    private boolean armed;

    /** Switches the eventfd of {@code cq}'s ring off, where the kernel allows. Before the ring's first submission. */
    ReaperArming(CompletionQueue cq) {
        this.cq = cq;
        this.switchable = cq.hasFlags();
        if (switchable) {
            cq.signalEventFd(false);
        }
        this.armed = !switchable;
    }

    /**
     * Arms or disarms the eventfd for what is in flight on the ring now. Under its reap lock, right
     * after a reap.
     *
     * @param inFlight the ring's operations submitted and not yet reaped
     * @return true if the eventfd was just switched on: the caller reaps the ring once more,
     *         for the completions posted before the switch
     */
    boolean settle(int inFlight) {
        if (!switchable) {
            return false;
        }
        if (inFlight > 0) {
            if (!armed) {
                armed = true;
                cq.signalEventFd(true);
                return true;
            }
        } else if (armed) {
            armed = false;
            cq.signalEventFd(false);
        }
        return false;
    }

    /**
     * Switches the eventfd off while the calling thread waits in the kernel for the ring's
     * completions ({@code io_uring_enter} with {@code GETEVENTS}), holding the reap lock: it reaps
     * all of them when the wait ends, then {@link #settle}s, so waking the reaper for them would
     * only have it find the ring taken (it skips a ring while its submitter waits). Under the
     * ring's reap lock, held until that settle.
     */
    void quietDuringWait() {
        if (switchable && armed) {
            armed = false;
            cq.signalEventFd(false);
        }
    }

    /** Whether the kernel signals the eventfd for this ring's completions now; for tests and messages. */
    boolean armed() {
        return armed;
    }
}
