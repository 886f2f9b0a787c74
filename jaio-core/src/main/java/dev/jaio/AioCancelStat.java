package dev.jaio;

/**
 * The outcome of {@link Aio#cancel()} and {@link Aio#aioCancelAll(int)}, as in
 * <a href="https://pubs.opengroup.org/onlinepubs/9799919799/functions/aio_cancel.html">aio_cancel(3p)</a>.
 * Whatever the outcome, a submitted block must still be finished with {@link Aio#aioReturn()}.
 */
public enum AioCancelStat {
    /** Every requested operation was canceled; each now reports {@link Errno#ECANCELED}. */
    AIO_CANCELED,
    /** At least one operation was already running and could not be canceled; wait for it. */
    AIO_NOTCANCELED,
    /** Every requested operation had already completed (or there was none). */
    AIO_ALLDONE
}
