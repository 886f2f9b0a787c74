package dev.jaio.internal.posix;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.jaio.Errno;
import dev.jaio.internal.Failures;
import dev.jaio.internal.Operation;
import dev.jaio.internal.ffi.CallState;
import dev.jaio.internal.ffi.EventFd;
import dev.jaio.internal.ffi.Libc;
import dev.jaio.internal.ffi.PosixAio;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Lets virtual threads wait for posix operations without holding their carrier: they park in
 * Java, and one platform thread of the engine, the watcher, waits in glibc's {@code aio_suspend}
 * on their behalf and unparks each waiter once one of its operations has completed.
 *
 * <p>Why: glibc learns of completions in its own worker threads and tells nobody unless asked
 * for a notification; a thread that waits for one sits in {@code aio_suspend}. A virtual thread
 * in a native call keeps its carrier, so a few virtual threads waiting for slow reads starved
 * every other virtual thread of the default scheduler (one carrier per CPU).
 *
 * <p><b>Waking the watcher.</b> It waits on the aiocbs somebody waits for plus its own wake-up
 * aiocb: an {@code aio_read} of an eventfd it owns (glibc reads it on one of its threads, which
 * it keeps while the watcher lives). A new waiter whose operations the watcher does not already
 * wait on writes to the eventfd; the read completes and {@code aio_suspend} returns. Should the
 * wake-up read not be queued (glibc out of threads or memory), the watcher polls every
 * millisecond instead until it can queue it again.
 *
 * <p><b>Lost wake-ups.</b> Waiters register, and the watcher looks at them and sets up its next
 * wait, under one lock; a waiter that registers while the watcher waits on a list without its
 * aiocbs wakes it, one whose aiocbs are in that list needs not: {@code aio_suspend} returns when
 * any of them completes, or at once if one already has.
 *
 * <p><b>Memory.</b> glibc's {@code aio_suspend} reads every aiocb of its list again when it
 * returns, so an aiocb must not be freed while the watcher waits on it:
 * {@link #release(PosixOperation)} holds back the free until the watcher has moved on. When the
 * engine closes, {@link #stop()} ends the watcher, which lets its wake-up read complete before it
 * frees the aiocb and closes the eventfd: glibc never writes into freed memory.
 *
 * <p>Thread-safe.
 */
final class CompletionWatcher {
    private static final System.Logger LOG = System.getLogger("dev.jaio");
    /** Longest single wait of the watcher; a wake-up normally ends it long before. */
    private static final long SUSPEND_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Polling interval while no wake-up read is queued. */
    private static final long UNARMED_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long EVENTFD_COUNTER_SIZE = 8;
    /** Numbers the watcher threads, so that each engine's can be told apart. */
    private static final java.util.concurrent.atomic.AtomicInteger STARTED = new java.util.concurrent.atomic.AtomicInteger();

    private final String name;
    private final Object lock = new Object();
    private final ThreadLocal<Waiter> waiterOfThread = ThreadLocal.withInitial(Waiter::new);

    // ---- under lock
    private Waiter[] waiters = new Waiter[8];
    private int waiterCount;
    /** Number of the watcher's current wait; an operation in it has {@code watchCycle == cycle}. */
    private long cycle = 1;
    /** The watcher waits and looks at the waiters only when woken. */
    private boolean waiting;
    private boolean wakePending;
    private boolean stopping;
    /** Stopped, or never to start (its engine closed): callers wait in native code instead. */
    private boolean stopped;
    private Thread thread;
    private int eventFd = -1;
    private MemorySegment wakeAiocb;
    private MemorySegment wakeBuffer;
    /** The wake-up read is queued in glibc and not yet returned. */
    private boolean wakeInFlight;
    /** The watcher thread's own: the operations it pinned for its current aio_suspend. */
    private PosixOperation[] pinned = new PosixOperation[8];
    private int pinnedCount;

    /** What one waiting thread waits for; reused across its waits. */
    private static final class Waiter {
        final Thread thread = Thread.currentThread();
        PosixOperation[] ops = new PosixOperation[4];
        int count;
        /** Among the watcher's waiters. Under lock. */
        boolean registered;

        void set(Operation[] from, int start, int n) {
            if (ops.length < n) {
                ops = new PosixOperation[Math.max(n, 2 * ops.length)];
            }
            for (int i = 0; i < n; i++) {
                ops[i] = (PosixOperation) from[start + i];
            }
            count = n;
        }

        void clear() {
            for (int i = 0; i < count; i++) {
                ops[i] = null;
            }
            count = 0;
        }

        boolean anyDone() {
            for (int i = 0; i < count; i++) {
                if (ops[i].mayHaveCompleted()) {
                    return true;
                }
            }
            return false;
        }
    }

    CompletionWatcher(String engineName) {
        this.name = engineName;
    }

    /**
     * Parks the calling thread until one of {@code ops[from..from+count)} may have completed,
     * {@code nanos} passed, or the thread is interrupted (at once). False, without waiting, if
     * the watcher has stopped: the caller then waits some other way.
     */
    boolean await(Operation[] ops, int from, int count, long nanos) {
        Waiter w = waiterOfThread.get();
        w.set(ops, from, count);
        try {
            synchronized (lock) {
                if (stopped || stopping) {
                    return false;
                }
                start();
                add(w);
                if (waiting && !allWatched(w)) {
                    wake();
                }
            }
            LockSupport.parkNanos(this, nanos);
            return true;
        } finally {
            synchronized (lock) {
                if (w.registered) {
                    remove(w);
                }
            }
            w.clear();
        }
    }

    /**
     * Returns once the watcher no longer waits on {@code op}'s aiocb, which may then be freed.
     * Called when the operation is freed (its I/O has ended, so nobody waits for it any more).
     */
    void release(PosixOperation op) {
        boolean interrupted = false;
        synchronized (lock) {
            while (waiting && op.watchCycle == cycle && thread != null && thread.isAlive()) {
                wake();
                try {
                    lock.wait(10);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Ends the watcher and frees what it owns (after its wake-up read has completed). Later
     * {@link #await} calls answer false. Called by the engine's close, when nobody waits.
     */
    void stop() {
        Thread t;
        synchronized (lock) {
            stopped = true;
            if (thread == null) {
                return;
            }
            stopping = true;
            wake();
            t = thread;
        }
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

    // ---------------------------------------------------------------- under lock

    private void start() {
        if (thread != null) {
            return;
        }
        int fd = EventFd.create();
        if (fd >= 0) {
            eventFd = fd;
            wakeBuffer = Libc.calloc(EVENTFD_COUNTER_SIZE);
            wakeAiocb = Libc.calloc(PosixAio.AIOCB_SIZE);
            wakeAiocb.set(JAVA_INT, PosixAio.AIO_FILDES, fd);
            wakeAiocb.set(JAVA_INT, PosixAio.AIO_LIO_OPCODE, PosixAio.LIO_READ);
            wakeAiocb.set(ADDRESS, PosixAio.AIO_BUF, wakeBuffer);
            wakeAiocb.set(JAVA_LONG, PosixAio.AIO_NBYTES, EVENTFD_COUNTER_SIZE);
            wakeAiocb.set(JAVA_INT, PosixAio.AIO_SIGEVENT + PosixAio.SIGEV_NOTIFY, PosixAio.SIGEV_NONE);
        } else {
            LOG.log(System.Logger.Level.WARNING, "jaio " + name + ": eventfd failed (" + Failures.text(-fd)
                    + "); waits of virtual threads poll every millisecond");
        }
        thread = Thread.ofPlatform().daemon().name("jaio-" + name + "-watcher-" + STARTED.incrementAndGet())
                .start(this::run);
    }

    private void add(Waiter w) {
        if (waiterCount == waiters.length) {
            waiters = java.util.Arrays.copyOf(waiters, 2 * waiters.length);
        }
        waiters[waiterCount++] = w;
        w.registered = true;
    }

    private void remove(Waiter w) {
        for (int i = 0; i < waiterCount; i++) {
            if (waiters[i] == w) {
                waiters[i] = waiters[--waiterCount];
                waiters[waiterCount] = null;
                break;
            }
        }
        w.registered = false;
    }

    private boolean allWatched(Waiter w) {
        for (int i = 0; i < w.count; i++) {
            if (w.ops[i].watchCycle != cycle) {
                return false;
            }
        }
        return true;
    }

    /** Ends the watcher's current wait soon. */
    private void wake() {
        lock.notifyAll();
        if (wakeInFlight && !wakePending) {
            long r = EventFd.signal(eventFd);
            if (r < 0) {
                throw new IllegalStateException("jaio " + name + ": write(eventfd) failed: " + Failures.text((int) -r));
            }
            wakePending = true;
        }
    }

    // ---------------------------------------------------------------- the watcher thread

    private void run() {
        try {
            watch();
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "jaio " + name + ": the completion watcher failed; virtual threads"
                    + " now wait in native code", t);
        } finally {
            synchronized (lock) {
                stopped = true;
                for (int i = 0; i < waiterCount; i++) {
                    waiters[i].registered = false;
                    LockSupport.unpark(waiters[i].thread);
                    waiters[i] = null;
                }
                waiterCount = 0;
                waiting = false;
                lock.notifyAll();
            }
            freeWakeUp();
        }
    }

    private void watch() throws InterruptedException {
        CallState state = CallState.current();
        while (true) {
            MemorySegment list;
            int n = 0;
            synchronized (lock) {
                waiting = false;
                cycle++;
                lock.notifyAll(); // release(): the previous wait is over
                reapWakeUp();
                if (stopping) {
                    return;
                }
                armWakeUp();
                for (int i = 0; i < waiterCount; ) {
                    Waiter w = waiters[i];
                    if (w.anyDone()) {
                        remove(w); // moves the last waiter to i
                        LockSupport.unpark(w.thread);
                    } else {
                        i++;
                    }
                }
                int total = wakeInFlight ? 1 : 0;
                for (int i = 0; i < waiterCount; i++) {
                    total += waiters[i].count;
                }
                list = state.pointers(Math.max(total, 1));
                if (wakeInFlight) {
                    list.setAtIndex(ADDRESS, n++, wakeAiocb);
                }
                if (pinned.length < total) {
                    pinned = new PosixOperation[Math.max(total, 2 * pinned.length)];
                }
                for (int i = 0; i < waiterCount; i++) {
                    Waiter w = waiters[i];
                    for (int j = 0; j < w.count; j++) {
                        // Pinned while glibc may still look at it: see PosixOperation.awaitNoSuspender.
                        if (!w.ops[j].pin()) {
                            continue; // being freed: its waiter looks again when its slice ends
                        }
                        pinned[pinnedCount++] = w.ops[j];
                        w.ops[j].watchCycle = cycle;
                        list.setAtIndex(ADDRESS, n++, w.ops[j].aiocb);
                    }
                }
                waiting = true;
                if (n == 0) {
                    lock.wait(); // nothing to wait on natively (no wake-up read, no waiter): wake() notifies
                    continue;
                }
            }
            int r;
            try {
                r = PosixAio.aioSuspend(list, n, wakeInFlight ? SUSPEND_NANOS : UNARMED_NANOS);
            } finally {
                for (int i = 0; i < pinnedCount; i++) {
                    pinned[i].unpin();
                    pinned[i] = null;
                }
                pinnedCount = 0;
            }
            if (r < 0 && r != -Errno.EAGAIN.code() && r != -Errno.EINTR.code()) {
                throw new IllegalStateException("aio_suspend failed: " + Failures.text(-r));
            }
        }
    }

    /** Under lock: if the wake-up read has completed, returns it. */
    private void reapWakeUp() {
        if (!wakeInFlight) {
            return;
        }
        int e = PosixAio.aioError(wakeAiocb);
        if (e == Errno.EINPROGRESS.code()) {
            return;
        }
        PosixAio.aioReturn(wakeAiocb);
        wakeInFlight = false;
        wakePending = false;
        if (e != 0) {
            LOG.log(System.Logger.Level.WARNING, "jaio " + name + ": the watcher's wake-up read failed: "
                    + Failures.text(e));
        }
    }

    /** Under lock: queues the wake-up read if it is not queued. */
    private void armWakeUp() {
        if (wakeInFlight || eventFd < 0) {
            return;
        }
        int r = PosixAio.aioRead(wakeAiocb);
        if (r == 0) {
            wakeInFlight = true;
        } else {
            LOG.log(System.Logger.Level.DEBUG, "jaio " + name + ": the watcher's wake-up read was not queued ("
                    + Failures.text(-r) + "); polling until it is");
        }
    }

    /** After the loop: lets the wake-up read complete, then frees its aiocb and closes the eventfd. */
    private void freeWakeUp() {
        if (eventFd < 0) {
            return;
        }
        if (wakeInFlight) {
            long s = EventFd.signal(eventFd);
            if (s < 0) {
                LOG.log(System.Logger.Level.ERROR, "jaio " + name + ": write(eventfd) failed (" + Failures.text((int) -s)
                        + "); the watcher's wake-up read stays queued, its memory is left to it");
                return;
            }
            MemorySegment one = CallState.current().pointers(1);
            one.setAtIndex(ADDRESS, 0, wakeAiocb);
            while (PosixAio.aioError(wakeAiocb) == Errno.EINPROGRESS.code()) {
                PosixAio.aioSuspend(one, 1, UNARMED_NANOS * 10);
            }
            PosixAio.aioReturn(wakeAiocb);
            wakeInFlight = false;
        }
        int c = Libc.close(eventFd);
        if (c < 0) {
            LOG.log(System.Logger.Level.WARNING, "jaio " + name + ": close(eventfd) failed: " + Failures.text(-c));
        }
        eventFd = -1;
        Libc.free(wakeAiocb);
        Libc.free(wakeBuffer);
        wakeAiocb = null;
        wakeBuffer = null;
    }
}
