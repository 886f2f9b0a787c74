package dev.jaio.cli;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

/**
 * The bytes {@code jaio bench} keeps in its file, so that every read can be checked: a fast
 * engine that returns the wrong bytes (another offset's, stale, zeros) must not win.
 *
 * <p>The file is a sequence of 64-bit words (native byte order). The word at file offset
 * {@code o} (a multiple of 8) of generation {@code g} is
 * <pre>   ((key(o / 4096) + o) &amp; 0x00ff_ffff_ffff_ffff) | (g &lt;&lt; 56)</pre>
 * where {@code key} mixes the page number with the seed. So each word names its own offset (a
 * read aimed at the wrong offset, or at the right one of another file, fails) and carries in its
 * top byte the generation of the write that put it there (a write that did nothing fails the
 * check after the run). The fill is generation 0; each run that writes uses a generation no block
 * holds yet. Checking a word costs one load, an add, a mask and a compare, so the check of
 * every word of every read stays cheap next to the read itself.
 *
 * <p>Immutable and thread-safe.
 */
final class DataPattern {
    static final int PAGE = 4096;
    private static final long LOW56 = (1L << 56) - 1;
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;
    /** "jaiobenc": keeps seed 0 from giving key(0) == 0. */
    private static final long SALT = 0x6a61696f62656e63L;

    private final long seed;
    private final long seedKey;

    DataPattern(long seed) {
        this.seed = seed;
        this.seedKey = mix(seed ^ SALT);
    }

    long seed() {
        return seed;
    }

    /** The word of generation {@code gen} at file offset {@code offset} (a multiple of 8). */
    long word(long offset, int gen) {
        return ((pageKey(offset >>> 12) + offset) & LOW56) | ((long) gen << 56);
    }

    /** The generation of a word read at {@code offset}, or -1 when it is not a word of this pattern. */
    int generationOf(long word, long offset) {
        return (word & LOW56) == ((pageKey(offset >>> 12) + offset) & LOW56) ? (int) (word >>> 56) : -1;
    }

    /** Writes the words of {@code [offset, offset + length)} at generation {@code gen} into {@code buf}. */
    void fill(MemorySegment buf, long offset, long length, int gen) {
        long genBits = (long) gen << 56;
        long pos = 0;
        while (pos < length) {
            long at = offset + pos;
            long pageEnd = Math.min(length, pos + PAGE - (at & (PAGE - 1)));
            long key = pageKey(at >>> 12) + offset;
            for (; pos < pageEnd; pos += 8) {
                buf.set(WORD, pos, ((key + pos) & LOW56) | genBits);
            }
        }
    }

    /**
     * Checks that {@code buf} holds the words of {@code [offset, offset + length)}, each of
     * generation {@code genA} or {@code genB} (the same one when only one is possible).
     *
     * @return -1 when every word matches, else the file offset of the first that does not
     */
    long firstMismatch(MemorySegment buf, long offset, long length, int genA, int genB) {
        long a = (long) genA << 56;
        long b = (long) genB << 56;
        long pos = 0;
        while (pos < length) {
            long at = offset + pos;
            long pageEnd = Math.min(length, pos + PAGE - (at & (PAGE - 1)));
            long key = pageKey(at >>> 12) + offset;
            for (; pos < pageEnd; pos += 8) {
                long x = buf.get(WORD, pos) ^ ((key + pos) & LOW56);
                if (x != a && x != b) {
                    return offset + pos;
                }
            }
        }
        return -1;
    }

    /** One line on a word that failed the check: what was there and what the pattern holds. */
    String describeMismatch(MemorySegment buf, long bufOffset, long fileOffset, int genA, int genB) {
        long found = buf.get(WORD, bufOffset);
        String expected = hex(word(fileOffset, genA)) + (genA == genB ? "" : " or " + hex(word(fileOffset, genB)));
        int g = generationOf(found, fileOffset);
        String hint = found == 0 ? " (zeros)"
                : g >= 0 ? " (the right word, but of generation " + g + ": stale or lost data)"
                : " (not this offset's word" + offsetHint(found, fileOffset) + ")";
        return "found " + hex(found) + hint + ", expected " + expected;
    }

    /** Names the offset whose word was found, when it is one nearby (a read aimed wrong). */
    private String offsetHint(long found, long near) {
        long page = near >>> 12;
        for (long p = Math.max(0, page - 256); p <= page + 256; p++) {
            long candidate = (found & LOW56) - pageKey(p);
            long o = candidate & LOW56;
            if ((o >>> 12) == p && (o & 7) == 0) {
                return ": it is the word of offset " + o;
            }
        }
        return "";
    }

    private long pageKey(long page) {
        return mix(seedKey + page * 0x9E3779B97F4A7C15L);
    }

    /** A 64-bit finalizer (the one of MurmurHash3): every input bit flips half the output bits. */
    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    static String hex(long v) {
        return String.format(Locale.ROOT, "0x%016x", v);
    }
}
