package dev.jaio;

import java.io.IOException;
import java.io.Serial;
import java.util.List;

/**
 * An asynchronous I/O operation, or the call that submits or waits for it, failed with an errno.
 *
 * <p>The message names the operation, descriptor, offset, length and errno, for example
 * {@code "aio_read(fd=7, offset=4096, nbytes=512) failed: EBADF (Bad file descriptor)"}.
 *
 * <p>When {@link Aio#lioListio} fails, the list may be partly submitted: {@link #notQueued()}
 * lists the blocks that were never queued (each has {@code inProgress() == false} and tells why in
 * {@code error()}); every other block of the list was queued and must be finished with
 * {@link Aio#aioReturn()} as usual. Fix the reason and submit exactly those again:
 * {@snippet :
 * try {
 *     Aio.lioListio(LioMode.LIO_NOWAIT, list, SigevNotify.none());
 * } catch (AioException e) {
 *     if (e.errno() != Errno.EAGAIN) throw e;      // EAGAIN: out of resources for now
 *     Aio.lioListio(LioMode.LIO_NOWAIT, e.notQueued(), SigevNotify.none());
 * }
 * }
 */
public class AioException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final Errno errno;
    private final transient List<Aio> notQueued;

    /** An exception for {@code errno} with a message that names the operation. */
    public AioException(String message, Errno errno) {
        this(message, errno, List.of());
    }

    /** An exception from a list submission, with the blocks of the list that were never queued. */
    public AioException(String message, Errno errno, List<Aio> notQueued) {
        super(message);
        this.errno = errno;
        this.notQueued = List.copyOf(notQueued);
    }

    /** The errno. */
    public Errno errno() {
        return errno;
    }

    /**
     * The blocks of a failed {@link Aio#lioListio} that were never queued, in list order: the ones
     * to fix and submit again. Empty for any other failure.
     */
    public List<Aio> notQueued() {
        return notQueued == null ? List.of() : notQueued;
    }
}
