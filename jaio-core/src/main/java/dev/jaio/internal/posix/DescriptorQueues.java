package dev.jaio.internal.posix;

import dev.jaio.Errno;
import dev.jaio.internal.ffi.PosixAio;

/**
 * What the engine knows of glibc's per-descriptor request queues, so that a single cancel is
 * handed to glibc only where glibc's {@code aio_cancel} cannot strand a queue.
 *
 * <p><b>The glibc defect (seen in 2.36).</b> glibc keeps, per descriptor, a queue whose head is
 * the request being run or waiting for a worker thread, followed by the others in priority
 * order (first come first served among equal priorities); a request never overtakes the head. A
 * head that waits for a worker is on glibc's run list in state "yes"; one a worker has taken is
 * "allocated" (running: {@code aio_cancel} answers {@code AIO_NOTCANCELED}). Canceling a head in
 * state "yes" that has a request behind it removes the head from the run list and marks the next
 * request "yes", but never puts that one on the run list: it, and everything behind it, stays
 * {@code EINPROGRESS} for ever. A head is in that state while every worker thread is busy, or
 * for the moment between a submission and an idle worker taking it. Canceling a request that is
 * not the head (it only unlinks it), or a head with nothing behind it, is safe.
 *
 * <p><b>So a cancel is safe when</b> the operation has nothing behind it (it is the last one
 * submitted on the descriptor and no other one with a priority is unfinished), or when it is
 * not the head: an operation submitted before it on the descriptor, with a priority not lower
 * than its own, is still {@code EINPROGRESS} after the cancel. glibc completes a request, takes
 * it out of its queue and promotes the next one under the one mutex {@code aio_error} and
 * {@code aio_cancel} also take, so such an operation was ahead in the queue when the cancel ran.
 * It is looked for before the cancel (none: {@code AIO_NOTCANCELED}) and again after it. Left
 * open: when every operation ahead completes between the two looks, the operation may have been
 * promoted to head and canceled while it waited on glibc's run list; that needs glibc's private
 * mutex to rule out, so the engine logs it (WARNING) when an operation is queued behind.
 *
 * <p>Queue order is modelled from what this engine submitted, under the engine's submit lock
 * (held by every caller here): per descriptor, an intrusive list of its operations in the order
 * of their last submission (no allocation per operation). Operations other code in the process
 * submits on the same descriptor through glibc are not seen, and glibc's order also depends on
 * the scheduling priority of the submitting thread, which is assumed to be the same for all.
 * Descriptors at or above {@link #TRACKED_FDS} are not modelled: a single operation on them is
 * never handed to glibc's cancel.
 */
final class DescriptorQueues {
    /** Descriptors below this number are modelled. */
    static final int TRACKED_FDS = 4096;

    private long sequence;
    /** Per descriptor: the sequence of the last submission on it. */
    private final long[] lastSubmitted = new long[TRACKED_FDS];
    /** Per descriptor: operations with a priority other than 0 submitted and not yet finished. */
    private final int[] prioritizedInFlight = new int[TRACKED_FDS];
    /** Per descriptor: the operation submitted last; older ones through {@link PosixOperation#olderOnFd}. */
    private final PosixOperation[] newest = new PosixOperation[TRACKED_FDS];

    /** Records a submission libc accepted; returns its sequence. */
    long submitted(PosixOperation op) {
        long s = ++sequence;
        int fd = op.fd();
        if (tracked(fd)) {
            lastSubmitted[fd] = s;
            if (op.priority() != 0) {
                prioritizedInFlight[fd]++;
            }
            unlink(op);
            op.olderOnFd = newest[fd];
            if (newest[fd] != null) {
                newest[fd].newerOnFd = op;
            }
            newest[fd] = op;
            op.linked = true;
        }
        return s;
    }

    /** A prioritized operation recorded by {@link #submitted} is finished (returned or freed). */
    void finishedPrioritized(PosixOperation op) {
        if (tracked(op.fd())) {
            prioritizedInFlight[op.fd()]--;
        }
    }

    /** The operation is being freed: forget it. */
    void forget(PosixOperation op) {
        unlink(op);
    }

    /** Whether nothing this engine submitted on the descriptor can be queued behind {@code op}. */
    boolean nothingBehind(PosixOperation op) {
        int fd = op.fd();
        if (!tracked(fd) || lastSubmitted[fd] != op.sequence) {
            return false;
        }
        int others = prioritizedInFlight[fd] - (op.prioritizedInFlight ? 1 : 0);
        return others == 0;
    }

    /**
     * Whether an operation certainly ahead of {@code op} in glibc's queue is still there: one
     * submitted before it on the descriptor, with a priority not lower, still
     * {@code EINPROGRESS}. Asks libc ({@code aio_error}) for each candidate.
     */
    boolean somethingAhead(PosixOperation op) {
        if (!tracked(op.fd()) || !op.linked) {
            return false;
        }
        for (PosixOperation x = op.olderOnFd; x != null; x = x.olderOnFd) {
            if (x.priority() <= op.priority() && PosixAio.aioError(x.aiocb) == Errno.EINPROGRESS.code()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether an operation that may be queued behind {@code op} is still {@code EINPROGRESS}:
     * one submitted after it on the descriptor, or before it with a lower priority.
     */
    boolean somethingBehind(PosixOperation op) {
        if (!tracked(op.fd()) || !op.linked) {
            return true;
        }
        for (PosixOperation x = newest[op.fd()]; x != null; x = x.olderOnFd) {
            boolean maybeBehind = x.sequence > op.sequence || x.priority() > op.priority();
            if (x != op && maybeBehind && PosixAio.aioError(x.aiocb) == Errno.EINPROGRESS.code()) {
                return true;
            }
        }
        return false;
    }

    private void unlink(PosixOperation op) {
        if (!op.linked) {
            return;
        }
        int fd = op.fd();
        if (op.newerOnFd != null) {
            op.newerOnFd.olderOnFd = op.olderOnFd;
        } else {
            newest[fd] = op.olderOnFd;
        }
        if (op.olderOnFd != null) {
            op.olderOnFd.newerOnFd = op.newerOnFd;
        }
        op.olderOnFd = null;
        op.newerOnFd = null;
        op.linked = false;
    }

    private static boolean tracked(int fd) {
        return fd >= 0 && fd < TRACKED_FDS;
    }
}
