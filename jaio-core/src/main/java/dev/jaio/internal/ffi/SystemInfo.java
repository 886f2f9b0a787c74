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
    /** glibc's {@code _SC_AIO_PRIO_DELTA_MAX}. */
    public static final int SC_AIO_PRIO_DELTA_MAX = 25;

    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    /** {@code int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf)}. */
    private static final MethodHandle STATX = Libc.downcall("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), ERRNO);
    private static final MethodHandle SYSCONF = Libc.downcall("sysconf",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT), ERRNO);
    private static final MethodHandle LIBC_VERSION = Libc.downcall("gnu_get_libc_version",
            FunctionDescriptor.of(ADDRESS));

    private SystemInfo() {
    }

    /**
     * {@code statx(AT_FDCWD, path, 0, STATX_DIOALIGN)}: {@code {memAlign, offsetAlign}} as
     * unsigned values, {@code null} when the kernel did not fill them in, or throws nothing and
     * returns {@code {-errno}} when statx failed.
     */
    public static long[] directIoAlignment(String path) {
        CallState state = CallState.current();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(STATX_SIZE, 8);
            int r = (int) STATX.invokeExact(state.capture, AT_FDCWD, arena.allocateFrom(path), 0, STATX_DIOALIGN, buf);
            if (r != 0) {
                return new long[] {-state.errno()};
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
            return (long) SYSCONF.invokeExact(state.capture, name);
        } catch (Throwable t) {
            throw Downcalls.unexpected("sysconf", t);
        }
    }

    /** {@code gnu_get_libc_version()}, such as {@code "2.36"}. */
    @SuppressWarnings("restricted")
    public static String glibcVersion() {
        try {
            MemorySegment s = (MemorySegment) LIBC_VERSION.invokeExact();
            return s.reinterpret(64).getString(0);
        } catch (Throwable t) {
            throw Downcalls.unexpected("gnu_get_libc_version", t);
        }
    }
}
