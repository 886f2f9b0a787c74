package dev.jaio.internal.threads;

import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The threads engine's bounded FIFO of operations waiting for a worker: a ring of references
 * under one monitor. Idle workers and held-back submitters wait on that monitor.
 *
 * <p>Why not {@code ArrayBlockingQueue}: its {@code Condition} allocates a node each time a
 * thread waits, and a worker waits for nearly every operation on a lightly loaded engine; a
 * monitor's {@code wait}/{@code notify} allocates nothing. Workers and submitters never wait at
 * the same time (workers wait when the ring is empty, submitters when it is full), so one
 * {@code notify} always wakes the right kind.
 *
 * <p>Each entry names the submission it was made for ({@link #entry}), so that an entry a
 * canceled submission left behind never runs the block's next one.
 *
 * <p>Thread-safe: any number of producers and consumers.
 */
final class WorkQueue {
    private final ThreadsOperation[] ring;
    private final long[] entries;
    /**
     * Lane heads handed on by a submitter that could not queue its own operation (see
     * {@link #handOn}); outside the bound, so that handing on never waits. Rare, so a deque.
     */
    private final ArrayDeque<HandOn> handOns = new ArrayDeque<>();
    private int head;
    private int count;
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
     * @throws InterruptedException if the submitter is interrupted while it waits; {@code op} is
     *         then not queued
     */
    synchronized void put(ThreadsOperation op, long entry) throws InterruptedException {
        while (count == ring.length) {
            wait();
        }
        int tail = (head + count) % ring.length;
        ring[tail] = op;
        entries[tail] = entry;
        count++;
        notify();
    }

    /**
     * Queues {@code op} at once, beyond the bound: for the next operation of a lane whose head a
     * submitter could not queue (interrupted while the queue was full). The lane's order depends
     * on it being queued, and the submitter must not wait again after its interrupt. At most one
     * per lane is ever here, and workers take these first.
     */
    synchronized void handOn(ThreadsOperation op, long entry) {
        handOns.add(new HandOn(op, entry));
        notifyAll();
    }

    private record HandOn(ThreadsOperation op, long entry) {
    }

    /**
     * Takes the oldest operation, waiting while there is none; its {@link #entry} goes to
     * {@code entry[0]}.
     *
     * @return the operation, or null once the queue is closed and empty
     * @throws InterruptedException if the worker is interrupted while it waits
     */
    synchronized ThreadsOperation take(long[] entry) throws InterruptedException {
        while (count == 0 && handOns.isEmpty()) {
            if (closed) {
                return null;
            }
            wait();
        }
        HandOn handed = handOns.poll();
        if (handed != null) {
            entry[0] = handed.entry();
            return handed.op();
        }
        ThreadsOperation op = ring[head];
        entry[0] = entries[head];
        ring[head] = null;
        head = (head + 1) % ring.length;
        if (count-- == ring.length) {
            notifyAll();
        }
        return op;
    }

    /** Visits every queued operation (for {@code aio_cancel(fd, NULL)}), in order. */
    synchronized void forEach(Consumer<ThreadsOperation> visitor) {
        for (HandOn h : handOns) {
            visitor.accept(h.op());
        }
        for (int i = 0; i < count; i++) {
            visitor.accept(ring[(head + i) % ring.length]);
        }
    }

    /** Wakes every waiting worker; {@link #take()} returns null once the ring is empty. */
    synchronized void close() {
        closed = true;
        notifyAll();
    }
}
