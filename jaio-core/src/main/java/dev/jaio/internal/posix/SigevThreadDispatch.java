package dev.jaio.internal.posix;

import dev.jaio.internal.ffi.PosixAio;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Carries {@code SigevNotify.thread} through libc's {@code SIGEV_THREAD}: libc starts a thread
 * and calls one C function pointer with the sigevent's {@code sigev_value}; that pointer is an
 * FFM upcall into {@link #dispatch(long)}, and the value is a token that names the Java callback
 * and the user's value.
 *
 * <p><b>Lifetimes.</b> A token must outlive every notification libc may still deliver for it,
 * even after the block was returned or closed (libc creates the notifying thread before
 * {@code aio_error} reports completion, and the thread runs later). So a token counts the
 * notifications it still owes: {@link #expect(long)} before each submission that will notify,
 * {@link #unexpect(long)} for one that was never queued, and the entry is dropped when it is
 * retired and owes nothing. One-shot tokens (a list's notification) retire themselves.
 *
 * <p><b>Exceptions.</b> An exception escaping an upcall would end the JVM; {@link #dispatch}
 * catches everything and hands it to the thread's uncaught-exception handler.
 *
 * <p>Thread-safe; {@link #dispatch} runs on libc's notification threads.
 */
final class SigevThreadDispatch {
    private static final AtomicLong NEXT_TOKEN = new AtomicLong(1);
    private static final ConcurrentHashMap<Long, Entry> ENTRIES = new ConcurrentHashMap<>();

    /** The C function pointer libc calls: {@code void dispatch(union sigval)}. */
    static final MemorySegment FUNCTION;

    static {
        try {
            FUNCTION = PosixAio.sigevThreadStub(MethodHandles.lookup().findStatic(SigevThreadDispatch.class,
                    "dispatch", MethodType.methodType(void.class, long.class)));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final class Entry {
        final LongConsumer callback;
        final long value;
        final boolean oneShot;
        final AtomicInteger owed = new AtomicInteger();
        volatile boolean retired;

        Entry(LongConsumer callback, long value, boolean oneShot) {
            this.callback = callback;
            this.value = value;
            this.oneShot = oneShot;
        }
    }

    private SigevThreadDispatch() {
    }

    /** A token for a block's notification, valid until {@link #retire(long)}. */
    static long register(LongConsumer callback, long value) {
        long token = NEXT_TOKEN.getAndIncrement();
        ENTRIES.put(token, new Entry(callback, value, false));
        return token;
    }

    /** A token for one list notification: it owes exactly one call and then retires. */
    static long registerOneShot(LongConsumer callback, long value) {
        long token = NEXT_TOKEN.getAndIncrement();
        Entry e = new Entry(callback, value, true);
        e.owed.set(1);
        e.retired = true;
        ENTRIES.put(token, e);
        return token;
    }

    /** One more notification will come for {@code token} (a submission was made). */
    static void expect(long token) {
        Entry e = ENTRIES.get(token);
        if (e != null) {
            e.owed.incrementAndGet();
        }
    }

    /** A notification that was expected will not come (the submission was not queued). */
    static void unexpect(long token) {
        Entry e = ENTRIES.get(token);
        if (e != null && e.owed.decrementAndGet() == 0 && e.retired) {
            ENTRIES.remove(token);
        }
    }

    /** The token will not be used for new submissions; drop it once it owes nothing. */
    static void retire(long token) {
        Entry e = ENTRIES.get(token);
        if (e != null) {
            e.retired = true;
            if (e.owed.get() == 0) {
                ENTRIES.remove(token);
            }
        }
    }

    /** Number of live tokens (for tests: no leak per operation). */
    static int liveTokens() {
        return ENTRIES.size();
    }

    /** Upcall target: never throws. */
    private static void dispatch(long token) {
        try {
            Entry e = ENTRIES.get(token);
            if (e == null) {
                return;
            }
            try {
                e.callback.accept(e.value);
            } finally {
                if (e.owed.decrementAndGet() <= 0 && e.retired) {
                    ENTRIES.remove(token);
                }
            }
        } catch (Throwable t) {
            report(t);
        }
    }

    private static void report(Throwable t) {
        try {
            Thread current = Thread.currentThread();
            current.getUncaughtExceptionHandler().uncaughtException(current, t);
        } catch (Throwable ignoredBecauseTheHandlerItselfFailed) {
            // Nothing is left to report to; the JVM must survive a broken handler too.
        }
    }
}
