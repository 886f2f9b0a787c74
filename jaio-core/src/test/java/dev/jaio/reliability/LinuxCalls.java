package dev.jaio.reliability;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few C library calls the reliability suite needs and jaio does not offer: making a small
 * file system ({@code mount}/{@code umount2}), a block device that fails on purpose
 * ({@code memfd_create}, file seals, the loop driver's {@code ioctl}s) and the C heap's own
 * statistics ({@code mallinfo2}). Test code only; the constants and the {@code struct loop_config}
 * offsets are checked against the C headers by {@link LinuxCallsMatchCTest}.
 *
 * <p>Every call returns the C result, or {@code -errno} on failure, never throws for an errno.
 * Callable from any thread.
 */
final class LinuxCalls {
    /** {@code <fcntl.h>}: the same values on x86_64 and aarch64. */
    static final int O_RDONLY = 0, O_RDWR = 02, O_CLOEXEC = 02000000;
    /** {@code <sys/mman.h>} {@code memfd_create} flags. */
    static final int MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2;
    /** {@code <fcntl.h>}: duplicate to the lowest free descriptor at or above the argument. */
    static final int F_DUPFD_CLOEXEC = 1030;
    /** {@code <fcntl.h>} file seals: {@code F_ADD_SEALS = F_LINUX_SPECIFIC_BASE + 9}. */
    static final int F_ADD_SEALS = 1033, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4;
    /** {@code <linux/loop.h>}. */
    static final long LOOP_CTL_GET_FREE = 0x4C82, LOOP_CONFIGURE = 0x4C0A;
    static final int LO_FLAGS_AUTOCLEAR = 4;
    /** {@code <sys/mount.h>}. */
    static final int MNT_DETACH = 2;

    /**
     * {@code struct loop_config { __u32 fd; __u32 block_size; struct loop_info64 info;
     * __u64 __reserved[8]; }}; of {@code struct loop_info64} only {@code lo_flags} is written.
     */
    static final long LOOP_CONFIG_SIZE = 304, LOOP_CONFIG_FD = 0, LOOP_CONFIG_BLOCK_SIZE = 4,
            LOOP_CONFIG_LO_FLAGS = 8 + 52;

    /**
     * {@code struct mallinfo2}: ten {@code size_t}; {@code uordblks} (bytes in use in the heap's
     * arenas) and {@code hblkhd} (bytes in blocks mmap'ed on their own) add up to what is
     * allocated and not freed.
     */
    static final StructLayout MALLINFO2 = MemoryLayout.structLayout(
            JAVA_LONG.withName("arena"), JAVA_LONG.withName("ordblks"), JAVA_LONG.withName("smblks"),
            JAVA_LONG.withName("hblks"), JAVA_LONG.withName("hblkhd"), JAVA_LONG.withName("usmblks"),
            JAVA_LONG.withName("fsmblks"), JAVA_LONG.withName("uordblks"), JAVA_LONG.withName("fordblks"),
            JAVA_LONG.withName("keepcost"));
    private static final VarHandle UORDBLKS = MALLINFO2.varHandle(MemoryLayout.PathElement.groupElement("uordblks"));
    private static final VarHandle HBLKHD = MALLINFO2.varHandle(MemoryLayout.PathElement.groupElement("hblkhd"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO_VALUE =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    /** {@code int memfd_create(const char *name, unsigned int flags)} */
    private static final MethodHandle MEMFD_CREATE = downcall("memfd_create",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), ERRNO);
    /** {@code int fcntl(int fd, int cmd, ...)} with one {@code int} argument */
    private static final MethodHandle FCNTL_INT = downcall("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO, Linker.Option.firstVariadicArg(2));
    /** {@code int ftruncate(int fd, off_t length)} */
    private static final MethodHandle FTRUNCATE = downcall("ftruncate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO);
    /** {@code int ioctl(int fd, unsigned long request, ...)} with an integer argument */
    private static final MethodHandle IOCTL_LONG = downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO, Linker.Option.firstVariadicArg(2));
    /** {@code int ioctl(int fd, unsigned long request, ...)} with a pointer argument */
    private static final MethodHandle IOCTL_PTR = downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), ERRNO, Linker.Option.firstVariadicArg(2));
    /** {@code int open(const char *path, int flags, ...)} */
    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), ERRNO, Linker.Option.firstVariadicArg(2));
    /** {@code int close(int fd)} */
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);
    /** {@code int dup(int fd)} */
    private static final MethodHandle DUP = downcall("dup", FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);
    /** {@code int fcntl(int fd, F_GETFD)}: whether a descriptor is open */
    private static final MethodHandle FCNTL_NOARG = downcall("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO, Linker.Option.firstVariadicArg(2));
    /**
     * {@code int mount(const char *source, const char *target, const char *fstype,
     * unsigned long flags, const void *data)}
     */
    private static final MethodHandle MOUNT = downcall("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), ERRNO);
    /** {@code int umount2(const char *target, int flags)} */
    private static final MethodHandle UMOUNT2 = downcall("umount2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), ERRNO);
    /** {@code struct mallinfo2 mallinfo2(void)} (glibc 2.33) */
    private static final MethodHandle MALLINFO2_CALL = optionalDowncall("mallinfo2", FunctionDescriptor.of(MALLINFO2));
    /** {@code int malloc_trim(size_t pad)} */
    private static final MethodHandle MALLOC_TRIM = optionalDowncall("malloc_trim",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG));

    private static final int F_GETFD = 1;

    private LinuxCalls() {
    }

    @SuppressWarnings("restricted")
    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("the C library has no " + name));
        return LINKER.downcallHandle(symbol, fd, options);
    }

    @SuppressWarnings("restricted")
    private static MethodHandle optionalDowncall(String name, FunctionDescriptor fd) {
        return LINKER.defaultLookup().find(name).map(s -> LINKER.downcallHandle(s, fd)).orElse(null);
    }

    private static int errno(MemorySegment capture) {
        return (int) ERRNO_VALUE.get(capture, 0L);
    }

    private static IllegalStateException unexpected(String call, Throwable t) {
        return new IllegalStateException(call + ": the downcall itself failed", t);
    }

    /** {@code memfd_create(name, flags)}: a descriptor or {@code -errno}. */
    static int memfdCreate(String name, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE);
            int r = (int) MEMFD_CREATE.invokeExact(capture, arena.allocateFrom(name), flags);
            return r >= 0 ? r : -errno(capture);
        } catch (Throwable t) {
            throw unexpected("memfd_create", t);
        }
    }

    /** {@code fcntl(fd, cmd, arg)}: the result or {@code -errno}. */
    static int fcntl(int fd, int cmd, int arg) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE);
            int r = (int) FCNTL_INT.invokeExact(capture, fd, cmd, arg);
            return r >= 0 ? r : -errno(capture);
        } catch (Throwable t) {
            throw unexpected("fcntl", t);
        }
    }

    /** Whether {@code fd} is an open descriptor ({@code fcntl(fd, F_GETFD)} succeeds). */
    static boolean isOpen(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE);
            int r = (int) FCNTL_NOARG.invokeExact(capture, fd, F_GETFD);
            return r >= 0;
        } catch (Throwable t) {
            throw unexpected("fcntl(F_GETFD)", t);
        }
    }

    /** {@code ftruncate(fd, length)}: 0 or {@code -errno}. */
    static int ftruncate(int fd, long length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE);
            int r = (int) FTRUNCATE.invokeExact(capture, fd, length);
            return r == 0 ? 0 : -errno(capture);
        } catch (Throwable t) {
            throw unexpected("ftruncate", t);
        }
    }

    /** {@code ioctl(fd, request, arg)} with an integer argument: the result or {@code -errno}. */
    static int ioctl(int fd, long request, long arg) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE);
            int r = (int) IOCTL_LONG.invokeExact(capture, fd, request, arg);
            return r >= 0 ? r : -errno(capture);
        } catch (Throwable t) {
            throw unexpected("ioctl", t);
        }
    }

    /** {@code ioctl(fd, request, arg)} with a pointer argument: the result or {@code -errno}. */
    static int ioctl(int fd, long request, MemorySegment arg) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE);
            int r = (int) IOCTL_PTR.invokeExact(capture, fd, request, arg);
            return r >= 0 ? r : -errno(capture);
        } catch (Throwable t) {
            throw unexpected("ioctl", t);
        }
    }

    /** {@code open(path, flags, 0600)}: a descriptor or {@code -errno}. */
    static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE);
            int r = (int) OPEN.invokeExact(capture, arena.allocateFrom(path), flags, 0600);
            return r >= 0 ? r : -errno(capture);
        } catch (Throwable t) {
            throw unexpected("open", t);
        }
    }

    /** {@code close(fd)}: 0 or {@code -errno}. */
    static int close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE);
            int r = (int) CLOSE.invokeExact(capture, fd);
            return r == 0 ? 0 : -errno(capture);
        } catch (Throwable t) {
            throw unexpected("close", t);
        }
    }

    /** {@code dup(fd)}: a new descriptor or {@code -errno}. */
    static int dup(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE);
            int r = (int) DUP.invokeExact(capture, fd);
            return r >= 0 ? r : -errno(capture);
        } catch (Throwable t) {
            throw unexpected("dup", t);
        }
    }

    /** {@code mount(source, target, fstype, 0, options)}: 0 or {@code -errno}. */
    static int mount(String source, String target, String fstype, String options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE);
            int r = (int) MOUNT.invokeExact(capture, arena.allocateFrom(source), arena.allocateFrom(target),
                    arena.allocateFrom(fstype), 0L, arena.allocateFrom(options));
            return r == 0 ? 0 : -errno(capture);
        } catch (Throwable t) {
            throw unexpected("mount", t);
        }
    }

    /** {@code umount2(target, flags)}: 0 or {@code -errno}. */
    static int umount2(String target, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE);
            int r = (int) UMOUNT2.invokeExact(capture, arena.allocateFrom(target), flags);
            return r == 0 ? 0 : -errno(capture);
        } catch (Throwable t) {
            throw unexpected("umount2", t);
        }
    }

    /**
     * Bytes the C heap has handed out and not taken back ({@code uordblks + hblkhd} of
     * {@code mallinfo2}): every {@code malloc} of the process, the JVM's and jaio's alike. -1
     * where glibc has no {@code mallinfo2}.
     */
    static long mallocInUse() {
        if (MALLINFO2_CALL == null) {
            return -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = (MemorySegment) MALLINFO2_CALL.invokeExact((SegmentAllocator) arena);
            return (long) UORDBLKS.get(info, 0L) + (long) HBLKHD.get(info, 0L);
        } catch (Throwable t) {
            throw unexpected("mallinfo2", t);
        }
    }

    /** {@code malloc_trim(0)}: gives free heap memory back to the system, so RSS shows what is used. */
    static void mallocTrim() {
        if (MALLOC_TRIM == null) {
            return;
        }
        try {
            int ignoredWhetherMemoryWasReleased = (int) MALLOC_TRIM.invokeExact(0L);
            assert ignoredWhetherMemoryWasReleased >= 0;
        } catch (Throwable t) {
            throw unexpected("malloc_trim", t);
        }
    }

    /** The text of an errno, from {@link dev.jaio.Errno}. */
    static String errnoText(int errno) {
        dev.jaio.Errno e = dev.jaio.Errno.of(errno);
        return e.name() + " (" + e.description() + ")";
    }
}
