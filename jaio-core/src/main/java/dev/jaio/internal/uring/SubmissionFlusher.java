package dev.jaio.internal.uring;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The deadline of deferred submissions: a thread that ticks every {@link #TICK_NANOS} while any
 * ring of its engine holds deferred SQEs, and at each tick has the engine submit those that no
 * other flush took since the previous tick. So a deferred operation reaches the kernel at the
 * latest two ticks after it was queued, even if the thread that queued it never waits for it.
 *
 * <p>It decides only when; the engine decides how ({@code flushStale}, which returns whether any
 * ring still holds deferred SQEs). Idle, it parks without a timeout and costs nothing: the engine
 * calls {@link #deferred()} after each deferral, which reads one volatile field unless the flusher
 * must be woken. It goes idle after {@link #IDLE_TICKS} ticks without deferred SQEs; the thread is
 * started at the first deferral.
 *
 * <p>No wake-up is lost: a deferring thread stores the ring's count of deferred SQEs and then reads
 * {@link #ticking}; the flusher, going idle, stores {@link #ticking} and then has the engine look at
 * every ring's count. Both are volatile, so one of them sees the other.
 */
final class SubmissionFlusher {
    /** How often the flusher looks while deferred SQEs exist, by default: 100 µs. */
    static final long TICK_NANOS = TimeUnit.MICROSECONDS.toNanos(100);
    /**
     * A tick in microseconds other than {@link #TICK_NANOS}, read when an engine opens: for tests
     * that must tell a wait that submitted its operation from one the flusher rescued. Not a user
     * setting.
     */
    static final String TICK_PROPERTY = "dev.jaio.internal.uring.flusherTickMicros";
    /** Ticks without anything deferred after which the flusher parks until woken: 10 ms. */
    static final int IDLE_TICKS = 100;

    private final String name;
    private final BooleanSupplier flushStale;
    private final long tickNanos;
    private volatile boolean ticking;
    private volatile boolean stopped;
    private volatile Thread thread;

    /**
     * @param name       the thread's name
     * @param flushStale submits the deferred SQEs of each ring that no flush took since the previous
     *                   call; true if any ring holds deferred SQEs after it
     */
    SubmissionFlusher(String name, BooleanSupplier flushStale) {
        this.name = name;
        this.flushStale = flushStale;
        this.tickNanos = TimeUnit.MICROSECONDS.toNanos(Long.getLong(TICK_PROPERTY, TimeUnit.NANOSECONDS.toMicros(TICK_NANOS)));
    }

    /** A ring now holds deferred SQEs: makes sure the flusher ticks. Any thread. */
    void deferred() {
        if (!ticking) {
            wake();
        }
    }

    private void wake() {
        ticking = true;
        Thread t = thread;
        if (t == null) {
            synchronized (this) {
                t = thread;
                if (t == null && !stopped) {
                    t = Thread.ofPlatform().daemon().name(name).start(this::run);
                    thread = t;
                }
            }
        }
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Stops the thread and waits for it: no flush runs after this returns. */
    void stop() {
        Thread t;
        synchronized (this) {
            stopped = true;
            t = thread;
        }
        if (t == null) {
            return;
        }
        LockSupport.unpark(t);
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the flusher is ticking; for tests. */
    boolean isTicking() {
        return ticking;
    }

    private void run() {
        int idle = 0;
        while (!stopped) {
            if (!ticking) {
                LockSupport.park(this);
                idle = 0;
                continue;
            }
            LockSupport.parkNanos(this, tickNanos);
            if (stopped) {
                break;
            }
            boolean any;
            try {
                any = flushStale.getAsBoolean();
            } catch (RuntimeException | Error e) {
                dev.jaio.internal.Callbacks.report(e);
                any = true;
            }
            if (any) {
                idle = 0;
            } else if (++idle >= IDLE_TICKS) {
                ticking = false;
                if (flushStale.getAsBoolean()) {
                    ticking = true; // deferred meanwhile, by a thread that saw us ticking
                }
            }
        }
    }
}
