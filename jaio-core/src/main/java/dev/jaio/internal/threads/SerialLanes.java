package dev.jaio.internal.threads;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operations POSIX wants carried out in call order, one lane per descriptor: every
 * operation of a descriptor without a file offset (a pipe, FIFO, socket or terminal, where
 * bytes go and come in the order of the calls) and the writes and fsyncs of an
 * {@code O_APPEND} descriptor ("write operations append to the file in the same order as the
 * calls were made"), as {@link dev.jaio.internal.CallOrder#ask} tells. Of one lane, one
 * operation at a time is in the work queue or on a worker: its head; the others wait here in
 * submission order, and the worker that finished the head runs the next one itself. Operations waiting here are still queued, so a cancel reaches them.
 *
 * <p>Regular files at explicit offsets never come here: they keep the engine's parallelism and
 * touch no shared structure but the work queue. Lanes exist only while they hold operations;
 * each lives in a {@link ConcurrentHashMap} bin, whose lock serializes the lane's own updates
 * and nothing else.
 *
 * <p>Thread-safe.
 */
final class SerialLanes {
    /** An operation waiting in a lane, for the submission numbered {@code sequence}. */
    record Waiting(ThreadsOperation op, long sequence) {
    }

    private final ConcurrentHashMap<Integer, ArrayDeque<Waiting>> lanes = new ConcurrentHashMap<>();

    /**
     * Enters {@code op}, submitted as number {@code sequence}, into its descriptor's lane. True if
     * the lane was empty: {@code op} heads it and the caller queues it for a worker; false if it
     * waits behind earlier operations (whoever finishes them hands it on).
     */
    boolean enter(ThreadsOperation op, long sequence) {
        boolean[] head = new boolean[1];
        lanes.compute(op.fd(), (fd, lane) -> {
            if (lane == null) {
                head[0] = true;
                return new ArrayDeque<>();
            }
            lane.add(new Waiting(op, sequence));
            return lane;
        });
        return head[0];
    }

    /**
     * The head of {@code fd}'s lane ended (ran, or was canceled before it ran): the next
     * operation still queued becomes the head and is returned, for the caller to run or queue;
     * null if none is left, and the lane is gone. Entries of operations canceled while they
     * waited, or since submitted again (a new sequence), are dropped on the way.
     */
    Waiting next(int fd) {
        Waiting[] next = new Waiting[1];
        lanes.computeIfPresent(fd, (key, lane) -> {
            Waiting w;
            while ((w = lane.poll()) != null) {
                if (w.op().isQueued(w.sequence())) {
                    next[0] = w;
                    return lane;
                }
            }
            return null;
        });
        return next[0];
    }

    /**
     * Takes every operation waiting (not heading) in {@code fd}'s lane out of it, for
     * {@code aio_cancel(fd, NULL)}; once out, none of them can be handed on, so the caller cancels
     * each that is still queued.
     */
    List<Waiting> removeWaiting(int fd) {
        List<Waiting> removed = new ArrayList<>();
        lanes.computeIfPresent(fd, (key, lane) -> {
            removed.addAll(lane);
            lane.clear();
            return lane;
        });
        return removed;
    }
}
