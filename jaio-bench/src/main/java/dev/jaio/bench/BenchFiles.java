package dev.jaio.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

/**
 * The file the benchmarks read, and the random offsets they read it at.
 *
 * <p>Which file: the benchmark's {@code file} parameter ({@code -p file=/path}) if not empty,
 * else the system property {@value #FILE_PROPERTY} ({@code -jvmArgsAppend -Djaio.bench.file=...}),
 * else {@value #DEFAULT_NAME} in {@code java.io.tmpdir}, created once (1 GiB of random bytes) and
 * reused by later runs. {@code O_DIRECT} needs it on a file system that supports it (ext4, xfs;
 * not tmpfs).
 *
 * <p>Called from benchmark setup only (any thread); never on a measured path.
 */
final class BenchFiles {
    /** System property naming the file to read when the {@code file} parameter is empty. */
    static final String FILE_PROPERTY = "jaio.bench.file";
    /** The file created in {@code java.io.tmpdir} when none is named. */
    static final String DEFAULT_NAME = "jaio-bench-1g.dat";
    /** Size of the created file: 1 GiB, as fio's and lio_bench's test file. */
    static final long DEFAULT_SIZE = 1L << 30;
    /** One I/O: 4 KiB, aligned to 4 KiB (what O_DIRECT needs on 4K-sector devices too). */
    static final int BLOCK = 4096;
    /** Reads in flight, and the length of one {@code lio_listio} list. */
    static final int DEPTH = 32;

    private BenchFiles() {
    }

    /** The file to read: {@code param}, the property, or the default file (created if missing). */
    static Path resolve(String param) throws IOException {
        String named = param != null && !param.isEmpty() ? param : System.getProperty(FILE_PROPERTY, "");
        if (!named.isEmpty()) {
            Path p = Path.of(named);
            if (!Files.isRegularFile(p)) {
                throw new NoSuchFileException(named, null, "the file to benchmark (-p file=... or -D"
                        + FILE_PROPERTY + "=...) is not a regular file");
            }
            if (Files.size(p) < 64L * BLOCK) {
                throw new IOException(named + " has " + Files.size(p) + " bytes; random reads need at least "
                        + 64 * BLOCK + " (1 GiB to compare with fio's numbers)");
            }
            return p;
        }
        Path p = Path.of(System.getProperty("java.io.tmpdir"), DEFAULT_NAME);
        if (!Files.isRegularFile(p) || Files.size(p) != DEFAULT_SIZE) {
            create(p);
        }
        return p;
    }

    /** Writes {@link #DEFAULT_SIZE} random bytes to a temporary name, then renames it to {@code p}. */
    private static void create(Path p) throws IOException {
        Path tmp = p.resolveSibling(p.getFileName() + ".part");
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        SplittableRandom rnd = new SplittableRandom(1);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long written = 0; written < DEFAULT_SIZE; ) {
                chunk.clear();
                while (chunk.hasRemaining()) {
                    chunk.putLong(rnd.nextLong());
                }
                chunk.flip();
                while (chunk.hasRemaining()) {
                    written += ch.write(chunk);
                }
            }
            ch.force(true);
        }
        Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads the whole file once, so that page-cache benchmarks find every page cached. */
    static void warm(Path p) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            long pos = 0;
            int n;
            while ((n = ch.read(chunk.clear(), pos)) > 0) {
                pos += n;
            }
        }
    }

    /** Number of whole {@link #BLOCK}s in {@code p}: random offsets are {@code [0, blocks) * BLOCK}. */
    static long blocks(Path p) throws IOException {
        return Files.size(p) / BLOCK;
    }

    /** A random block-aligned offset below {@code blocks * BLOCK}. */
    static long randomOffset(SplittableRandom rnd, long blocks) {
        return rnd.nextLong(blocks) * BLOCK;
    }

    /** The exception for a read that did not return a whole block. */
    static IllegalStateException shortRead(String what, long offset, long result) {
        return new IllegalStateException(what + " at offset " + offset + " returned " + result + ", not " + BLOCK
                + ": is the file shorter than its size said, or did the engine lose a result?");
    }
}
