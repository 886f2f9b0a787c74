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
 * {@snippet class=dev.jaio.examples.ProtocolExample region=not-queued}
 */
public class AioException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Why the operation or call failed; {@link #errno()}. */
    private final Errno errno;
    private final transient List<Aio> notQueued;

    /**
     * An exception for {@code errno} with a message that names the operation.
     *
     * @param message what failed, such as {@code "aio_read(fd=7, offset=0, nbytes=512) failed: EBADF"}
     * @param errno why
     */
    public AioException(String message, Errno errno) {
        this(message, errno, List.of());
    }

    /**
     * An exception from a list submission, with the blocks of the list that were never queued.
     *
     * @param message what failed
     * @param errno why
     * @param notQueued the blocks of the list that were never queued, in list order (copied)
     */
    public AioException(String message, Errno errno, List<Aio> notQueued) {
        super(message);
        this.errno = errno;
        this.notQueued = List.copyOf(notQueued);
    }

    /**
     * The errno.
     *
     * @return why the operation or the call failed
     */
    public Errno errno() {
        return errno;
    }

    /**
     * The blocks of a failed {@link Aio#lioListio} that were never queued, in list order: the ones
     * to fix and submit again. Empty for any other failure.
     *
     * @return the blocks never queued, possibly empty
     */
    public List<Aio> notQueued() {
        return notQueued == null ? List.of() : notQueued;
    }
}
