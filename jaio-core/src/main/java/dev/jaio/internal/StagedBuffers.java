package dev.jaio.internal;

import dev.jaio.internal.ffi.Libc;
import java.lang.foreign.MemorySegment;

/**
 * A control block's own C memory for the buffers it may not hand to the kernel directly (those of
 * closeable arenas, see {@link BufferLifetime#CLOSEABLE}): one area per buffer index, reused by
 * every later submission that fits, grown when one does not. Each area is page-aligned, so an
 * {@code O_DIRECT} transfer through it meets any file system's alignment.
 *
 * <p>Freed only with the operation's native state ({@link #free()}), which happens when no I/O
 * can touch it any more. Driven by the block's one submitting thread; the completion side reads
 * the areas (to deliver a read) only after the I/O ended.
 */
final class StagedBuffers {
    /** Page size: the strictest O_DIRECT alignment a Linux file system asks for. */
    private static final long ALIGNMENT = 4096;

    /** calloc'd blocks (to free), their usable aligned size, and the view last handed out, per buffer index. */
    private MemorySegment[] raw = new MemorySegment[1];
    private long[] capacity = new long[1];
    private MemorySegment[] view = new MemorySegment[1];

    /**
     * An area of {@code size} bytes for buffer {@code index}, valid until the next call for that
     * index. Allocates only when the size differs from the last call's for that index.
     */
    MemorySegment area(int index, long size) {
        if (index >= raw.length) {
            int n = Math.max(index + 1, 2 * raw.length);
            raw = java.util.Arrays.copyOf(raw, n);
            capacity = java.util.Arrays.copyOf(capacity, n);
            view = java.util.Arrays.copyOf(view, n);
        }
        MemorySegment v = view[index];
        if (v != null && v.byteSize() == size) {
            return v;
        }
        if (raw[index] == null || capacity[index] < size) {
            if (raw[index] != null) {
                Libc.free(raw[index]);
                raw[index] = null;
            }
            long usable = Math.max(size, 1);
            MemorySegment block = Libc.calloc(usable + ALIGNMENT - 1);
            raw[index] = block;
            capacity[index] = usable;
        }
        MemorySegment block = raw[index];
        long skip = (ALIGNMENT - block.address() % ALIGNMENT) % ALIGNMENT;
        v = block.asSlice(skip, size);
        view[index] = v;
        return v;
    }

    /** Frees every area; called once, when no I/O can use them any more. */
    void free() {
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] != null) {
                Libc.free(raw[i]);
                raw[i] = null;
                view[i] = null;
            }
        }
    }
}
