package dev.jaio.internal.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Bindings for the plain C library calls jaio needs: memory ({@code calloc}/{@code free}),
 * files ({@code open}/{@code close}), and signals ({@code getpid}/{@code sigqueue}).
 *
 * <p>Every method returns {@code -errno} on failure instead of throwing (see the package
 * documentation). Callable from any thread.
 */
public final class Libc {
    /** {@code <fcntl.h>} open flags, Linux generic values (x86_64 and aarch64 agree on these). */
    public static final int O_RDONLY = 0, O_WRONLY = 01, O_RDWR = 02, O_CREAT = 0100, O_EXCL = 0200,
            O_TRUNC = 01000, O_APPEND = 02000, O_DSYNC = 010000, O_SYNC = 04010000, O_CLOEXEC = 02000000;

    /**
     * {@code O_DIRECT}: one of the few flags whose value differs between Linux architectures
     * (x86_64 {@code 040000}, aarch64 {@code 0200000}, where {@code 040000} is O_DIRECTORY),
     * so it is {@link Architecture#oDirect} of this platform.
     */
    public static final int O_DIRECT = Platform.current().architecture().oDirect;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle CALLOC = downcall("calloc",
            FunctionDescriptor.of(ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FREE = downcall("free", FunctionDescriptor.ofVoid(ADDRESS));
    /** {@code int open(const char *path, int flags, ...)}: the mode is variadic, after argument 2. */
    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle GETPID = downcall("getpid", FunctionDescriptor.of(JAVA_INT));
    /**
     * {@code int sigqueue(pid_t pid, int sig, const union sigval value)}: the union (an int or a
     * pointer, 8 bytes) is passed by value, which the LP64 C ABIs of x86_64 and aarch64 pass
     * exactly like a {@code long} in an integer register.
     */
    private static final MethodHandle SIGQUEUE = downcall("sigqueue",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO);

    private Libc() {
    }

    @SuppressWarnings("restricted")
    static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        NativeAccess.ensureEnabled();
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsupportedOperationException("the C library of " + Platform.describe()
                        + " has no symbol '" + name + "'"));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** {@link #downcall}, or null when the C library has no symbol {@code name} (a newer function). */
    @SuppressWarnings("restricted")
    static MethodHandle downcallIfPresent(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        NativeAccess.ensureEnabled();
        return LINKER.defaultLookup().find(name).map(symbol -> LINKER.downcallHandle(symbol, descriptor, options))
                .orElse(null);
    }

    /** Reinterprets a raw pointer returned by C as {@code size} bytes, for the caller to own. */
    @SuppressWarnings("restricted")
    static MemorySegment sized(MemorySegment raw, long size) {
        return raw.reinterpret(size);
    }

    /**
     * {@code calloc(1, size)}: zeroed native memory at a stable address that the GC never moves
     * or frees; release it with {@link #free(MemorySegment)} exactly once.
     *
     * @throws OutOfMemoryError if the C heap is exhausted
     */
    public static MemorySegment calloc(long size) {
        MemorySegment raw;
        try {
            raw = (MemorySegment) CALLOC.invokeExact(1L, size);
        } catch (Throwable t) {
            throw Downcalls.unexpected("calloc", t);
        }
        if (raw.equals(MemorySegment.NULL)) {
            throw new OutOfMemoryError("calloc(" + size + ") failed: the C heap is exhausted");
        }
        return sized(raw, size);
    }

    /** {@code free(p)}. */
    public static void free(MemorySegment p) {
        try {
            FREE.invokeExact(p);
        } catch (Throwable t) {
            throw Downcalls.unexpected("free", t);
        }
    }

    /** {@code open(path, flags, mode)}: the descriptor, or {@code -errno}. */
    public static int open(MemorySegment cPath, int flags, int mode) {
        CallState state = CallState.current();
        try {
            int fd = (int) OPEN.invokeExact(state.capture, cPath, flags, mode);
            return fd >= 0 ? fd : -state.errno();
        } catch (Throwable t) {
            throw Downcalls.unexpected("open", t);
        }
    }

    /**
     * {@code close(fd)}: 0 or {@code -errno}. Never retried on EINTR: on Linux the descriptor is
     * released even when close reports EINTR, and a retry could close a descriptor another thread
     * has just been given.
     */
    public static int close(int fd) {
        CallState state = CallState.current();
        try {
            int r = (int) CLOSE.invokeExact(state.capture, fd);
            return r == 0 ? 0 : -state.errno();
        } catch (Throwable t) {
            throw Downcalls.unexpected("close", t);
        }
    }

    /** {@code getpid()}. */
    public static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw Downcalls.unexpected("getpid", t);
        }
    }

    /**
     * {@code sigqueue(getpid(), signo, value)}: raises a process-directed signal carrying
     * {@code value}, as libc does for {@code SIGEV_SIGNAL}. 0 or {@code -errno}.
     */
    public static int sigqueueSelf(int signo, long value) {
        CallState state = CallState.current();
        try {
            int r = (int) SIGQUEUE.invokeExact(state.capture, getpid(), signo, value);
            return r == 0 ? 0 : -state.errno();
        } catch (Throwable t) {
            throw Downcalls.unexpected("sigqueue", t);
        }
    }
}
