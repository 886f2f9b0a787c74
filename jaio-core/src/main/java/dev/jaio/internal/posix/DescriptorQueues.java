package dev.jaio.internal.posix;

/**
 * What the engine knows of glibc's per-descriptor request queues, so that a single cancel is
 * handed to glibc only where glibc's {@code aio_cancel} cannot strand a queue.
 *
 * <p><b>The glibc defect (seen in 2.36).</b> glibc keeps, per descriptor, a queue whose head is
 * the request being run or waiting for a worker thread, followed by the others in priority
 * order (first come first served among equal priorities). A head that waits for a worker is on
 * glibc's run list in state "yes". Canceling such a head while a request is queued behind it
 * removes the head from the run list and marks the next request "yes", but never puts that one on
 * the run list: it, and everything behind it, stays {@code EINPROGRESS} for ever. A head is in
 * that state while every worker thread is busy, or for the moment between the completion of the
 * request before it (or its submission) and an idle worker taking it.
 *
 * <p><b>So a cancel is handed to glibc only when nothing can be queued behind the operation</b>:
 * it is the last one this engine submitted on the descriptor, and no other operation there with
 * a priority (which could have been ordered behind it) is unfinished. Any other operation is
 * answered {@code AIO_NOTCANCELED}, which POSIX allows, and runs to its end. Canceling a request
 * that is not the head would be safe, but whether it still is not the head cannot be known
 * without glibc's private mutex: the requests ahead of it may complete between any check and the
 * cancel. (A version that checked that an earlier request was still in progress before and
 * after the cancel stranded queues within seconds under the sixteen-thread stress test.)
 *
 * <p>Operations other code in the process submits on the same descriptor through glibc are not
 * seen. Descriptors at or above {@link #TRACKED_FDS} are not modelled: a single operation on them
 * is never handed to glibc's cancel.
 *
 * <p>Every method runs under the engine's submit lock.
 */
final class DescriptorQueues {
    /** Descriptors below this number are modelled. */
    static final int TRACKED_FDS = 4096;

    private long sequence;
    /** Per descriptor: the sequence of the last submission on it. */
    private final long[] lastSubmitted = new long[TRACKED_FDS];
    /** Per descriptor: operations with a priority other than 0 submitted and not yet finished. */
    private final int[] prioritizedInFlight = new int[TRACKED_FDS];

    /** Records a submission libc accepted; returns its sequence. */
    long submitted(PosixOperation op) {
        long s = ++sequence;
        int fd = op.fd();
        if (tracked(fd)) {
            lastSubmitted[fd] = s;
            if (op.priority() != 0) {
                prioritizedInFlight[fd]++;
            }
        }
        return s;
    }

    /** A prioritized operation recorded by {@link #submitted} is finished (returned or freed). */
    void finishedPrioritized(PosixOperation op) {
        if (tracked(op.fd())) {
            prioritizedInFlight[op.fd()]--;
        }
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

    private static boolean tracked(int fd) {
        return fd >= 0 && fd < TRACKED_FDS;
    }
}
