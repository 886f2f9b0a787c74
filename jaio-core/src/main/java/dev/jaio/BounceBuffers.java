package dev.jaio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Native stand-ins for heap {@code ByteBuffer}s (the kernel needs a stable native address), kept
 * for reuse: one pool per power-of-two size from 4 KiB to 1 MiB, at most {@link #KEEP} each, from
 * {@code Arena.ofAuto()} (freed by the garbage collector once dropped) and aligned to 4096 bytes,
 * which satisfies every file system's O_DIRECT alignment. Larger transfers get a buffer of their
 * own each time. A buffer is given back only once the engine is done with it. Thread-safe.
 */
final class BounceBuffers {
    private static final int MIN_SHIFT = 12, MAX_SHIFT = 20, KEEP = 64;
    static final long ALIGNMENT = 4096;

    private final MemorySegment[][] free = new MemorySegment[MAX_SHIFT - MIN_SHIFT + 1][KEEP];
    private final int[] count = new int[MAX_SHIFT - MIN_SHIFT + 1];

    /** A buffer of at least {@code size} bytes (sliced to exactly {@code size} by the caller if needed). */
    MemorySegment take(long size) {
        int cls = sizeClass(size);
        if (cls < 0) {
            return Arena.ofAuto().allocate(size, ALIGNMENT);
        }
        synchronized (this) {
            int n = count[cls];
            if (n > 0) {
                MemorySegment s = free[cls][--n];
                free[cls][n] = null;
                count[cls] = n;
                return s;
            }
        }
        return Arena.ofAuto().allocate(1L << (cls + MIN_SHIFT), ALIGNMENT);
    }

    /** Gives back a buffer from {@link #take}, once no I/O uses it. */
    void give(MemorySegment buffer) {
        int cls = sizeClass(buffer.byteSize());
        if (cls < 0 || buffer.byteSize() != 1L << (cls + MIN_SHIFT)) {
            return;
        }
        synchronized (this) {
            if (count[cls] < KEEP) {
                free[cls][count[cls]++] = buffer;
            }
        }
    }

    private static int sizeClass(long size) {
        if (size > 1L << MAX_SHIFT) {
            return -1;
        }
        int shift = Math.max(MIN_SHIFT, 64 - Long.numberOfLeadingZeros(Math.max(1, size) - 1));
        return shift - MIN_SHIFT;
    }
}
