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
 * holds yet.
 *
 * <p>The check ({@link #firstMismatch}) looks at every word of every read, on the thread that
 * issued it, inside the timed run, so its cost shows next to a cached read's (a compare and a
 * branch per word took about a tenth of the job thread's CPU on cached 4 KiB reads). Within one
 * page the low 56 bits of the words are consecutive multiples of 8 from the page's first one,
 * unless they wrap past 2^56, so word {@code i} minus {@code 8 * i} is the same value in every
 * word of a page of one generation. The check copies a page of the read into an array of its
 * thread, folds {@code (word - 8 * i) ^ expected} of the whole page with OR (a loop without
 * branches, which C2 unrolls and vectorizes), once for each of the two generations allowed, and
 * branches once per page; only a page whose folds are both nonzero (a wrong word, a page that
 * mixes the two generations, or a page whose words wrap) is scanned word by word, which finds
 * the exact first wrong word. The answer is the same as a word-by-word scan's for every input.
 *
 * <p>Immutable and thread-safe: each thread checks in its own copy of a page.
 */
final class DataPattern {
    static final int PAGE = 4096;
    private static final long LOW56 = (1L << 56) - 1;
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;
    /** "jaiobenc": keeps seed 0 from giving key(0) == 0. */
    private static final long SALT = 0x6a61696f62656e63L;
    /** The byte offset of each word of a page in it (0, 8, 16, ...): what the check subtracts. */
    private static final long[] WORD_OFFSETS = new long[PAGE / 8];
    /**
     * Each checking thread's copy of the page being checked. The check reads a page with one bulk
     * copy, not a {@code MemorySegment} access per word, although the copy costs about as much as
     * the fold: an access in the loop checks its segment's session, C2 (HotSpot 25) hoists that
     * check out of the loop speculating on the session kind profiled first (the confined arena of
     * {@link BenchFile}'s check of an existing file), the jobs' buffers of an automatic arena then
     * failed the speculation again after each recompile, and cached io_uring runs fell from about
     * 790,000 reads/s to 35,000-116,000 (one job) and from 1.3 million to about 30,000 (two jobs).
     * A loop over a {@code long[]} has no session to check.
     */
    private static final ThreadLocal<long[]> PAGE_WORDS = ThreadLocal.withInitial(() -> new long[PAGE / 8]);

    static {
        for (int i = 0; i < WORD_OFFSETS.length; i++) {
            WORD_OFFSETS[i] = 8L * i;
        }
    }

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
     * generation {@code genA} or {@code genB} (the same one when only one is possible). Every word
     * is compared; a page may mix the two generations (a read that raced a write of its block).
     *
     * @param buf the bytes read, at least {@code length} of them
     * @param offset the file offset they were read at, a multiple of 8
     * @param length how many bytes to check, a multiple of 8
     * @param genA a generation the words may hold
     * @param genB the other generation they may hold ({@code genA} when there is only one)
     * @return -1 when every word matches, else the file offset of the first that does not
     * @throws IllegalArgumentException when {@code offset} or {@code length} is not a multiple of 8
     */
    long firstMismatch(MemorySegment buf, long offset, long length, int genA, int genB) {
        if (((offset | length) & 7) != 0 || offset < 0 || length < 0) {
            throw new IllegalArgumentException("the data check compares whole 64-bit words: offset " + offset
                    + " and length " + length + " must be non-negative multiples of 8");
        }
        long[] words = PAGE_WORDS.get();
        long pos = 0;
        while (pos < length) {
            long at = offset + pos;
            int count = (int) Math.min(length - pos, PAGE - (at & (PAGE - 1))) >>> 3;
            MemorySegment.copy(buf, WORD, pos, words, 0, count);
            long first = (pageKey(at >>> 12) + at) & LOW56;
            if (!holdsOneGeneration(words, count, first, genA, genB)) {
                long bad = firstMismatchInPage(words, count, first, at, genA, genB);
                if (bad >= 0) {
                    return bad;
                }
            }
            pos += 8L * count;
        }
        return -1;
    }

    /**
     * Whether the first {@code count} of {@code words} (at most one page of the file, starting
     * at a word whose low 56 bits are {@code first}) are the pattern's, all of generation
     * {@code genA} or all of {@code genB}. False does not mean a word is wrong: the caller then
     * looks word by word. Package-private for the test of a page whose words wrap past 2^56, which
     * no real offset is likely to reach (a chance of about 2^-44 per page).
     */
    static boolean holdsOneGeneration(long[] words, int count, long first, int genA, int genB) {
        if (first + 8L * count > 1L << 56) {
            // The low 56 bits wrap within this page: past the wrap, a word of the next generation
            // (carrying into the top byte) would fold like a right one.
            return false;
        }
        // Word i of generation g is first + 8i + (g << 56) (no carry: first + 8i < 2^56), so
        // y = (word - 8i) ^ (first | genA << 56) is 0 for generation genA and genA ^ genB << 56 for
        // genB, whatever i. Branch-free, with only loads, subtracts, xors and ors, C2 unrolls and
        // vectorizes it.
        long expectA = first | (long) genA << 56;
        long aXorB = (long) (genA ^ genB) << 56;
        long foldA = 0;
        long foldB = 0;
        for (int i = 0; i < count; i++) {
            long y = (words[i] - WORD_OFFSETS[i]) ^ expectA;
            foldA |= y;
            foldB |= y ^ aXorB;
        }
        return foldA == 0 || foldB == 0;
    }

    /**
     * The file offset of the first wrong word among the first {@code count} of {@code words}
     * (read at file offset {@code at}; the first word's low 56 bits are {@code first}), or -1.
     */
    static long firstMismatchInPage(long[] words, int count, long first, long at, int genA, int genB) {
        long a = (long) genA << 56;
        long b = (long) genB << 56;
        for (int i = 0; i < count; i++) {
            long x = words[i] ^ ((first + 8L * i) & LOW56);
            if (x != a && x != b) {
                return at + 8L * i;
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
