package dev.jaio.reliability;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * The content every reliability test writes: a block's bytes are a function of the file offset
 * it belongs at and a generation (how many times it was written), so any block read back tells
 * whether it is the right one, a stale one (a lost write), one from elsewhere (a misplaced
 * write) or garbage (a torn or corrupted one).
 *
 * <p>Layout, in 64-bit words of native byte order: word 0 is the offset, word 1 the generation,
 * every further word {@code i} is {@code splitmix64(seed(offset, generation) + i)}. A block shorter
 * than 16 bytes holds the first bytes of that sequence. Stateless and thread-safe.
 */
final class BlockPattern {
    private BlockPattern() {
    }

    /** SplitMix64's finalizer: a bijective mix of all 64 bits. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long seed(long offset, long generation) {
        return mix(offset * 0x9E3779B97F4A7C15L + mix(generation + 0x632BE59BD9B4E019L));
    }

    /** Word {@code i} of the block for ({@code offset}, {@code generation}). */
    static long word(long offset, long generation, long i) {
        if (i == 0) {
            return offset;
        }
        if (i == 1) {
            return generation;
        }
        return mix(seed(offset, generation) + i);
    }

    /** Fills {@code block} (any size) with the content of ({@code offset}, {@code generation}). */
    static void fill(MemorySegment block, long offset, long generation) {
        long size = block.byteSize();
        long words = size / 8;
        for (long i = 0; i < words; i++) {
            block.set(JAVA_LONG_UNALIGNED, i * 8, word(offset, generation, i));
        }
        for (long b = words * 8; b < size; b++) {
            block.set(java.lang.foreign.ValueLayout.JAVA_BYTE, b, byteAt(offset, generation, b));
        }
    }

    /** The byte at {@code index} of the block for ({@code offset}, {@code generation}). */
    static byte byteAt(long offset, long generation, long index) {
        long w = word(offset, generation, index / 8);
        int shift = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN
                ? (int) (index % 8) * 8 : (int) (7 - index % 8) * 8;
        return (byte) (w >>> shift);
    }

    /** A new array holding the block for ({@code offset}, {@code generation}). */
    static byte[] bytes(long offset, long generation, int size) {
        byte[] b = new byte[size];
        fill(MemorySegment.ofArray(b), offset, generation);
        return b;
    }

    /** Whether {@code block} holds exactly the content of ({@code offset}, {@code generation}). */
    static boolean matches(MemorySegment block, long offset, long generation) {
        long size = block.byteSize();
        long words = size / 8;
        for (long i = 0; i < words; i++) {
            if (block.get(JAVA_LONG_UNALIGNED, i * 8) != word(offset, generation, i)) {
                return false;
            }
        }
        for (long b = words * 8; b < size; b++) {
            if (block.get(java.lang.foreign.ValueLayout.JAVA_BYTE, b) != byteAt(offset, generation, b)) {
                return false;
            }
        }
        return true;
    }

    /** What a full block that did not match holds, in words: for the failure message. */
    static String describe(MemorySegment block) {
        if (block.byteSize() < 16) {
            return "a block of " + block.byteSize() + " bytes";
        }
        long offset = block.get(JAVA_LONG_UNALIGNED, 0);
        long generation = block.get(JAVA_LONG_UNALIGNED, 8);
        boolean allZero = true;
        for (long i = 0; i < block.byteSize() / 8 && allZero; i++) {
            allZero = block.get(JAVA_LONG_UNALIGNED, i * 8) == 0;
        }
        if (allZero) {
            return "zeros";
        }
        return "header (offset " + offset + ", generation " + generation + ")"
                + (matches(block, offset, generation) ? ", intact: that block's content" : ", but torn or garbage");
    }

    /**
     * Whether a block that does not hold ({@code offset}, {@code expected}) holds an older
     * generation of the same offset: a write that was acknowledged and then lost.
     */
    static boolean isStale(MemorySegment block, long offset, long expected) {
        if (block.byteSize() < 16) {
            return false;
        }
        long o = block.get(JAVA_LONG_UNALIGNED, 0);
        long g = block.get(JAVA_LONG_UNALIGNED, 8);
        return o == offset && g >= 0 && g < expected && matches(block, o, g);
    }
}
