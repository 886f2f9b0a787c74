package dev.jaio.internal.threads;

import dev.jaio.AioEngineOptions;
import dev.jaio.AioFsyncMode;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.internal.JavaCompletingEngine;
import dev.jaio.internal.ListCompletion;
import dev.jaio.internal.OpKind;
import dev.jaio.internal.Operation;
import dev.jaio.internal.ffi.NativeAccess;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine "threads": {@code pread}/{@code pwrite}/{@code preadv}/{@code pwritev}/
 * {@code fsync}/{@code fdatasync} downcalls run by a fixed pool of Java platform threads, which
 * take operations from one bounded FIFO queue. Unlike glibc's AIO, operations on one regular
 * file (or block device) at explicit offsets run in parallel, one per worker, so a device with a
 * deep queue (an SSD, O_DIRECT) sees the depth the application asks for.
 *
 * <p><b>Call order.</b> Where POSIX wants operations carried out in the order of the calls, on
 * a descriptor without offsets (pipe, FIFO, socket, terminal) and for the writes of an
 * {@code O_APPEND} descriptor, they run one after another in submission order: each waits in its
 * descriptor's lane ({@link SerialLanes}) until the one before it ended. Which operations need
 * it is asked of the kernel once per block.
 *
 * <p><b>Sizes.</b> Workers: {@link AioEngineOptions#threads()}, default
 * {@code max(16, 4 * cores)}: page-cache reads are CPU work and need about one thread per core,
 * while O_DIRECT reads wait for the device and need as many threads as the depth they should
 * reach (32 is a common depth for NVMe and virtio). Queue: {@link AioEngineOptions#queueBound()},
 * default 1024 operations; a full queue makes the submitter wait (back-pressure), it never drops
 * an operation. Idle workers block in the queue's {@code take()} and cost nothing.
 *
 * <p><b>fsync ordering.</b> POSIX says an {@code aio_fsync} covers the operations queued before
 * it. The queue is FIFO, so when a worker takes an fsync every earlier operation has been taken;
 * the fsync then waits until the writes of its descriptor that are still running on other
 * workers (and were queued before it) finish, and only then calls {@code fsync}.
 *
 * <p><b>Cancel.</b> An operation still in the queue, or waiting in its lane, is canceled
 * ({@code ECANCELED}, notified at once); one a worker runs is not ({@code AIO_NOTCANCELED}).
 *
 * <p>Thread-safe.
 */
public final class ThreadsEngine extends JavaCompletingEngine {
    private static final int DEFAULT_QUEUE_BOUND = 1024;

    private final WorkQueue queue;
    private final SerialLanes lanes = new SerialLanes();
    private final Thread[] workers;
    /** What each worker runs now (null when idle), for fsync ordering and aio_cancel(fd, NULL). */
    private final AtomicReferenceArray<ThreadsOperation> running;
    private final AtomicLong sequence = new AtomicLong();
    private volatile boolean stopping;

    public ThreadsEngine(AioEngineOptions options, boolean processWide) {
        super("threads", processWide);
        NativeAccess.ensureEnabled();
        int threads = options.threads() > 0 ? options.threads()
                : Math.max(16, 4 * Runtime.getRuntime().availableProcessors());
        int bound = options.queueBound() > 0 ? options.queueBound() : DEFAULT_QUEUE_BOUND;
        this.queue = new WorkQueue(bound);
        this.workers = new Thread[threads];
        this.running = new AtomicReferenceArray<>(threads);
        for (int i = 0; i < threads; i++) {
            int index = i;
            workers[i] = Thread.ofPlatform().daemon().name("jaio-threads-" + i).start(() -> work(index));
        }
    }

    /** Number of worker threads. */
    public int threads() {
        return workers.length;
    }

    @Override
    protected Operation newOperation(OpKind kind, int fd, int priority, AioFsyncMode mode, SigevNotify notify) {
        return new ThreadsOperation(this, kind, fd, priority, mode, notify);
    }

    @Override
    protected boolean supportsVectored() {
        return true;
    }

    /**
     * Queues {@code op}, waiting while the queue is full; an operation that must keep call order
     * waits in its descriptor's lane instead when an earlier one is there. 0, or {@code -EAGAIN}
     * if the submitter was interrupted while it waited (the operation is not queued; the
     * interrupt stays set).
     */
    int enqueue(ThreadsOperation op, ListCompletion list) {
        boolean inCallOrder = op.inCallOrder();
        long sequence = this.sequence.incrementAndGet();
        op.queued(sequence);
        joinList(list, op);
        if (inCallOrder && !lanes.enter(op, sequence)) {
            return 0;
        }
        try {
            queue.put(op, WorkQueue.entry(sequence, inCallOrder));
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (inCallOrder) {
                handOn(op.fd());
            }
            leaveList(list, op);
            op.finished();
            return -Errno.EAGAIN.code();
        }
    }

    /**
     * A submitter that made its operation the head of a lane could not queue it: the lane's next
     * operation becomes the head and is queued in its place, without waiting for room.
     */
    private void handOn(int fd) {
        SerialLanes.Waiting next = lanes.next(fd);
        if (next != null) {
            queue.handOn(next.op(), WorkQueue.entry(next.sequence(), true));
        }
    }

    @Override
    protected int startList(Operation[] ops, int n, LioMode mode, SigevNotify notify) {
        ListCompletion list = beginList(mode, notify, n);
        int result = 0;
        for (int i = 0; i < n; i++) {
            ThreadsOperation op = (ThreadsOperation) ops[i];
            int r = result == 0 ? enqueue(op, list) : result;
            if (r < 0) {
                markNotQueued(op, -r);
                result = r;
            }
        }
        listSubmitted(list);
        return result;
    }

    /** A queued operation was canceled: it completes now with ECANCELED. */
    void canceled(ThreadsOperation op) {
        completed(op, ThreadsOperation.canceledResult());
    }

    @Override
    protected int cancelAllNative(int fd) {
        boolean canceled = false;
        boolean notCanceled = false;
        int[] outcome = new int[1];
        queue.forEach(op -> {
            if (op.fd() == fd && op.cancelForFd() == 0) {
                outcome[0] = 1;
            }
        });
        canceled = outcome[0] == 1;
        for (SerialLanes.Waiting w : lanes.removeWaiting(fd)) {
            if (w.op().cancelQueued(w.sequence())) {
                canceled = true;
            }
        }
        for (int i = 0; i < running.length(); i++) {
            ThreadsOperation op = running.get(i);
            if (op != null && op.fd() == fd && op.isRunning()) {
                notCanceled = true;
            }
        }
        return notCanceled ? 1 : canceled ? 0 : 2;
    }

    private void work(int index) {
        long[] entry = new long[1];
        while (true) {
            ThreadsOperation op;
            try {
                op = queue.take(entry);
            } catch (InterruptedException e) {
                if (stopping) {
                    return;
                }
                continue;
            }
            if (op == null) {
                return;
            }
            long sequence = WorkQueue.sequence(entry[0]);
            if (!WorkQueue.laneHead(entry[0])) {
                if (op.startRunning(sequence)) {
                    run(op, index);
                }
                continue;
            }
            // A lane's head: run it (unless it was canceled), then every operation the lane
            // holds, one after another, in submission order, until the lane is empty.
            int fd = op.fd();
            while (true) {
                if (op.startRunning(sequence)) {
                    run(op, index);
                }
                SerialLanes.Waiting next = lanes.next(fd);
                if (next == null) {
                    break;
                }
                op = next.op();
                sequence = next.sequence();
            }
        }
    }

    /** Runs {@code op} (already marked running) on worker {@code index} and completes it. */
    private void run(ThreadsOperation op, int index) {
        running.set(index, op);
        long r;
        try {
            if (op.kind() == OpKind.FSYNC) {
                awaitEarlierWrites(op, index);
            }
            r = op.perform();
        } catch (RuntimeException | Error e) {
            dev.jaio.internal.Callbacks.report(e);
            r = -Errno.EIO.code();
        }
        running.set(index, null);
        op.finished();
        completed(op, r);
    }

    /** POSIX fsync ordering: wait for this fd's writes queued before {@code fsync} that still run. */
    private void awaitEarlierWrites(ThreadsOperation fsync, int self) {
        for (int i = 0; i < running.length(); i++) {
            if (i == self) {
                continue;
            }
            while (true) {
                ThreadsOperation other = running.get(i);
                if (other == null || other.fd() != fsync.fd() || !other.writesData()
                        || other.sequence() > fsync.sequence() || !other.isRunning()) {
                    break;
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(20));
            }
        }
    }

    @Override
    protected void closeNative() {
        stopping = true;
        queue.close();
        closeNotifier();
    }
}
