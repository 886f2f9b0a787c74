package dev.jaio.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The gate of an engine: every call that touches an operation's native state passes through it,
 * and {@link #shutAndAwaitEmpty()} shuts it and waits until nobody is inside, so that the engine
 * can free what the calls touch.
 *
 * <p>Every submission and every wait enters and leaves the gate, from every thread. One shared
 * counter would be one cache line passed between all the cores that do I/O, twice per call: on a
 * machine with tens of cores that line, not the rings, would set the engine's pace. So the count
 * is striped: a thread counts itself on the stripe its thread id picks (always the same one for a
 * thread, so its entry and exit meet on one stripe), the stripes a cache line apart.
 *
 * <p>Why no call slips past a closing engine: {@link #enter()} counts itself (a volatile
 * read-modify-write), then reads {@code shut} (volatile); {@link #shutAndAwaitEmpty()} sets
 * {@code shut}, then reads each stripe. In the single total order of these volatile accesses,
 * either the entering thread sees {@code shut} and backs out, or the closing thread sees its
 * count. A thread already inside stays counted on its stripe until it leaves, so a sum read stripe
 * by stripe can miss nobody who is inside; it may count a thread that is backing out, which only
 * makes the closer look again.
 */
final class EngineGate {
    /** Longs per stripe: 16 x 8 bytes, two cache lines, so that adjacent-line prefetch shares none. */
    private static final int SPACING = 16;

    private final AtomicLongArray counts;
    private final int mask;
    /** 32 minus log2 of the stripe count: a thread's stripe is the top bits of its hashed id. */
    private final int shift;
    private volatile boolean shut;

    /** A gate with enough stripes for the machine's CPUs (a power of two, 4 to 64). */
    EngineGate() {
        this(Runtime.getRuntime().availableProcessors());
    }

    EngineGate(int cpus) {
        int stripes = Integer.highestOneBit(Math.clamp(2L * cpus, 4, 64) * 2 - 1);
        this.counts = new AtomicLongArray(stripes * SPACING);
        this.mask = stripes - 1;
        this.shift = 32 - Integer.numberOfTrailingZeros(stripes);
    }

    /**
     * Enters; false if the gate is shut (the caller then refuses its call: the engine is closed).
     */
    boolean enter() {
        int slot = slotOfThisThread();
        counts.getAndIncrement(slot);
        if (shut) {
            counts.getAndDecrement(slot);
            return false;
        }
        return true;
    }

    /** Leaves, after an {@link #enter()} that returned true on the same thread. */
    void exit() {
        counts.getAndDecrement(slotOfThisThread());
    }

    /** Shuts the gate (later {@link #enter()}s return false) and waits until nobody is inside. */
    void shutAndAwaitEmpty() {
        shut = true;
        while (inside() != 0) {
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        }
    }

    /** Threads counted inside now (each stripe read once; exact only once the gate is shut and drained). */
    long inside() {
        long sum = 0;
        for (int i = 0; i <= mask; i++) {
            sum += counts.get(i * SPACING);
        }
        return sum;
    }

    /** Stripes of this gate. */
    int stripes() {
        return mask + 1;
    }

    private int slotOfThisThread() {
        return stripeOf(Thread.currentThread().threadId()) * SPACING;
    }

    /**
     * The stripe of the thread with id {@code threadId}. Thread ids are consecutive, and threads
     * started together (the jobs of a benchmark, a pool's workers) must fall apart: Fibonacci
     * hashing, the top bits of the id times 2^32 / golden ratio, gives consecutive ids different
     * stripes. (Bits from the middle of the product, as before, gave two consecutive ids the same
     * stripe about every other time with 4 or 8 stripes.)
     */
    int stripeOf(long threadId) {
        int h = (int) (threadId ^ (threadId >>> 32)) * 0x9E3779B9;
        return h >>> shift;
    }
}
