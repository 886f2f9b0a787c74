package dev.jaio;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The timer of {@link AioFileChannel}'s deadlines: one daemon thread for the process, started with
 * the first deadline. When a deadline passes it asks the engine to cancel the operation's
 * submission ({@code aio_cancel}), engine-neutrally; the operation then ends as the engine ends
 * it, and only its end completes the future ({@link java.nio.channels.InterruptedByTimeoutException}
 * if the cancel took effect). A task whose operation ended first is removed from the queue.
 */
final class Deadlines {
    private Deadlines() {
    }

    private static final class Timer {
        static final ScheduledThreadPoolExecutor EXECUTOR = make();

        private static ScheduledThreadPoolExecutor make() {
            ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1,
                    Thread.ofPlatform().daemon().name("jaio-deadlines").factory());
            e.setRemoveOnCancelPolicy(true);
            return e;
        }
    }

    /** Cancels submission {@code generation} of {@code op} after {@code timeout}, if it still runs. */
    static ScheduledFuture<?> schedule(ChannelOp op, int generation, Duration timeout) {
        long nanos;
        try {
            nanos = Math.max(0, timeout.toNanos());
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE;
        }
        return Timer.EXECUTOR.schedule(() -> op.cancel(generation, ChannelOp.BY_DEADLINE), nanos, TimeUnit.NANOSECONDS);
    }
}
