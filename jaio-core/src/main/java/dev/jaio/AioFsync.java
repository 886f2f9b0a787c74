package dev.jaio;

import dev.jaio.internal.OpKind;
import java.util.Objects;

/**
 * {@code aio_fsync}: makes durable every write to {@code fd} that was queued before it (POSIX:
 * "all I/O operations associated with the file descriptor ... queued at the time of the call").
 * {@link AioFsyncMode#O_SYNC} works like {@code fsync}, {@link AioFsyncMode#O_DSYNC} like
 * {@code fdatasync}. {@link #aioReturn()} gives 0. It cannot be part of a
 * {@link Aio#lioListio} list; submit it after the list.
 *
 * @see <a href="https://pubs.opengroup.org/onlinepubs/9799919799/functions/aio_fsync.html">aio_fsync</a>
 */
public final class AioFsync extends ControlBlock implements Aio {

    /**
     * An fsync on the {@linkplain AioEngine#defaultEngine() default engine}.
     *
     * @param fd the file descriptor ({@code aio_fildes})
     * @param mode {@link AioFsyncMode#O_SYNC} ({@code fsync}) or {@link AioFsyncMode#O_DSYNC} ({@code fdatasync})
     * @param priority {@code aio_reqprio}, {@code 0..20}: how much to lower the request's priority (engines may ignore it)
     * @param notify the block's own notification; {@code null} means {@link SigevNotify#none()}
     */
    public AioFsync(int fd, AioFsyncMode mode, int priority, SigevNotify notify) {
        this(defaultEngine(), fd, mode, priority, notify);
    }

    /**
     * An fsync on {@code engine}.
     *
     * @param engine the engine that runs it
     * @param fd the file descriptor ({@code aio_fildes})
     * @param mode {@link AioFsyncMode#O_SYNC} ({@code fsync}) or {@link AioFsyncMode#O_DSYNC} ({@code fdatasync})
     * @param priority {@code aio_reqprio}, {@code 0..20}: how much to lower the request's priority (engines may ignore it)
     * @param notify the block's own notification; {@code null} means {@link SigevNotify#none()}
     */
    public AioFsync(AioEngine engine, int fd, AioFsyncMode mode, int priority, SigevNotify notify) {
        super(engine, OpKind.FSYNC, fd, priority, Objects.requireNonNull(mode, "mode"), notify);
    }

    /**
     * The mode, as given (unlike nix, which loses it at submit).
     *
     * @return the mode given at construction
     */
    public AioFsyncMode mode() {
        return op.fsyncMode();
    }
}
