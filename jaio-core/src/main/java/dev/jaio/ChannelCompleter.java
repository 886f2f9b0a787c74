package dev.jaio;

import dev.jaio.internal.AbstractEngine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The one thread per engine that finishes the operations of every {@link AioFileChannel} of that
 * engine that the engine reports on its own threads and that no thread waits for (what it
 * reports on a submitting thread is finished there: {@link InlineCompletions}; on io_uring and
 * threads, a thread waiting for the future finishes the operation itself: see {@link ChannelOp}):
 * it {@code aioReturn()}s each block, delivers the bytes of heap buffers, completes the future and
 * runs the handler (or hands it to the channel's executor). Waiting threads, virtual or not, park
 * only on their future.
 *
 * <p><b>Learning that an operation ended.</b> On io_uring and threads the engine tells the
 * operation itself ({@code CompletionListener}), which (off a submitting thread) pushes it on {@link #ready}, a lock-free
 * stack linked through the operations ({@link ChannelOp#nextReady}): no allocation. glibc tells
 * nobody, so on posix the operations in flight are kept in {@link #watched} and this thread waits
 * for them with {@link Aio#aioSuspend} on at most {@link #WINDOW} of them at a time (glibc looks up
 * every entry of the list in its request list), bounded to {@link #POSIX_SLICE} so that newer
 * operations are looked at too, then asks each with {@link Aio#error()}, which is a plain load.
 *
 * <p>The thread exists while a channel of the engine is open. Thread-safe.
 */
final class ChannelCompleter implements Runnable {
    private static final Map<AioEngine, ChannelCompleter> BY_ENGINE = new HashMap<>();
    private static final ThreadLocal<ChannelCompleter> CURRENT = new ThreadLocal<>();
    private static final int WINDOW = 64;
    private static final Duration POSIX_SLICE = Duration.ofMillis(2);
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final AioEngine engine;
    /** The engine calls each operation's listener: no polling needed. */
    final boolean told;
    private final Thread thread;
    private final AtomicReference<ChannelOp> ready = new AtomicReference<>();
    /** Channels of the engine that are open; under BY_ENGINE's lock. */
    private int channels;
    private volatile boolean stopping;

    // posix only, under `this`
    private ChannelOp[] watched = new ChannelOp[64];
    private int watchedCount;
    // posix only, this thread
    private final List<Aio> window = new ArrayList<>(WINDOW);
    private ChannelOp[] scan = new ChannelOp[64];

    private ChannelCompleter(AioEngine engine) {
        this.engine = engine;
        this.told = ((AbstractEngine) engine).tellsCompletionListeners();
        this.thread = Thread.ofPlatform().daemon().name("jaio-" + engine.name() + "-channels").unstarted(this);
    }

    /** The completer of {@code engine}, started if needed, counting one more open channel. */
    static ChannelCompleter attach(AioEngine engine) {
        synchronized (BY_ENGINE) {
            ChannelCompleter c = BY_ENGINE.get(engine);
            if (c == null) {
                c = new ChannelCompleter(engine);
                BY_ENGINE.put(engine, c);
                c.thread.start();
            }
            c.channels++;
            return c;
        }
    }

    /** A channel of the engine closed and has nothing in flight; the last one stops the thread. */
    void detach() {
        synchronized (BY_ENGINE) {
            if (--channels == 0) {
                BY_ENGINE.remove(engine);
                stopping = true;
                LockSupport.unpark(thread);
            }
        }
    }

    /** Whether the calling thread is a completer (which must never wait for a channel's operation). */
    static boolean isCompleterThread() {
        return CURRENT.get() != null;
    }

    /** io_uring, threads: {@code op}'s I/O ended (called by its listener, on an engine thread). */
    void ready(ChannelOp op) {
        while (true) {
            ChannelOp head = ready.get();
            op.nextReady = head;
            if (ready.compareAndSet(head, op)) {
                if (head == null) {
                    LockSupport.unpark(thread);
                }
                return;
            }
        }
    }

    /** posix: {@code op} was submitted; watch it until it ends. */
    void watch(ChannelOp op) {
        boolean first;
        synchronized (this) {
            if (watchedCount == watched.length) {
                watched = java.util.Arrays.copyOf(watched, watched.length * 2);
            }
            watched[watchedCount++] = op;
            first = watchedCount == 1;
        }
        if (first) {
            LockSupport.unpark(thread);
        }
    }

    @Override
    public void run() {
        CURRENT.set(this);
        while (true) {
            boolean worked = drainReady();
            if (!told) {
                worked |= pollWatched();
            }
            if (worked) {
                continue;
            }
            if (stopping && ready.get() == null && watchedCount() == 0) {
                return;
            }
            if (ready.get() == null && watchedCount() == 0) {
                LockSupport.parkNanos(this, IDLE_PARK_NANOS);
            }
        }
    }

    private boolean drainReady() {
        ChannelOp list = ready.getAndSet(null);
        if (list == null) {
            return false;
        }
        // The stack holds the latest first: finish in the order the engine reported them.
        ChannelOp reversed = null;
        while (list != null) {
            ChannelOp next = list.nextReady;
            list.nextReady = reversed;
            reversed = list;
            list = next;
        }
        while (reversed != null) {
            ChannelOp next = reversed.nextReady;
            reversed.nextReady = null;
            finish(reversed);
            reversed = next;
        }
        return true;
    }

    private synchronized int watchedCount() {
        return watchedCount;
    }

    /** posix: waits a little for the oldest watched operations, then finishes every one that ended. */
    private boolean pollWatched() {
        int n;
        synchronized (this) {
            n = watchedCount;
            if (n == 0) {
                return false;
            }
            if (scan.length < n) {
                scan = new ChannelOp[watched.length];
            }
            System.arraycopy(watched, 0, scan, 0, n);
        }
        boolean anyDone = false;
        for (int i = 0; i < n && !anyDone; i++) {
            anyDone = ended(scan[i]);
        }
        if (!anyDone) {
            window.clear();
            for (int i = 0; i < Math.min(n, WINDOW); i++) {
                window.add(scan[i].aio);
            }
            try {
                engine.aioSuspend(window, POSIX_SLICE);
            } catch (AioException | RuntimeException engineClosedOrInterrupted) {
                // An engine closed under its channels ends each operation (error() then throws):
                // found by the scan below.
                Thread.interrupted();
            } finally {
                window.clear();
            }
        }
        int finished = 0;
        for (int i = 0; i < n; i++) {
            if (ended(scan[i])) {
                scan[i].endSeen = true;
                finished++;
            } else {
                scan[i] = null;
            }
        }
        if (finished == 0) {
            return false;
        }
        synchronized (this) {
            int k = 0;
            for (int i = 0; i < watchedCount; i++) {
                if (!watched[i].endSeen) {
                    watched[k++] = watched[i]; // keeps the order: oldest first for the next window
                }
            }
            java.util.Arrays.fill(watched, k, watchedCount, null);
            watchedCount = k;
        }
        for (int i = 0; i < n; i++) {
            ChannelOp op = scan[i];
            if (op != null) {
                scan[i] = null;
                op.endSeen = false;
                finish(op);
            }
        }
        return true;
    }

    private static boolean ended(ChannelOp op) {
        try {
            return op.aio.error() != Errno.EINPROGRESS;
        } catch (IllegalStateException closed) {
            return true;
        }
    }

    private static void finish(ChannelOp op) {
        try {
            op.channel.finish(op);
        } catch (Throwable t) {
            dev.jaio.internal.Callbacks.report(t);
        }
    }
}
