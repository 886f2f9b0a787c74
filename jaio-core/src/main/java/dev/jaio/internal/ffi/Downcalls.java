package dev.jaio.internal.ffi;

/**
 * What a {@code invokeExact} on a downcall handle can throw besides the C function's own
 * result: nothing, unless the handle and the call site disagree on types, which is a bug in jaio.
 * This turns such a bug into an {@link AssertionError} that names the function, instead of a
 * checked {@code Throwable} every caller would have to carry.
 */
final class Downcalls {
    private Downcalls() {
    }

    static Error unexpected(String function, Throwable t) {
        if (t instanceof Error e) {
            return e;
        }
        if (t instanceof RuntimeException re) {
            throw re;
        }
        return new AssertionError("downcall to " + function + " failed unexpectedly", t);
    }
}
