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
 * take operations from bounded FIFO queues, one per group of workers ({@link WorkShards}): each
 * submitting thread uses the shard its thread id picks, so threads that submit at the same time
 * do not meet on one lock, and idle workers of neighbouring shards help a shard whose workers
 * are all busy. Unlike glibc's AIO, operations on one regular file (or block device) at
 * explicit offsets run in parallel, one per worker, so a device with a deep queue (an SSD,
 * O_DIRECT) sees the depth the application asks for.
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
 * reach (32 is a common depth for NVMe and virtio). Shards: one per CPU, at most one per
 * {@value WorkShards#WORKERS_PER_SHARD} workers ({@link WorkShards#shardsFor}). Queue:
 * {@link AioEngineOptions#queueBound()}, default 1024 operations, split evenly between the
 * shards; a full shard makes its submitter wait (back-pressure), it never drops an operation.
 * Idle workers wait on their shard's monitor and cost nothing.
 *
 * <p><b>fsync ordering.</b> POSIX says an {@code aio_fsync} covers the operations queued before
 * it. Each submission is numbered (a list takes its numbers in one step); when a worker takes an
 * fsync, the writes of its descriptor numbered before it may still wait in other shards: the
 * fsync's worker runs those itself (the entries left behind are stale and never run twice, see
 * {@link ThreadsOperation}), then waits until the ones still running on other workers finish,
 * and only then calls {@code fsync}.
 *
 * <p><b>Cancel.</b> An operation still in a shard, waiting in its lane, or taken by a worker that
 * has not started it, is canceled ({@code ECANCELED}, notified at once); one a worker runs is not
 * ({@code AIO_NOTCANCELED}).
 *
 * <p>Thread-safe.
 */
public final class ThreadsEngine extends JavaCompletingEngine {
    private static final int DEFAULT_QUEUE_BOUND = 1024;

    /**
     * Slots of {@link #running} between two workers' slots: each worker writes its own slot twice
     * per operation, and slots on one cache line would make the workers' CPUs pass the line to
     * and fro (false sharing). 16 references are 64 bytes even with compressed references.
     */
    private static final int RUNNING_STRIDE = 16;

    private final WorkShards shards;
    private final SerialLanes lanes = new SerialLanes();
    private final Thread[] workers;
    /**
     * What each worker runs now (null when idle), for fsync ordering and aio_cancel(fd, NULL):
     * worker {@code i} at {@code i * RUNNING_STRIDE}.
     */
    private final AtomicReferenceArray<ThreadsOperation> running;
    private final AtomicLong sequence = new AtomicLong();
    private volatile boolean stopping;

    public ThreadsEngine(AioEngineOptions options, boolean processWide) {
        super("threads", processWide);
        NativeAccess.ensureEnabled();
        int threads = options.threads() > 0 ? options.threads()
                : Math.max(16, 4 * Runtime.getRuntime().availableProcessors());
        int bound = options.queueBound() > 0 ? options.queueBound() : DEFAULT_QUEUE_BOUND;
        this.shards = new WorkShards(WorkShards.shardsFor(threads, Runtime.getRuntime().availableProcessors()), bound);
        this.workers = new Thread[threads];
        this.running = new AtomicReferenceArray<>(threads * RUNNING_STRIDE);
        for (int i = 0; i < threads; i++) {
            int index = i;
            workers[i] = Thread.ofPlatform().daemon().name("jaio-threads-" + i).start(() -> work(index));
        }
    }

    /** Number of worker threads. */
    public int threads() {
        return workers.length;
    }

    /** Number of work shards ({@link WorkShards#shardsFor}). */
    int shards() {
        return shards.size();
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
        return enqueue(op, list, sequence.incrementAndGet());
    }

    /** {@link #enqueue(ThreadsOperation, ListCompletion)} as submission number {@code sequence}. */
    private int enqueue(ThreadsOperation op, ListCompletion list, long sequence) {
        boolean inCallOrder = op.inCallOrder();
        op.queued(sequence);
        joinList(list, op);
        if (inCallOrder && !lanes.enter(op, sequence)) {
            return 0;
        }
        try {
            shards.put(op, WorkQueue.entry(sequence, inCallOrder));
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
            shards.handOn(next.op(), WorkQueue.entry(next.sequence(), true));
        }
    }

    @Override
    protected int startList(Operation[] ops, int n, LioMode mode, SigevNotify notify) {
        ListCompletion list = beginList(mode, notify, n);
        // One step for the whole list's numbers: submitters do not meet on the counter per operation.
        long first = sequence.getAndAdd(n) + 1;
        int result = 0;
        for (int i = 0; i < n; i++) {
            ThreadsOperation op = (ThreadsOperation) ops[i];
            int r = result == 0 ? enqueue(op, list, first + i) : result;
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
        shards.forEach((op, entry) -> {
            if (op.fd() == fd && op.cancelQueued(WorkQueue.sequence(entry))) {
                outcome[0] = 1;
            }
        });
        canceled = outcome[0] == 1;
        for (SerialLanes.Waiting w : lanes.removeWaiting(fd)) {
            if (w.op().cancelQueued(w.sequence())) {
                canceled = true;
            }
        }
        for (int i = 0; i < workers.length; i++) {
            ThreadsOperation op = running.get(i * RUNNING_STRIDE);
            if (op == null || op.fd() != fd) {
                continue;
            }
            // Taken by a worker but not started yet (see run()): still queued, so canceled.
            if (op.cancelQueued(op.sequence())) {
                canceled = true;
            } else if (op.isRunning()) {
                notCanceled = true;
            }
        }
        return notCanceled ? 1 : canceled ? 0 : 2;
    }

    private void work(int index) {
        long[] entry = new long[1];
        int shard = shards.shardOf(index);
        EarlierWrites earlier = new EarlierWrites();
        while (true) {
            ThreadsOperation op;
            try {
                op = shards.take(shard, entry);
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
                run(op, sequence, index, earlier);
                continue;
            }
            // A lane's head: run it (unless it was canceled), then every operation the lane
            // holds, one after another, in submission order, until the lane is empty.
            int fd = op.fd();
            while (true) {
                run(op, sequence, index, earlier);
                SerialLanes.Waiting next = lanes.next(fd);
                if (next == null) {
                    break;
                }
                op = next.op();
                sequence = next.sequence();
            }
        }
    }

    /**
     * Runs submission {@code sequence} of {@code op} on worker {@code index} and completes it,
     * unless it was canceled (or is not that submission any more). The worker's running slot
     * shows the operation before it is marked running: an fsync on another worker that finds
     * the operation in neither a shard nor a slot may take it as done.
     */
    private void run(ThreadsOperation op, long sequence, int index, EarlierWrites earlier) {
        running.set(index * RUNNING_STRIDE, op);
        if (!op.startRunning(sequence)) {
            running.set(index * RUNNING_STRIDE, null);
            return;
        }
        if (op.kind() == OpKind.FSYNC) {
            runEarlierQueuedWrites(op, index, earlier);
            awaitEarlierWrites(op, index);
        }
        long r = perform(op);
        running.set(index * RUNNING_STRIDE, null);
        op.finished();
        completed(op, r);
    }

    private static long perform(ThreadsOperation op) {
        try {
            return op.perform();
        } catch (RuntimeException | Error e) {
            dev.jaio.internal.Callbacks.report(e);
            return -Errno.EIO.code();
        }
    }

    /**
     * POSIX fsync ordering, first half: the writes of {@code fsync}'s descriptor numbered before
     * it that still wait in a shard (any shard: another thread may have submitted them) run here,
     * now, on worker {@code index}. Lane heads are left alone: a descriptor in call order has its
     * fsync in the same lane, behind them. While a write runs, the worker's running slot shows it
     * (not the fsync), so that a later fsync of the descriptor on another worker waits for it.
     */
    private void runEarlierQueuedWrites(ThreadsOperation fsync, int index, EarlierWrites earlier) {
        earlier.reset(fsync.fd(), fsync.sequence());
        shards.forEach(earlier);
        for (int i = 0; i < earlier.size; i++) {
            ThreadsOperation write = earlier.ops[i];
            running.set(index * RUNNING_STRIDE, write);
            if (write.startRunning(earlier.sequences[i])) {
                long r = perform(write);
                running.set(index * RUNNING_STRIDE, fsync);
                write.finished();
                completed(write, r);
            } else {
                running.set(index * RUNNING_STRIDE, fsync);
            }
        }
        earlier.clear();
    }

    /**
     * The queued writes of one descriptor numbered before an fsync, collected by a scan of the
     * shards; one per worker, reused, so that an fsync allocates nothing.
     */
    private static final class EarlierWrites implements WorkQueue.EntryVisitor {
        ThreadsOperation[] ops = new ThreadsOperation[8];
        long[] sequences = new long[8];
        int size;
        private int fd;
        private long before;

        void reset(int fd, long before) {
            this.fd = fd;
            this.before = before;
            this.size = 0;
        }

        @Override
        public void visit(ThreadsOperation op, long entry) {
            long sequence = WorkQueue.sequence(entry);
            if (op.fd() != fd || !op.writesData() || WorkQueue.laneHead(entry) || sequence > before
                    || !op.isQueued(sequence)) {
                return;
            }
            if (size == ops.length) {
                ops = java.util.Arrays.copyOf(ops, size * 2);
                sequences = java.util.Arrays.copyOf(sequences, size * 2);
            }
            ops[size] = op;
            sequences[size++] = sequence;
        }

        void clear() {
            java.util.Arrays.fill(ops, 0, size, null);
            size = 0;
        }
    }

    /**
     * POSIX fsync ordering, second half: wait for this fd's writes queued before {@code fsync}
     * that other workers hold, about to run (still marked queued: see {@link #run}) or running.
     */
    private void awaitEarlierWrites(ThreadsOperation fsync, int self) {
        for (int i = 0; i < workers.length; i++) {
            if (i == self) {
                continue;
            }
            while (true) {
                ThreadsOperation other = running.get(i * RUNNING_STRIDE);
                if (other == null || other.fd() != fsync.fd() || !other.writesData()
                        || other.sequence() > fsync.sequence() || !other.isQueuedOrRunning()) {
                    break;
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(20));
            }
        }
    }

    @Override
    protected void closeNative() {
        stopping = true;
        shards.close();
        closeNotifier();
    }
}
