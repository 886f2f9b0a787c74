package dev.jaio.reliability;

import dev.jaio.Aio;
import dev.jaio.AioException;
import dev.jaio.Errno;
import java.time.Duration;
import java.util.List;

/**
 * Bounded waits for the reliability tests: every wait has a deadline, and missing it fails the
 * test with every thread's stack, so a hang is reported as one instead of stalling the build.
 */
final class Waits {
    /** How long any operation of these tests may take to complete. */
    static final Duration PATIENCE = Duration.ofSeconds(30);

    private Waits() {
    }

    /** Waits until no block of {@code blocks} is {@code EINPROGRESS}; fails after {@code patience}. */
    static void untilComplete(List<? extends Aio> blocks, Duration patience) throws AioException {
        long deadline = System.nanoTime() + patience.toNanos();
        for (Aio a : blocks) {
            while (a.error() == Errno.EINPROGRESS) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("operation still in progress after " + patience + ": " + a + "\n"
                            + ThreadDump.all());
                }
                Aio.aioSuspend(List.of(a), Duration.ofNanos(Math.min(left, 100_000_000L)));
            }
        }
    }

    /** {@link #untilComplete(List, Duration)} with {@link #PATIENCE}. */
    static void untilComplete(List<? extends Aio> blocks) throws AioException {
        untilComplete(blocks, PATIENCE);
    }

    /** Joins {@code t}; fails with every thread's stack if it has not ended within {@code patience}. */
    static void join(Thread t, Duration patience, String what) throws InterruptedException {
        t.join(patience.toMillis());
        if (t.isAlive()) {
            throw new AssertionError(what + ": still running after " + patience + " (hang)\n" + ThreadDump.all());
        }
    }
}
