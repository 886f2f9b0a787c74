package dev.jaio.internal;

import dev.jaio.Aio;
import dev.jaio.AioException;
import dev.jaio.Errno;
import java.util.List;

/**
 * The one place where {@code -errno} results become exceptions, so every message has the same
 * shape: what was called, on which descriptor, offset and length, and the errno with its text.
 */
public final class Failures {
    private Failures() {
    }

    /** A failed operation: {@code "aio_read(fd=5, offset=0, nbytes=4) failed: EBADF (Bad file descriptor)"}. */
    public static AioException operation(Operation op, int errno, String why) {
        return new AioException(op.describe() + " failed: " + text(errno) + (why == null ? "" : ": " + why),
                Errno.of(errno));
    }

    /** A failed call that is not one operation's (aio_cancel of a descriptor, aio_suspend...). */
    public static AioException call(String call, int errno) {
        return new AioException(call + " failed: " + text(errno), Errno.of(errno));
    }

    /** A failed list submission, naming the blocks that were never queued. */
    public static AioException list(String call, int errno, String detail, List<Aio> notQueued) {
        return new AioException(call + " failed: " + text(errno) + (detail.isEmpty() ? "" : "; " + detail),
                Errno.of(errno), notQueued);
    }

    /** A wait that a {@code Thread.interrupt()} ended. */
    public static AioException interrupted(String call) {
        return new AioException(call + " was interrupted: " + text(Errno.EINTR.code())
                + "; the operations go on: wait for them again and call aioReturn() on each", Errno.EINTR);
    }

    /** {@code "EBADF (Bad file descriptor)"}. */
    public static String text(int errno) {
        Errno e = Errno.of(errno);
        return e == Errno.UNKNOWN ? "errno " + errno : e.name() + " (" + e.description() + ")";
    }
}
