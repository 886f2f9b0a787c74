package dev.jaio.internal.uring;

/**
 * The outcome of {@link IoUring#setup}: a ring ready to use, or the reason there is none.
 * Setup failing is an expected answer on many machines (containers, hardened kernels), not an
 * exception: the engine chooser falls back to another engine and logs {@link
 * SetupFailure#message()}.
 *
 * {@snippet :
 * switch (IoUring.setup(256, 0)) {
 *     case SetupResult.Ready(IoUring ring) -> useRing(ring);
 *     case SetupResult.Refused(SetupFailure why) -> fallBack(why.message());
 * }
 * }
 *
 * <p>Immutable; any thread.
 */
public sealed interface SetupResult permits SetupResult.Ready, SetupResult.Refused {

    /**
     * The ring, or an {@link IllegalStateException} carrying the failure's message: for callers
     * (tests, the CLI) for which no ring is an error.
     */
    IoUring orElseThrow();

    /** The ring was set up and mapped; the receiver owns it and must close it. */
    record Ready(IoUring ring) implements SetupResult {
        @Override
        public IoUring orElseThrow() {
            return ring;
        }
    }

    /** No ring: {@code failure} says which call failed, with which errno, and why that happens. */
    record Refused(SetupFailure failure) implements SetupResult {
        @Override
        public IoUring orElseThrow() {
            throw new IllegalStateException(failure.message());
        }
    }
}
