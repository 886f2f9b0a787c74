package dev.jaio.cli;

import dev.jaio.AioProbe;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The file {@code jaio bench} measures: made and filled with the {@link DataPattern} (then
 * removed at the end) when no {@code --filename} is given; else the given file, created and
 * filled when missing or short, and checked to hold the pattern when it exists (bench never
 * overwrites data it did not write).
 *
 * <p>{@link #prepare} checks and creates (quick, and every refusal comes from there), then
 * {@link #fill} writes what the file still lacks (slow, with progress).
 *
 * <p>It remembers the generation each block holds ({@link #generation}), which runs that write
 * change: {@link #newGeneration()} before the run, {@link #markWritten} from the jobs while it
 * runs (any thread), {@link #checkWrites} after it, on the coordinating thread, once every job
 * has ended.
 */
final class BenchFile implements AutoCloseable {
    /** Told how far a long pass over the file (the fill, the read-back) has come. */
    @FunctionalInterface
    interface Meter {
        Meter NONE = (done, total) -> { };

        void at(long done, long total);
    }

    /** Fill and check in slices of this many bytes. */
    private static final int CHUNK = 1 << 20;
    /** Marks a block with words of several generations while adopting a file. */
    private static final int MIXED = 0xff;
    private static final VarHandle BITS = MethodHandles.arrayElementVarHandle(long[].class);

    final Path path;
    final boolean temporary;
    final DataPattern pattern;
    final int bs;
    final int blocks;
    /** The generation each block holds (the top byte of its words). */
    private final byte[] generations;
    /** Blocks written by the current run, one bit each. */
    private long[] written;
    private int runGeneration;
    /** What {@link #fill} still has to write: {@code [fillFrom, fillTo)}, and whether to sync it. */
    private long fillFrom;
    private long fillTo;
    private boolean fillDurable;

    private BenchFile(Path path, boolean temporary, DataPattern pattern, int bs, int blocks) {
        this.path = path;
        this.temporary = temporary;
        this.pattern = pattern;
        this.bs = bs;
        this.blocks = blocks;
        this.generations = new byte[blocks];
    }

    /**
     * Checks and creates the file, a temporary one in {@code java.io.tmpdir} or
     * {@code o.filename()}; {@link #fill} then writes what it lacks.
     *
     * @throws UsageException for a file that cannot be used (cannot be created, not a regular
     *         file, holds other data, no O_DIRECT where it lives)
     */
    static BenchFile prepare(BenchOptions o) throws UsageException, IOException {
        DataPattern pattern = new DataPattern(o.seed());
        int blocks = (int) o.blocks();
        long length = (long) blocks * o.bs();
        if (o.filename() == null) {
            Path dir = Path.of(System.getProperty("java.io.tmpdir"));
            if (o.direct()) {
                requireDirectIo(dir, o, "the temporary file's directory " + dir + " (java.io.tmpdir)");
            }
            requireSpace(dir, length, "java.io.tmpdir " + dir);
            Path p = Files.createTempFile(dir, "jaio-bench-", ".dat");
            p.toFile().deleteOnExit();
            BenchFile f = new BenchFile(p, true, pattern, o.bs(), blocks);
            f.fillLater(0, length, o.direct());
            return f;
        }
        Path p = o.filename();
        BenchFile f = new BenchFile(p, false, pattern, o.bs(), blocks);
        if (Files.notExists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(p)) {
            Path dir = p.toAbsolutePath().getParent();
            if (dir == null || !Files.isDirectory(dir)) {
                throw new UsageException("cannot create --filename " + p + ": its directory " + dir + " does not exist");
            }
            if (o.direct()) {
                requireDirectIo(dir, o, "the directory of --filename " + p);
            }
            try {
                Files.newByteChannel(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
            } catch (AccessDeniedException e) {
                throw new UsageException("cannot create --filename " + p + ": permission denied");
            } catch (FileAlreadyExistsException e) {
                throw new UsageException("--filename " + p + " appeared while bench was creating it; run again");
            } catch (IOException e) {
                throw new UsageException("cannot create --filename " + p + ": " + reason(e));
            }
            requireSpace(dir, length, "the directory of --filename " + p);
            f.fillLater(0, length, o.direct());
            return f;
        }
        if (!Files.isRegularFile(p)) {
            throw new UsageException("--filename " + p + " is not a regular file; bench measures files");
        }
        if (!Files.isReadable(p) || (o.rw().writes && !Files.isWritable(p))) {
            throw new UsageException("cannot " + (o.rw().writes ? "read and write" : "read") + " --filename " + p
                    + ": permission denied");
        }
        if (o.direct()) {
            requireDirectIo(p, o, "--filename " + p);
        }
        long existing = Files.size(p);
        // Never overwrite what bench did not write: every byte of the file that the run would
        // use must hold the pattern (an empty file is welcome), the partial block at its end too.
        long checked = Math.min(existing, length);
        f.adopt(checked);
        long whole = checked / o.bs() * o.bs();
        if (whole < length) {
            if (!Files.isWritable(p)) {
                throw new UsageException("--filename " + p + " holds " + existing + " bytes, less than --size "
                        + length + ", and bench may not write it to make it longer");
            }
            f.fillLater(whole, length, o.direct());
        }
        return f;
    }

    private void fillLater(long from, long to, boolean durable) {
        fillFrom = from;
        fillTo = to;
        fillDurable = durable;
    }

    /** How many bytes {@link #fill} will write (0: the file is ready). */
    long bytesToFill() {
        return fillTo - fillFrom;
    }

    /**
     * Writes the pattern where {@link #prepare} found the file short, telling {@code meter}
     * how far it has come; a temporary file that cannot be filled is removed.
     */
    void fill(Meter meter) throws IOException {
        if (fillTo <= fillFrom) {
            return;
        }
        try {
            fill(fillFrom, fillTo, fillDurable, meter);
            fillFrom = fillTo;
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** O_DIRECT must work where the file lives, and {@code --bs} must fit its alignment. */
    private static void requireDirectIo(Path where, BenchOptions o, String what) throws UsageException {
        Optional<AioProbe.DirectIoAlignment> a;
        try {
            a = AioProbe.directIoAlignment(where);
        } catch (IOException | RuntimeException e) {
            // Not told (no native access, an old kernel): the open with O_DIRECT will say.
            return;
        }
        if (a.isEmpty()) {
            return;
        }
        if (a.get().offsetAlignment() == 0) {
            throw new UsageException("--direct 1: the file system of " + what + " does not support O_DIRECT"
                    + fsType(where) + "; give --filename on a file system that does, such as ext4 or xfs");
        }
        if (o.bs() % a.get().offsetAlignment() != 0) {
            throw new UsageException("--bs " + o.bs() + " with --direct 1 must be a multiple of "
                    + a.get().offsetAlignment() + ", the O_DIRECT alignment of " + what);
        }
    }

    private static String fsType(Path where) {
        try {
            return " (" + Files.getFileStore(where).type() + ")";
        } catch (IOException e) {
            return "";
        }
    }

    private static void requireSpace(Path dir, long length, String what) throws UsageException {
        try {
            long free = Files.getFileStore(dir).getUsableSpace();
            if (free < length) {
                throw new UsageException("--size " + BenchOptions.bytes(length) + " does not fit in " + what + ": "
                        + BenchOptions.bytes(free) + " free");
            }
        } catch (IOException e) {
            // The write will fail with the reason if there really is no room.
        }
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * Writes the pattern (generation 0) over {@code [from, to)}, which starts on a block; with
     * {@code durable}, waits until it is on the disk too, so that O_DIRECT runs do not start with
     * the write-back of the whole fill.
     */
    private void fill(long from, long to, boolean durable, Meter meter) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE);
                Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(CHUNK, DataPattern.PAGE);
            ByteBuffer bb = seg.asByteBuffer();
            for (long at = from; at < to; at += CHUNK) {
                int n = (int) Math.min(CHUNK, to - at);
                pattern.fill(seg, at, n, 0);
                bb.clear().limit(n);
                while (bb.hasRemaining()) {
                    ch.write(bb, at + bb.position());
                }
                meter.at(at + n - from, to - from);
            }
            if (durable) {
                ch.force(false);
            }
        }
        for (long b = from / bs; b < to / bs; b++) {
            generations[(int) b] = 0;
        }
    }

    /**
     * Checks that {@code [0, checked)} of an existing file holds the pattern, learning each whole
     * block's generation. Any word that is not a pattern word (of any generation) makes the file
     * foreign, and bench refuses it. Whole blocks with words of several generations (left by
     * writes of another {@code --bs}) are filled again; a partial block at the end is left to the
     * caller's fill.
     */
    private void adopt(long length) throws IOException, UsageException {
        // Bench's files hold whole words; a tail of fewer than 8 bytes is someone else's.
        long checked = length / 8 * 8;
        boolean mixed = false;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
                Arena arena = Arena.ofConfined()) {
            int chunk = Math.max(bs, CHUNK / bs * bs);
            MemorySegment seg = arena.allocate(chunk, DataPattern.PAGE);
            ByteBuffer bb = seg.asByteBuffer();
            for (long at = 0; at < checked; at += chunk) {
                int n = (int) Math.min(chunk, checked - at);
                readFully(ch, bb, at, n);
                for (int i = 0; i < n; i += bs) {
                    long off = at + i;
                    int len = Math.min(bs, n - i);
                    int gen = pattern.generationOf(seg.get(ValueLayout.JAVA_LONG_UNALIGNED, i), off);
                    if (gen < 0) {
                        throw foreign(off);
                    }
                    if (pattern.firstMismatch(seg.asSlice(i, len), off, len, gen, gen) >= 0) {
                        // Several generations, or something else: look at every word.
                        for (int w = 0; w < len; w += 8) {
                            if (pattern.generationOf(seg.get(ValueLayout.JAVA_LONG_UNALIGNED, i + w), off + w) < 0) {
                                throw foreign(off + w);
                            }
                        }
                        gen = MIXED;
                        mixed |= len == bs;
                    }
                    if (len == bs) {
                        generations[(int) (off / bs)] = (byte) gen;
                    }
                }
            }
        }
        if (checked != length) {
            throw foreign(checked);
        }
        if (mixed) {
            refillMixed();
        }
    }

    private void refillMixed() throws IOException {
        for (int b = 0; b < blocks; b++) {
            if ((generations[b] & 0xff) == MIXED) {
                fill((long) b * bs, (long) (b + 1) * bs, true, Meter.NONE);
            }
        }
    }

    private UsageException foreign(long offset) {
        return new UsageException("--filename " + path + " holds data bench did not write (at offset " + offset
                + ", or it was written with another --seed than " + pattern.seed() + "): bench checks every read"
                + " against its own pattern, so give it a new file name, or remove this file");
    }

    private static void readFully(FileChannel ch, ByteBuffer bb, long at, int n) throws IOException {
        bb.clear().limit(n);
        while (bb.hasRemaining()) {
            if (ch.read(bb, at + bb.position()) < 0) {
                throw new IOException("the file ended at " + (at + bb.position()) + " while " + (at + n)
                        + " bytes were expected");
            }
        }
    }

    /** The generation block {@code block} held when the current run started. */
    int generation(int block) {
        return generations[block] & 0xff;
    }

    /**
     * Chooses the generation the next run writes: one that no block holds, so that a write that
     * does not happen is seen.
     */
    int newGeneration() {
        boolean[] held = new boolean[256];
        for (byte g : generations) {
            held[g & 0xff] = true;
        }
        int gen = 1;
        while (gen < MIXED - 1 && held[gen]) {
            gen++;
        }
        runGeneration = gen;
        written = new long[(blocks + 63) / 64];
        return gen;
    }

    /** A job wrote block {@code block} completely and successfully; any thread. */
    void markWritten(int block) {
        long bit = 1L << block;
        BITS.getAndBitwiseOr(written, block >>> 6, bit);
    }

    /**
     * Reads the whole file back (with {@code FileChannel}) after a run that wrote: the blocks it
     * wrote must hold the run's generation, the others what they held before.
     *
     * @return the number of blocks the run wrote
     * @throws DataCheckFailure naming the first offset that holds something else
     */
    long checkWrites(String contender, Meter meter) throws IOException, DataCheckFailure {
        long count = 0;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
                Arena arena = Arena.ofConfined()) {
            int chunk = Math.max(bs, CHUNK / bs * bs);
            MemorySegment seg = arena.allocate(chunk, DataPattern.PAGE);
            ByteBuffer bb = seg.asByteBuffer();
            long length = (long) blocks * bs;
            for (long at = 0; at < length; at += chunk) {
                int n = (int) Math.min(chunk, length - at);
                readFully(ch, bb, at, n);
                for (int i = 0; i < n; i += bs) {
                    long off = at + i;
                    int b = (int) (off / bs);
                    boolean w = (written[b >>> 6] & (1L << b)) != 0;
                    int gen = w ? runGeneration : generation(b);
                    long bad = pattern.firstMismatch(seg.asSlice(i, bs), off, bs, gen, gen);
                    if (bad >= 0) {
                        throw new DataCheckFailure("data check failed after the writes of " + contender
                                + ": the file holds wrong bytes at offset " + bad + " (block " + b + ", which the run "
                                + (w ? "wrote" : "did not write") + "): "
                                + pattern.describeMismatch(seg, bad - at, bad, gen, gen));
                    }
                    if (w) {
                        generations[b] = (byte) runGeneration;
                        count++;
                    }
                }
                meter.at(at + n, length);
            }
        }
        return count;
    }

    /** Removes a temporary file; leaves a given one. */
    @Override
    public void close() throws IOException {
        if (temporary) {
            Files.deleteIfExists(path);
        }
    }

    /** The data check found bytes that are not what the file holds. */
    static final class DataCheckFailure extends Exception {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        DataCheckFailure(String message) {
            super(message, null, false, false);
        }
    }
}
