package dev.jaio.internal;

import java.util.function.LongConsumer;

/**
 * Runs a user's {@code SigevNotify.thread} callback so that nothing it throws can end the JVM or
 * an engine thread: the exception goes to the running thread's uncaught-exception handler, the
 * usual Java place for an exception nobody can catch (by default it is printed to standard error).
 */
public final class Callbacks {
    private Callbacks() {
    }

    /** {@code callback.accept(value)}, reporting instead of throwing. */
    public static void run(LongConsumer callback, long value) {
        try {
            callback.accept(value);
        } catch (Throwable t) {
            report(t);
        }
    }

    /** Hands {@code t} to the current thread's uncaught-exception handler; never throws. */
    public static void report(Throwable t) {
        try {
            Thread current = Thread.currentThread();
            current.getUncaughtExceptionHandler().uncaughtException(current, t);
        } catch (Throwable handlerFailed) {
            // The handler itself failed: there is nobody left to tell, and the thread must live on.
            assert handlerFailed != null;
        }
    }
}
