package dev.jaio;

/**
 * What an {@link AioFsync} makes durable, as the {@code op} argument of
 * <a href="https://pubs.opengroup.org/onlinepubs/9799919799/functions/aio_fsync.html">aio_fsync(3p)</a>.
 */
public enum AioFsyncMode {
    /** Like {@code fsync(2)}: data and all metadata. */
    O_SYNC,
    /** Like {@code fdatasync(2)}: data and the metadata needed to read it back (size), not timestamps. */
    O_DSYNC
}
