package dev.jaio.internal.ffi;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;

/**
 * What a descriptor is, asked without touching its data: {@code fcntl(F_GETFD)} (is it open at
 * all), {@code fcntl(F_GETFL)} (its status flags, such as {@code O_APPEND}) and
 * {@code lseek(fd, 0, SEEK_CUR)} (does it have an offset). None of them blocks or changes the
 * descriptor. Each returns its answer or {@code -errno}. Callable from any thread.
 */
public final class Descriptors {
    /** {@code <fcntl.h>} commands and {@code <unistd.h>} whence, Linux generic values. */
    static final int F_GETFD = 1, F_GETFL = 3, SEEK_CUR = 1;
    static final int ESPIPE = 29;

    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    /**
     * {@code int fcntl(int fd, int cmd, ...)}: variadic after {@code cmd}; the get commands read no
     * third argument, and passing a 0 there is how C callers may call it too.
     */
    private static final MethodHandle FCNTL = Libc.downcall("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO, Linker.Option.firstVariadicArg(2));
    /** {@code off_t lseek(int fd, off_t offset, int whence)}. */
    private static final MethodHandle LSEEK = Libc.downcall("lseek",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT), ERRNO);

    private Descriptors() {
    }

    /** 0 if {@code fd} is an open descriptor of this process, else {@code -errno} ({@code -EBADF}). */
    public static int checkOpen(int fd) {
        int r = fcntl(fd, F_GETFD, "fcntl(F_GETFD)");
        return r >= 0 ? 0 : r;
    }

    /** The file status flags of {@code fd} ({@code O_APPEND}, the access mode...), or {@code -errno}. */
    public static int statusFlags(int fd) {
        return fcntl(fd, F_GETFL, "fcntl(F_GETFL)");
    }

    /**
     * Whether {@code fd} has a file offset: {@code lseek} fails with {@code ESPIPE} on pipes,
     * FIFOs, sockets and terminals. 1 if it has one, 0 if not, or {@code -errno} for anything else
     * (such as {@code -EBADF}).
     */
    public static int seekable(int fd) {
        CallState state = CallState.current();
        try {
            long r = (long) LSEEK.invokeExact(state.capture, fd, 0L, SEEK_CUR);
            if (r >= 0) {
                return 1;
            }
            int errno = state.errno();
            return errno == ESPIPE ? 0 : -errno;
        } catch (Throwable t) {
            throw Downcalls.unexpected("lseek", t);
        }
    }

    private static int fcntl(int fd, int cmd, String call) {
        CallState state = CallState.current();
        try {
            int r = (int) FCNTL.invokeExact(state.capture, fd, cmd, 0);
            return r >= 0 ? r : -state.errno();
        } catch (Throwable t) {
            throw Downcalls.unexpected(call, t);
        }
    }
}
