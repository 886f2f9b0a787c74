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
 * {@code <sys/mman.h>}: {@code mmap} and {@code munmap}, which map an io_uring's rings into the
 * process.
 *
 * <p>Results follow the package convention: {@code >= 0} is the result (for {@code mmap}, the
 * mapping's address; user-space addresses on x86_64 and aarch64 are below 2<sup>47</sup> or
 * 2<sup>52</sup>, so always positive as a {@code long}), {@code < 0} is {@code -errno}.
 * Neither call can report EINTR, so neither is retried.
 *
 * <p>Callable from any thread. The caller owns every mapping it makes and must unmap it exactly
 * once, after no segment that {@link #view} made over it can be used any more.
 */
public final class Mman {
    /** {@code PROT_READ}. */
    public static final int PROT_READ = 0x1;
    /** {@code PROT_WRITE}. */
    public static final int PROT_WRITE = 0x2;
    /** {@code MAP_SHARED}: the rings are memory shared with the kernel. */
    public static final int MAP_SHARED = 0x01;
    /**
     * {@code MAP_POPULATE}: fault the pages in at once, as liburing does for the rings, so the
     * first submissions do not take page faults. Same value on x86_64 and aarch64.
     */
    public static final int MAP_POPULATE = 0x08000;

    /** {@code MAP_FAILED}, {@code (void *) -1}. */
    private static final long MAP_FAILED = -1L;

    private Mman() {
    }

    private static final class Handles {
        private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
        /** {@code void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)}. */
        static final MethodHandle MMAP = Libc.downcall("mmap",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO);
        /** {@code int munmap(void *addr, size_t length)}. */
        static final MethodHandle MUNMAP = Libc.downcall("munmap",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), ERRNO);
    }

    /**
     * {@code mmap(NULL, length, prot, flags, fd, offset)}: the address of the new mapping, or
     * {@code -errno}.
     */
    public static long mmap(long length, int prot, int flags, int fd, long offset) {
        CallState state = CallState.current();
        MemorySegment r;
        try {
            r = (MemorySegment) Handles.MMAP.invokeExact(state.capture, MemorySegment.NULL, length, prot, flags, fd,
                    offset);
        } catch (Throwable t) {
            throw Downcalls.unexpected("mmap", t);
        }
        return r.address() == MAP_FAILED ? -state.errno() : r.address();
    }

    /** {@code munmap(address, length)}: 0 or {@code -errno}. */
    public static long munmap(long address, long length) {
        CallState state = CallState.current();
        int r;
        try {
            r = (int) Handles.MUNMAP.invokeExact(state.capture, MemorySegment.ofAddress(address), length);
        } catch (Throwable t) {
            throw Downcalls.unexpected("munmap", t);
        }
        return r == 0 ? 0 : -state.errno();
    }

    /**
     * A segment of {@code length} bytes over memory at {@code address} that {@link #mmap}
     * returned, valid while {@code arena} is open. Closing the arena before unmapping turns any
     * later use of the segment into an {@link IllegalStateException} instead of a fault.
     */
    @SuppressWarnings("restricted")
    public static MemorySegment view(long address, long length, Arena arena) {
        return MemorySegment.ofAddress(address).reinterpret(length, arena, null);
    }
}
