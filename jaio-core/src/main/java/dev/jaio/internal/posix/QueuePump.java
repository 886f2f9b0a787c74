package dev.jaio.internal.posix;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Moves the posix engine's {@link DescriptorQueues} on when nobody asks: a platform thread that,
 * while some descriptor has operations waiting in the engine's queue (those with a notification,
 * which glibc gets only behind the head of their descriptor), or requests of a list whose
 * notification the engine delivers, looks at glibc's requests of those descriptors every
 * {@link #ROUND_NANOS}, records the completed ones and hands glibc the next waiting operations.
 * Threads that poll or wait move the queues on themselves as soon as they see a completion; the
 * pump is for completions nobody waits for (a program that learns of them by a signal, say), so
 * that nothing waits in the engine's queue for ever. It parks while there is nothing to watch,
 * starts with the first operation queued by the engine, and ends with the engine.
 *
 * <p>Thread-safe.
 */
final class QueuePump {
    /** How often the pump looks while something waits: bounds how late an unobserved completion moves the queue. */
    static final long ROUND_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final PosixEngine engine;
    /** Under the engine's submitLock. */
    private Thread thread;
    private volatile boolean stopping;

    QueuePump(PosixEngine engine) {
        this.engine = engine;
    }

    /** Something needs watching: starts the pump, or unparks it. Under the engine's submitLock. */
    void wake() {
        if (stopping) {
            return;
        }
        if (thread == null) {
            thread = Thread.ofPlatform().daemon().name("jaio-posix-queue-pump").start(this::run);
        } else {
            LockSupport.unpark(thread);
        }
    }

    /** Ends the pump; called by the engine's close once every operation was drained. */
    void stop() {
        Thread t;
        synchronized (engine.submitLock) {
            stopping = true;
            t = thread;
        }
        if (t == null) {
            return;
        }
        LockSupport.unpark(t);
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        while (!stopping) {
            boolean more;
            try {
                synchronized (engine.submitLock) {
                    more = engine.queues.pump();
                }
            } catch (RuntimeException e) {
                // A bug, not a state of the I/O: say so loudly, and keep pumping, or queues would stall.
                System.getLogger("dev.jaio").log(System.Logger.Level.ERROR, "jaio posix: the queue pump failed", e);
                more = true;
            }
            if (more) {
                LockSupport.parkNanos(this, ROUND_NANOS);
            } else {
                LockSupport.park(this); // wake() unparks; a spurious return just looks again
            }
        }
    }
}
