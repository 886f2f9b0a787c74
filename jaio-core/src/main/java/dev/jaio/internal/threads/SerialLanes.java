package dev.jaio.internal.threads;

import dev.jaio.internal.OpKind;
import dev.jaio.internal.ffi.Descriptors;
import dev.jaio.internal.ffi.Libc;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operations POSIX wants carried out in call order, one lane per descriptor: every
 * operation of a descriptor without a file offset (a pipe, FIFO, socket or terminal, where
 * bytes go and come in the order of the calls) and the writes and fsyncs of an
 * {@code O_APPEND} descriptor ("write operations append to the file in the same order as the
 * calls were made"). Of one lane, one operation at a time is in the work queue or on a worker:
 * its head; the others wait here in submission order, and the worker that finished the head
 * runs the next one itself. Operations waiting here are still queued, so a cancel reaches them.
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

    /** Answers of {@link #ask}: the operation may run beside others, or must keep call order. */
    static final int PARALLEL = 0, IN_CALL_ORDER = 1;

    /**
     * Whether {@code op} must keep call order, asked of the kernel: one {@code lseek} for a read,
     * an {@code fcntl} and at most one {@code lseek} for a write or fsync. {@link #PARALLEL},
     * {@link #IN_CALL_ORDER}, or {@code -errno} when the descriptor could not be asked (it is not
     * open: the operation then fails on its own with EBADF, and runs as {@link #PARALLEL}).
     *
     * <p>A block asks once and keeps the answer ({@link ThreadsOperation#inCallOrder()}): its
     * descriptor and its kind never change, and on a virtual machine a system call may cost as
     * much as the read itself (on the 2-CPU test VM, {@code getpid} and {@code lseek} took about as
     * long as a 4 KiB page-cache {@code pread}, 2 µs), so a block reused for reads of a regular
     * file makes none. The answer is not kept per descriptor number, since a number may be closed and
     * reused for another file between the submissions of two blocks; for one block that cannot
     * happen without breaking jaio's rule that a block must not outlive its descriptor (see
     * {@code AioFile}). {@code O_APPEND} set or cleared with {@code fcntl(F_SETFL)} after a
     * block's first submission is not seen by that block: make new blocks after such a change.
     */
    static int ask(ThreadsOperation op) {
        int fd = op.fd();
        if (op.kind() != OpKind.READ && op.kind() != OpKind.READV) {
            int flags = Descriptors.statusFlags(fd);
            if (flags < 0) {
                return flags;
            }
            if ((flags & Libc.O_APPEND) != 0) {
                return IN_CALL_ORDER;
            }
        }
        int seekable = Descriptors.seekable(fd);
        return seekable < 0 ? seekable : seekable == 1 ? PARALLEL : IN_CALL_ORDER;
    }

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
