package dev.jaio;

/**
 * How {@link Aio#lioListio(LioMode, java.util.List, SigevNotify)} returns, as in
 * <a href="https://pubs.opengroup.org/onlinepubs/9799919799/functions/lio_listio.html">lio_listio(3p)</a>.
 */
public enum LioMode {
    /** Return when every operation of the list has completed; the list's notification is ignored. */
    LIO_WAIT,
    /** Return once the operations are queued; the list's notification fires when all have completed. */
    LIO_NOWAIT
}
