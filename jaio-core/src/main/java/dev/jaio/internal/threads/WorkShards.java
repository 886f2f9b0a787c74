package dev.jaio.internal.threads;

/**
 * The threads engine's work, split so that submitting threads do not meet on one lock: one
 * {@link WorkQueue} (a shard) per group of workers, and each submitting thread puts its
 * operations into one shard chosen by its thread id. Two threads that submit at the same time
 * usually use two shards, each with its own monitor and its own workers, and touch nothing of
 * each other per operation.
 *
 * <p><b>Helping.</b> A thread alone must still reach every worker (O_DIRECT needs as many
 * workers busy as the depth it asks for). When a submitter finds every worker of its shard busy
 * ({@link WorkQueue#put} says so), it looks at the next few shards (its neighbours, at most
 * {@link #NEIGHBOURS}) for an idle worker and wakes one, unless one of that shard was woken and
 * has not looked yet; that worker takes ("steals") the oldest operation of a neighbour's ring
 * that no worker there is idle for, and if more wait, wakes the next idle worker of its own
 * shard, so that the wake-ups of a burst cost the helpers, not the submitter. A worker whose own
 * ring is empty looks at its neighbours the same way before it waits.
 *
 * <p><b>No operation stranded.</b> A submitter writes its shard's {@code available} (in
 * {@code put}), then reads a neighbour's {@code idle}; a worker writes its own {@code idle}
 * ({@link WorkQueue#becomeIdle}), then reads its neighbours' {@code available}. All four are
 * volatile, so one of the two sees the other: either the submitter wakes that worker, or the
 * worker finds the operation in its scan. The neighbourhood is symmetric (a submitter of shard
 * {@code s} looks at {@code s+1..s+k}, a worker of shard {@code t} at {@code t-1..t-k}).
 *
 * <p>Thread-safe.
 */
final class WorkShards {
    /** How many other shards a submitter asks for help and a worker steals from. */
    static final int NEIGHBOURS = 7;
    /** Workers per shard the engine aims at (fewer shards on a small pool). */
    static final int WORKERS_PER_SHARD = 4;

    private final WorkQueue[] shards;
    private final int neighbours;

    /**
     * @param shards the number of shards
     * @param bound how many operations may wait in all shards together before submitters wait
     */
    WorkShards(int shards, int bound) {
        this.shards = new WorkQueue[shards];
        int perShard = Math.max(1, (bound + shards - 1) / shards);
        for (int i = 0; i < shards; i++) {
            this.shards[i] = new WorkQueue(perShard);
        }
        this.neighbours = Math.min(shards - 1, NEIGHBOURS);
    }

    /**
     * How many shards a pool of {@code workers} gets on {@code cpus} processors: one per CPU
     * (submitting threads run on different CPUs), at most one per {@link #WORKERS_PER_SHARD}
     * workers, at least one.
     */
    static int shardsFor(int workers, int cpus) {
        return Math.max(1, Math.min(cpus, workers / WORKERS_PER_SHARD));
    }

    int size() {
        return shards.length;
    }

    /** The shard whose workers worker {@code worker} belongs to. */
    int shardOf(int worker) {
        return worker % shards.length;
    }

    /**
     * The calling thread's shard. Thread ids are handed out in order of creation, so threads
     * started one after another (a pool, a benchmark's jobs) fall on different shards.
     */
    private int home() {
        return (int) Long.remainderUnsigned(Thread.currentThread().threadId(), shards.length);
    }

    /**
     * Queues {@code op} in the calling thread's shard (waiting while it is full), and wakes an
     * idle worker of a neighbour if every worker of that shard is busy.
     *
     * @throws InterruptedException if the submitter is interrupted while it waits; {@code op} is
     *         then not queued
     */
    void put(ThreadsOperation op, long entry) throws InterruptedException {
        put(home(), op, entry);
    }

    /** {@link #put(ThreadsOperation, long)} into shard {@code home}. */
    void put(int home, ThreadsOperation op, long entry) throws InterruptedException {
        if (!shards[home].put(op, entry)) {
            for (int i = 1; i <= neighbours; i++) {
                WorkQueue helper = shards[(home + i) % shards.length];
                if (helper.hasIdleWorker()) {
                    if (!helper.helpPending()) {
                        helper.wakeToSteal();
                    }
                    return;
                }
            }
        }
    }

    /** See {@link WorkQueue#handOn}; into the calling thread's shard. */
    void handOn(ThreadsOperation op, long entry) {
        shards[home()].handOn(op, entry);
    }

    /**
     * Takes the next operation for a worker of shard {@code shard}: from its own shard, else
     * from a neighbour, else waits.
     *
     * @return the operation (its entry in {@code entry[0]}), or null once the engine closes
     * @throws InterruptedException if the worker is interrupted while it waits
     */
    ThreadsOperation take(int shard, long[] entry) throws InterruptedException {
        WorkQueue own = shards[shard];
        ThreadsOperation op = own.takeOrIdle(entry);
        while (op == null) {
            op = steal(shard, entry);
            if (op != null) {
                own.becomeBusy();
                return op;
            }
            op = own.awaitWork(entry);
            if (op == null) {
                if (own.closed()) {
                    return null;
                }
                op = own.takeOrIdle(entry);
            }
        }
        return op;
    }

    /**
     * Takes an operation from a neighbour that needs help; if it still needs more, wakes the next
     * idle worker of {@code shard} (one at a time: not while one woken has not looked yet).
     */
    private ThreadsOperation steal(int shard, long[] entry) {
        for (int i = 1; i <= neighbours; i++) {
            WorkQueue victim = shards[Math.floorMod(shard - i, shards.length)];
            ThreadsOperation op = victim.steal(entry);
            if (op != null) {
                WorkQueue own = shards[shard];
                if (victim.needsHelp() && own.hasIdleWorker() && !own.helpPending()) {
                    own.wakeToSteal();
                }
                return op;
            }
        }
        return null;
    }

    /** Visits every queued operation of every shard, shard by shard. */
    void forEach(WorkQueue.EntryVisitor visitor) {
        for (WorkQueue q : shards) {
            q.forEach(visitor);
        }
    }

    /** Closes every shard: their workers stop once nothing is left. */
    void close() {
        for (WorkQueue q : shards) {
            q.close();
        }
    }
}
