package dev.jaio.internal.uring;

import dev.jaio.internal.ffi.Mman;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One mapping of a ring's memory ({@code mmap} of the ring descriptor): the only place this
 * layer holds a raw address, kept so that {@link IoUring#close()} can unmap it. Everything that
 * reads or writes the memory goes through a {@link #view} segment, typed by the queue that owns
 * it, never through the address.
 *
 * <p>Immutable; owned by one {@link IoUring}, which unmaps it exactly once.
 *
 * @param what    the region, for messages: {@code "SQ ring"}, {@code "CQ ring"},
 *                {@code "SQ and CQ rings"} or {@code "SQE array"}
 * @param address where {@code mmap} put it
 * @param length  its length in bytes
 */
record RingRegion(String what, long address, long length) {
    /** Rings are read and written by both sides. */
    static final int PROT = Mman.PROT_READ | Mman.PROT_WRITE;
    /** Shared with the kernel, and faulted in at once as liburing does. */
    static final int FLAGS = Mman.MAP_SHARED | Mman.MAP_POPULATE;

    /** A segment over the first {@code bytes} bytes, valid while {@code arena} is open. */
    MemorySegment view(Arena arena, long bytes) {
        if (bytes > length) {
            throw new IllegalArgumentException(what + " is " + length + " bytes, not " + bytes);
        }
        return Mman.view(address, bytes, arena);
    }

    /** {@code munmap}: 0 or {@code -errno}. */
    long unmap() {
        return Mman.munmap(address, length);
    }
}
