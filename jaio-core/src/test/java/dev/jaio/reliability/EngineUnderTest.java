package dev.jaio.reliability;

import dev.jaio.AioEngine;
import dev.jaio.AioEngineOptions;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * The engines every reliability test runs on, and how a test opens one: privately (so closing it
 * is the test's right), or, when the engine cannot work on this machine, not at all: the test is
 * then aborted with the engine's own reason, which JUnit prints.
 */
final class EngineUnderTest {
    /** Every engine jaio has; each parameterized test runs once per name. */
    static final List<String> NAMES = List.of("io_uring", "posix", "threads");

    private EngineUnderTest() {
    }

    /**
     * For {@code @MethodSource}: the engine names, or those of {@code -Djaio.reliability.engines}
     * (comma-separated) to run the suite on some of them only.
     */
    static List<String> names() {
        String only = System.getProperty("jaio.reliability.engines", "");
        return only.isBlank() ? NAMES : List.of(only.split(","));
    }

    /** Opens a private engine, or aborts the test saying why this engine cannot work here. */
    static AioEngine open(String name) {
        return open(name, AioEngineOptions.defaults());
    }

    /** {@link #open(String)} with options. */
    static AioEngine open(String name, AioEngineOptions options) {
        try {
            return AioEngine.open(name, options);
        } catch (UnsupportedOperationException refused) {
            Assumptions.abort("engine " + name + " cannot work here: " + refused.getMessage());
            throw new AssertionError("unreachable");
        }
    }

    /** Whether the engine does vectored I/O (glibc's POSIX AIO does not). */
    static boolean vectored(String name) {
        return !name.equals("posix");
    }
}
