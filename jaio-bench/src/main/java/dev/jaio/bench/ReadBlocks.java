package dev.jaio.bench;

import dev.jaio.Aio;
import dev.jaio.AioEngine;
import dev.jaio.AioFile;
import dev.jaio.AioOpenOption;
import dev.jaio.AioRead;
import dev.jaio.Errno;
import dev.jaio.SigevNotify;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * An engine, an open file and {@link BenchFiles#DEPTH} reads over 4 KiB buffers aligned to 4 KiB,
 * made once per trial and re-aimed for every list, as C code re-aims its {@code aiocb}s.
 *
 * <p>Owned by one benchmark state and driven by its thread only.
 */
final class ReadBlocks implements AutoCloseable {
    final AioEngine engine;
    final AioFile file;
    private final Arena arena;
    final long fileBlocks;
    final AioRead[] reads;
    /** All of {@link #reads}, the list given to {@code lio_listio}. */
    final List<AioRead> all;
    /** {@code reads[i]} alone, for waiting on one block without allocating a list per wait. */
    final List<List<AioRead>> single;
    final SigevNotify none = SigevNotify.none();
    private final SplittableRandom rnd;

    /**
     * Opens {@code engineName} and {@code path} ({@code O_DIRECT} when {@code direct}) and makes the
     * blocks; closes what it opened if a later step fails.
     */
    ReadBlocks(String engineName, Path path, boolean direct, long seed) throws IOException {
        this(engineName, path, direct, seed, "auto");
    }

    /**
     * As above, with the buffers from {@code arenaKind}: {@code "auto"} ({@code Arena.ofAuto()},
     * handed to the kernel as they are) or {@code "shared"} ({@code Arena.ofShared()}, which jaio
     * stages through each block's own memory: one copy per read).
     */
    ReadBlocks(String engineName, Path path, boolean direct, long seed, String arenaKind) throws IOException {
        OpenOption[] options = direct
                ? new OpenOption[] {StandardOpenOption.READ, AioOpenOption.DIRECT}
                : new OpenOption[] {StandardOpenOption.READ};
        this.fileBlocks = BenchFiles.blocks(path);
        this.rnd = new SplittableRandom(seed);
        AioEngine e = AioEngine.open(engineName);
        AioFile f = null;
        // Automatic: its memory goes to the kernel without a copy (a closeable arena's would not).
        Arena a = switch (arenaKind) {
            case "auto" -> Arena.ofAuto();
            case "shared" -> Arena.ofShared();
            default -> throw new IllegalArgumentException("arena " + arenaKind + ": auto or shared");
        };
        try {
            f = AioFile.open(path, options);
            reads = new AioRead[BenchFiles.DEPTH];
            List<List<AioRead>> singles = new ArrayList<>(reads.length);
            for (int i = 0; i < reads.length; i++) {
                MemorySegment buf = a.allocate(BenchFiles.BLOCK, BenchFiles.BLOCK);
                reads[i] = new AioRead(e, f.fd(), nextOffset(), buf, 0, none);
                singles.add(List.of(reads[i]));
            }
            all = List.of(reads);
            single = List.copyOf(singles);
        } catch (IOException | RuntimeException | Error t) {
            if (f != null) {
                f.close();
            }
            e.close();
            closeIfShared(a);
            throw t;
        }
        this.engine = e;
        this.file = f;
        this.arena = a;
    }

    /** A random 4 KiB-aligned offset inside the file. */
    long nextOffset() {
        return BenchFiles.randomOffset(rnd, fileBlocks);
    }

    /** Finishes one completed read and checks that it read a whole block. */
    static void finish(AioRead r) throws IOException {
        long n = r.aioReturn();
        if (n != BenchFiles.BLOCK) {
            throw BenchFiles.shortRead(r.engine().name() + " read", r.offset(), n);
        }
    }

    /**
     * Waits for and finishes every read still in progress (after a failed or interrupted
     * iteration), so that closing never has to cancel.
     */
    void drain() throws IOException {
        for (int i = 0; i < reads.length; i++) {
            AioRead r = reads[i];
            if (r.inProgress()) {
                Aio.aioSuspend(single.get(i), null);
                if (r.error() != Errno.EINPROGRESS) {
                    r.aioReturn();
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            drain();
        } finally {
            for (AioRead r : reads) {
                r.close();
            }
            engine.close();
            file.close();
            closeIfShared(arena);
        }
    }

    private static void closeIfShared(Arena a) {
        try {
            a.close();
        } catch (UnsupportedOperationException automatic) {
            // Arena.ofAuto(): the garbage collector frees it
        }
    }
}
