package dev.jaio.contract;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the {@code SIGUSR2} signals the process receives, through the ordinary Java way of
 * handling a signal ({@code sun.misc.Signal.handle}, see {@link SunMiscSignal}), as jaio's users do for
 * {@code SigevNotify.signal(Signal.SIGUSR2, value)}.
 *
 * <p>The handler is process-wide, so {@link #install()} (re)installs the counting handler before
 * each use: another test class may have put its own in place. It is never reset to the default
 * action, because a late signal would then kill the JVM. Standard signals coalesce while one is
 * pending, so the count tells "at least once", never "exactly once"; tests that need exactly
 * once use thread callbacks instead.
 *
 * <p>Thread safety: the count is atomic; the handler runs on the JVM's signal dispatch thread.
 */
public final class Usr2 {
    private static final AtomicInteger RECEIVED = new AtomicInteger();

    private Usr2() {
    }

    /** Installs the counting handler for {@code SIGUSR2} and returns the count so far. */
    public static synchronized int install() {
        SunMiscSignal.handle("USR2", RECEIVED::incrementAndGet);
        return RECEIVED.get();
    }

    /** How many {@code SIGUSR2} the counting handler has seen since the JVM started. */
    public static int received() {
        return RECEIVED.get();
    }

    /** Sleeps in 10 ms steps (as nix's tests do) until the count exceeds {@code before}. */
    public static void awaitAfter(int before, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (RECEIVED.get() <= before) {
            if (System.nanoTime() - deadline > 0) {
                fail("no SIGUSR2 within " + timeout);
            }
            Thread.sleep(10);
        }
    }
}
