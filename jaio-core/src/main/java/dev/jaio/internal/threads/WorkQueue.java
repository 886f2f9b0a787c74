package dev.jaio.internal.threads;

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
 * <p>Thread-safe: any number of producers and consumers.
 */
final class WorkQueue {
    private final ThreadsOperation[] ring;
    private int head;
    private int count;
    private boolean closed;

    WorkQueue(int capacity) {
        this.ring = new ThreadsOperation[capacity];
    }

    /**
     * Appends {@code op}, waiting while the ring is full (back-pressure, never a lost operation).
     *
     * @throws InterruptedException if the submitter is interrupted while it waits; {@code op} is
     *         then not queued
     */
    synchronized void put(ThreadsOperation op) throws InterruptedException {
        while (count == ring.length) {
            wait();
        }
        ring[(head + count) % ring.length] = op;
        count++;
        notify();
    }

    /**
     * Takes the oldest operation, waiting while there is none.
     *
     * @return the operation, or null once the queue is closed and empty
     * @throws InterruptedException if the worker is interrupted while it waits
     */
    synchronized ThreadsOperation take() throws InterruptedException {
        while (count == 0) {
            if (closed) {
                return null;
            }
            wait();
        }
        ThreadsOperation op = ring[head];
        ring[head] = null;
        head = (head + 1) % ring.length;
        if (count-- == ring.length) {
            notifyAll();
        }
        return op;
    }

    /** Visits every queued operation (for {@code aio_cancel(fd, NULL)}), in order. */
    synchronized void forEach(Consumer<ThreadsOperation> visitor) {
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
