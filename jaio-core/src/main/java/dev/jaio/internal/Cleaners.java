package dev.jaio.internal;

import java.lang.ref.Cleaner;

/**
 * The library's one {@link Cleaner}: it notices control blocks that became unreachable and
 * passes their operations to {@link Operation#unreachable()}, which frees them at once or, if
 * their I/O still runs, lets the engine keep them until it ends.
 */
public final class Cleaners {
    private static final Cleaner CLEANER = Cleaner.create();

    private Cleaners() {
    }

    /**
     * Registers {@code block}, whose operation is {@code op}; {@code op} must not refer back to
     * {@code block}, or the block would never become unreachable.
     */
    public static Cleaner.Cleanable register(Object block, Operation op) {
        return CLEANER.register(block, op::unreachable);
    }
}
