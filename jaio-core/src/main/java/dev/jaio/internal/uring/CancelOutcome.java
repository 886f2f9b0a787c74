package dev.jaio.internal.uring;

/**
 * What the io_uring engine's cancel of one operation found, as the engine hands it to
 * {@code AbstractEngine} (which maps it to {@link dev.jaio.AioCancelStat}); a negative value is
 * instead the {@code -errno} with which {@code io_uring_enter} refused the cancel request.
 * Named here so that no caller compares with a bare 0, 1 or 2.
 */
final class CancelOutcome {
    /** Canceled: it completes with {@code ECANCELED} ({@code AIO_CANCELED}). */
    static final int CANCELED = 0;
    /** The kernel is carrying it out and cannot stop it: {@code -EALREADY} ({@code AIO_NOTCANCELED}). */
    static final int RUNNING = 1;
    /** It had completed, or was not found in the kernel: {@code -ENOENT} ({@code AIO_ALLDONE}). */
    static final int DONE = 2;

    private CancelOutcome() {
    }
}
