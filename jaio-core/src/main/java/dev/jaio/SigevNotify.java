package dev.jaio;

import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * How a completion is announced: nothing, a signal, or a callback on another thread; the
 * {@code struct sigevent} of POSIX
 * (<a href="https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/signal.h.html">signal.h</a>).
 *
 * <p>A control block carries one for its own completion ({@link Aio#setSigevNotify}); a list
 * submitted with {@link Aio#lioListio} carries one more that fires once, after every operation of
 * the list has completed. When a notification arrives, the statuses it announces are final:
 * {@link Aio#error()} no longer says {@link Errno#EINPROGRESS}.
 *
 * {@snippet class=dev.jaio.examples.SignalExample region=list-signal}
 */
public sealed interface SigevNotify {

    /**
     * No notification ({@code SIGEV_NONE}): poll {@link Aio#error()} or wait with {@link Aio#aioSuspend}.
     *
     * @return the one {@code SIGEV_NONE} notification
     */
    static SigevNotify none() {
        return SigevNone.INSTANCE;
    }

    /**
     * A process-directed signal carrying {@code value} ({@code SIGEV_SIGNAL}, raised like
     * {@code sigqueue(getpid(), signal, value)}). Catch it in Java with
     * {@code sun.misc.Signal.handle(new sun.misc.Signal(signal.javaName()), handler)}; install the
     * handler before submitting, or the signal's default action (often: end the process) applies.
     *
     * @param signal the signal to raise
     * @param value the {@code sigev_value} it carries ({@code si_value} to a C handler)
     * @return the notification
     */
    static SigevNotify signal(Signal signal, long value) {
        return new SigevSignal(signal, value);
    }

    /**
     * A call of {@code callback.accept(value)} on a thread that is not the submitter's
     * ({@code SIGEV_THREAD}). Keep it short: on the posix engine libc starts a thread for each
     * notification. An exception it throws goes to that thread's uncaught-exception handler and
     * never ends the JVM.
     *
     * @param value passed to the callback
     * @param callback what to run; it must not block for long
     * @return the notification
     */
    static SigevNotify thread(long value, LongConsumer callback) {
        return new SigevThread(value, callback);
    }

    /** {@code SIGEV_NONE}. */
    enum SigevNone implements SigevNotify {
        /** The one value. */
        INSTANCE
    }

    /**
     * {@code SIGEV_SIGNAL} with {@code sigev_signo = signal} and {@code sigev_value = value}.
     *
     * @param signal the signal to raise
     * @param value the value it carries
     */
    record SigevSignal(Signal signal, long value) implements SigevNotify {
        /**
         * Checks the signal.
         *
         * @throws NullPointerException if {@code signal} is null
         */
        public SigevSignal {
            Objects.requireNonNull(signal, "signal");
        }
    }

    /**
     * {@code SIGEV_THREAD}: {@code callback.accept(value)} on another thread.
     *
     * @param value passed to the callback
     * @param callback what to run
     */
    record SigevThread(long value, LongConsumer callback) implements SigevNotify {
        /**
         * Checks the callback.
         *
         * @throws NullPointerException if {@code callback} is null
         */
        public SigevThread {
            Objects.requireNonNull(callback, "callback");
        }
    }
}
