package dev.jaio.internal.threads;

import java.util.ArrayDeque;

/**
 * One shard of the threads engine's work ({@link WorkShards}): a bounded FIFO of operations
 * waiting for a worker, a ring of references under one monitor. The shard's own workers wait on
 * that monitor when it is empty, submitters when it is full.
 *
 * <p>Why not {@code ArrayBlockingQueue}: its {@code Condition} allocates a node each time a
 * thread waits, and a worker waits for nearly every operation on a lightly loaded engine; a
 * monitor's {@code wait}/{@code notify} allocates nothing. Workers and submitters never wait at
 * the same time (workers wait when the ring is empty, submitters when it is full), so one
 * {@code notify} always wakes the right kind.
 *
 * <p>Two counters are read without the monitor, by threads of other shards: {@link #available}
 * (is there anything to steal here?) and {@link #idle} (are there workers here that could steal
 * from a busy shard?). Both are volatile and written under the monitor; {@link WorkShards} says
 * why that is enough to never strand an operation.
 *
 * <p>Each entry names the submission it was made for ({@link #entry}), so that an entry a
 * canceled submission left behind never runs the block's next one.
 *
 * <p>Thread-safe: any number of producers and consumers.
 */
final class WorkQueue {
    /** What {@link #forEach} shows of an entry. */
    @FunctionalInterface
    interface EntryVisitor {
        void visit(ThreadsOperation op, long entry);
    }

    private final ThreadsOperation[] ring;
    private final long[] entries;
    /**
     * Lane heads handed on by a submitter that could not queue its own operation (see
     * {@link #handOn}); outside the bound, so that handing on never waits. Rare, so a deque.
     */
    private final ArrayDeque<HandOn> handOns = new ArrayDeque<>();
    private int head;
    private int count;
    /** {@code count} plus the hand-ons: what a worker could take now. */
    private volatile int available;
    /** Workers of this shard that found nothing to do and are looking elsewhere or waiting. */
    private volatile int idle;
    /**
     * Raised by {@link #wakeToSteal}, so that a waiting worker leaves its wait though its own ring
     * is empty. Written under the monitor, read without it ({@link #helpPending}).
     */
    private volatile long stealCalls;
    /**
     * {@code stealCalls} when the last idle worker looked elsewhere: a call since then is one it
     * may have missed. Shared by the shard's workers, so a call may wake more than one, never none.
     */
    private volatile long stealCallsSeen;
    private boolean closed;

    WorkQueue(int capacity) {
        this.ring = new ThreadsOperation[capacity];
        this.entries = new long[capacity];
    }

    /** What the queue keeps beside an operation: its submission's sequence, and whether it heads a lane. */
    static long entry(long sequence, boolean laneHead) {
        return sequence << 1 | (laneHead ? 1 : 0);
    }

    static long sequence(long entry) {
        return entry >>> 1;
    }

    static boolean laneHead(long entry) {
        return (entry & 1) != 0;
    }

    /**
     * Appends {@code op}, waiting while the ring is full (back-pressure, never a lost operation).
     *
     * @return true if a worker of this shard was idle for it; false if every worker here is busy
     *         (the caller then asks another shard to help)
     * @throws InterruptedException if the submitter is interrupted while it waits; {@code op} is
     *         then not queued
     */
    synchronized boolean put(ThreadsOperation op, long entry) throws InterruptedException {
        while (count == ring.length) {
            wait();
        }
        int tail = (head + count) % ring.length;
        ring[tail] = op;
        entries[tail] = entry;
        count++;
        available++;
        boolean served = idle >= available;
        notify();
        return served;
    }

    /**
     * Queues {@code op} at once, beyond the bound: for the next operation of a lane whose head a
     * submitter could not queue (interrupted while the queue was full). The lane's order depends
     * on it being queued, and the submitter must not wait again after its interrupt. At most one
     * per lane is ever here, and workers take these first.
     */
    synchronized void handOn(ThreadsOperation op, long entry) {
        handOns.add(new HandOn(op, entry));
        available++;
        notifyAll();
    }

    private record HandOn(ThreadsOperation op, long entry) {
    }

    /**
     * For a worker of another shard: takes the oldest operation if there is one that no worker of
     * this shard is idle for (this shard's own workers would take it as soon); its
     * {@link #entry} goes to {@code entry[0]}.
     *
     * @return the operation, or null if there is none to steal now
     */
    ThreadsOperation steal(long[] entry) {
        if (!needsHelp()) {
            return null;
        }
        synchronized (this) {
            return available > idle ? poll(entry) : null;
        }
    }

    /**
     * For a worker of this shard: takes the oldest operation if there is one; else counts the
     * worker as idle from now on, before it looks elsewhere (see {@link WorkShards}), and it must
     * then call {@link #awaitWork}.
     *
     * @return the operation (its {@link #entry} in {@code entry[0]}), or null: the worker is idle
     */
    synchronized ThreadsOperation takeOrIdle(long[] entry) {
        ThreadsOperation op = poll(entry);
        if (op == null) {
            idle++;
            stealCallsSeen = stealCalls;
        }
        return op;
    }

    /** Under the monitor: the oldest operation, or null. */
    private ThreadsOperation poll(long[] entry) {
        HandOn handed = handOns.poll();
        if (handed != null) {
            available--;
            entry[0] = handed.entry();
            return handed.op();
        }
        if (count == 0) {
            return null;
        }
        ThreadsOperation op = ring[head];
        entry[0] = entries[head];
        ring[head] = null;
        head = (head + 1) % ring.length;
        available--;
        if (count-- == ring.length) {
            notifyAll();
        }
        return op;
    }

    /** Whether a worker of this shard is idle (read without the monitor). */
    boolean hasIdleWorker() {
        return idle > 0;
    }

    /**
     * Whether a worker of this shard was asked to steal and has not looked yet (read without the
     * monitor): it will look after the caller's operation was queued, so asking again is not
     * needed.
     */
    boolean helpPending() {
        return stealCalls != stealCallsSeen;
    }

    /**
     * Whether more operations wait here than there are idle workers here to take them (read
     * without the monitor): help from another shard would start one sooner.
     */
    boolean needsHelp() {
        return available > idle;
    }

    /** An idle worker (after {@link #takeOrIdle}) found something elsewhere: busy again. */
    synchronized void becomeBusy() {
        idle--;
    }

    /**
     * For an idle worker of this shard that found nothing elsewhere: waits until this ring has
     * work, and takes it; or until another shard asks this one's idle workers to steal
     * ({@link #wakeToSteal}), or the queue is closed. The worker is busy again when this returns.
     *
     * @return the operation (its {@link #entry} in {@code entry[0]}), or null: look elsewhere,
     *         or stop if {@link #closed()}
     * @throws InterruptedException if the worker is interrupted while it waits
     */
    synchronized ThreadsOperation awaitWork(long[] entry) throws InterruptedException {
        try {
            while (available == 0 && stealCalls == stealCallsSeen && !closed) {
                wait();
            }
            stealCallsSeen = stealCalls;
            return poll(entry);
        } finally {
            idle--;
        }
    }

    /** Whether {@link #close} was called; under the monitor. */
    synchronized boolean closed() {
        return closed;
    }

    /** Wakes one idle worker of this shard to take work of a busy shard. */
    synchronized void wakeToSteal() {
        stealCalls++;
        notify();
    }

    /** Visits every queued operation with its entry (for cancel and fsync ordering), in order. */
    synchronized void forEach(EntryVisitor visitor) {
        for (HandOn h : handOns) {
            visitor.visit(h.op(), h.entry());
        }
        for (int i = 0; i < count; i++) {
            int at = (head + i) % ring.length;
            visitor.visit(ring[at], entries[at]);
        }
    }

    /** Wakes every waiting worker; {@link #awaitWork} returns false once the ring is empty. */
    synchronized void close() {
        closed = true;
        notifyAll();
    }
}
