package dev.jaio.internal.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Facts about the C library and the file systems, for {@code AioProbe}: {@code statx} for the
 * O_DIRECT alignment ({@code STATX_DIOALIGN}), {@code sysconf}, {@code gnu_get_libc_version}.
 * Not on any I/O path. Callable from any thread.
 *
 * <p>{@code statx} is made as a raw system call (its number is {@link Architecture#nrStatx}):
 * musl before 1.2.5 has no {@code statx} function. Each binding is created on its first use, so
 * glibc's {@code gnu_get_libc_version}, which musl lacks, is only looked up on glibc.
 */
public final class SystemInfo {
    /** {@code STATX_DIOALIGN} (Linux 6.1): ask for {@code stx_dio_mem_align}/{@code stx_dio_offset_align}. */
    public static final int STATX_DIOALIGN = 0x2000;
    /** {@code AT_FDCWD}: resolve a relative path against the working directory. */
    public static final int AT_FDCWD = -100;
    /** {@code sizeof(struct statx)}. */
    public static final long STATX_SIZE = 256;
    /** {@code offsetof(struct statx, stx_mask)}: {@code __u32}, what the kernel filled in. */
    public static final long STX_MASK = 0;
    /** {@code offsetof(struct statx, stx_dio_mem_align)}: {@code __u32}. */
    public static final long STX_DIO_MEM_ALIGN = 152;
    /** {@code offsetof(struct statx, stx_dio_offset_align)}: {@code __u32}. */
    public static final long STX_DIO_OFFSET_ALIGN = 156;
    /** {@code _SC_AIO_PRIO_DELTA_MAX}, glibc's and musl's number alike. */
    public static final int SC_AIO_PRIO_DELTA_MAX = 25;

    /** {@code __NR_statx} of this platform's {@link Architecture}. */
    public static final long NR_STATX = Platform.current().architecture().nrStatx;

    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final int ENOSYS = dev.jaio.Errno.ENOSYS.code();

    private static final class Statx {
        /**
         * {@code long syscall(SYS_statx, int dirfd, const char *path, int flags, unsigned int mask,
         * struct statx *buf)}: the variadic arguments are passed as whole 64-bit words, see
         * {@link Syscall}.
         */
        static final MethodHandle HANDLE = Libc.downcall("syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG,
                JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS), ERRNO, Linker.Option.firstVariadicArg(1));
    }

    private static final class Sysconf {
        static final MethodHandle HANDLE = Libc.downcall("sysconf", FunctionDescriptor.of(JAVA_LONG, JAVA_INT), ERRNO);
    }

    private static final class GlibcVersion {
        static final MethodHandle HANDLE = Libc.downcall("gnu_get_libc_version", FunctionDescriptor.of(ADDRESS));
    }

    private SystemInfo() {
    }

    /**
     * {@code statx(AT_FDCWD, path, 0, STATX_DIOALIGN)}: {@code {memAlign, offsetAlign}} as
     * unsigned values, {@code null} when the kernel did not fill them in (or has no statx), or
     * throws nothing and returns {@code {-errno}} when statx failed.
     */
    public static long[] directIoAlignment(String path) {
        CallState state = CallState.current();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(STATX_SIZE, 8);
            long r = (long) Statx.HANDLE.invokeExact(state.capture, NR_STATX, (long) AT_FDCWD, arena.allocateFrom(path),
                    0L, Integer.toUnsignedLong(STATX_DIOALIGN), buf);
            if (r != 0) {
                int errno = state.errno();
                // Before Linux 4.11 there is no statx: glibc's wrapper fell back to fstatat, which
                // cannot tell the alignment either, so that is "not told", not a failure.
                return errno == ENOSYS ? null : new long[] {-errno};
            }
            if ((buf.get(JAVA_INT, STX_MASK) & STATX_DIOALIGN) == 0) {
                return null;
            }
            return new long[] {Integer.toUnsignedLong(buf.get(JAVA_INT, STX_DIO_MEM_ALIGN)),
                    Integer.toUnsignedLong(buf.get(JAVA_INT, STX_DIO_OFFSET_ALIGN))};
        } catch (Throwable t) {
            throw Downcalls.unexpected("statx", t);
        }
    }

    /** {@code sysconf(name)}: the value, or -1 when unlimited or unknown. */
    public static long sysconf(int name) {
        CallState state = CallState.current();
        try {
            return (long) Sysconf.HANDLE.invokeExact(state.capture, name);
        } catch (Throwable t) {
            throw Downcalls.unexpected("sysconf", t);
        }
    }

    /**
     * {@code gnu_get_libc_version()}, such as {@code "2.36"}; only on glibc.
     *
     * @throws UnsupportedOperationException on another C library, which has no such function
     */
    @SuppressWarnings("restricted")
    public static String glibcVersion() {
        if (Platform.currentLibrary().orElse(null) != CLibrary.GLIBC) {
            throw new UnsupportedOperationException("gnu_get_libc_version is glibc's; this is " + Platform.describe());
        }
        try {
            MemorySegment s = (MemorySegment) GlibcVersion.HANDLE.invokeExact();
            return s.reinterpret(64).getString(0);
        } catch (Throwable t) {
            throw Downcalls.unexpected("gnu_get_libc_version", t);
        }
    }
}
