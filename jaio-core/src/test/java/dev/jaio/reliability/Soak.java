package dev.jaio.reliability;

import dev.jaio.Aio;
import dev.jaio.AioEngine;
import dev.jaio.AioException;
import dev.jaio.AioFile;
import dev.jaio.AioFsync;
import dev.jaio.AioFsyncMode;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A soak of one engine: several threads run random reads, writes and fsyncs over one file, every
 * write's content derived from its offset and a generation ({@link BlockPattern}), every read
 * checked against the generation last acknowledged, and at the end the whole file is read back
 * through {@link FileChannel} (not jaio) and checked block by block.
 *
 * <p><b>What may run at once.</b> A block (one {@code blockSize} region of the file) is written by
 * one operation at a time and not read while written: each has a lock word (-1 writing, n &gt; 0
 * readers), so that every read has exactly one right answer. Otherwise threads and operations
 * overlap freely: up to {@code 16} per thread in flight, lists and single submissions mixed,
 * fsyncs submitted while writes of the same descriptor are in flight.
 *
 * <p><b>How operations are submitted</b>, chosen at random for each batch: {@code submit()} of
 * each then {@code aioSuspend}; {@code submit()} then polling {@code error()};
 * {@code lioListio(LIO_WAIT)}; {@code lioListio(LIO_NOWAIT)} then {@code aioSuspend}. Blocks are
 * reused (re-aimed with {@code setOffset}) as the API intends; a few per hundred are fresh ones
 * (closed after use, some {@code AioWrite.of}), and a few are dropped unclosed for the garbage
 * collector.
 *
 * <p>Counts: a <em>lost</em> block holds an older generation of its own offset than the last
 * acknowledged write; a <em>corrupted</em> one holds anything else that is wrong.
 */
final class Soak {
    /** Operations per batch at most: the depth each thread keeps in flight. */
    static final int MAX_BATCH = 16;
    /** How long one batch may take before the soak calls it a hang. */
    static final Duration BATCH_PATIENCE = Duration.ofSeconds(60);

    /** Size of one soak. */
    record Settings(long operations, int threads, int blocks, int blockSize, long seed) {
        long fileSize() {
            return (long) blocks * blockSize;
        }
    }

    /** The counts of one soak. */
    record Result(String engine, long operations, long reads, long writes, long fsyncs, long lists,
                  long verifiedReads, long lostInReads, long corruptedInReads, long unexpectedErrors,
                  long freshBlocks, long droppedBlocks, long blocksChecked, long lostBlocks, long corruptedBlocks,
                  Duration elapsed, List<String> problems) {

        boolean clean() {
            return lostInReads == 0 && corruptedInReads == 0 && unexpectedErrors == 0 && lostBlocks == 0
                    && corruptedBlocks == 0;
        }

        String summary() {
            double secs = Math.max(1e-9, elapsed.toNanos() / 1e9);
            return String.format(java.util.Locale.ROOT,
                    "soak %-8s %,d operations (%,d reads, %,d writes, %,d fsyncs; %,d lists; %,d fresh blocks,"
                            + " %,d dropped) in %.1f s (%,.0f op/s): reads verified %,d, lost %d, corrupted %d;"
                            + " final check %,d blocks: lost %d, corrupted %d; unexpected errors %d",
                    engine, operations, reads, writes, fsyncs, lists, freshBlocks, droppedBlocks, secs,
                    operations / secs, verifiedReads, lostInReads, corruptedInReads, blocksChecked, lostBlocks,
                    corruptedBlocks, unexpectedErrors);
        }
    }

    private final AioEngine engine;
    private final Settings settings;
    private final AioFile file;
    private final int fd;
    /** Per block: 0 free, n &gt; 0 readers, -1 one writer. */
    private final AtomicIntegerArray locks;
    /** Per block: the generation of the last acknowledged write; guarded by the block's lock. */
    private final long[] committed;
    private final AtomicLong started = new AtomicLong();
    private final LongAdder reads = new LongAdder(), writes = new LongAdder(), fsyncs = new LongAdder(),
            lists = new LongAdder(), verified = new LongAdder(), lost = new LongAdder(), corrupted = new LongAdder(),
            unexpected = new LongAdder(), fresh = new LongAdder(), dropped = new LongAdder();
    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();

    private Soak(AioEngine engine, AioFile file, Settings settings) {
        this.engine = engine;
        this.settings = settings;
        this.file = file;
        this.fd = file.fd();
        this.locks = new AtomicIntegerArray(settings.blocks());
        this.committed = new long[settings.blocks()];
    }

    /**
     * Runs a soak of {@code settings} on {@code engine} over a new file at {@code path} (created,
     * filled with generation 0 through {@link FileChannel}, deleted afterwards).
     */
    static Result run(AioEngine engine, Path path, Settings settings) throws IOException, InterruptedException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int b = 0; b < settings.blocks(); b++) {
                long offset = (long) b * settings.blockSize();
                ByteBuffer content = ByteBuffer.wrap(BlockPattern.bytes(offset, 0, settings.blockSize()));
                while (content.hasRemaining()) {
                    ch.write(content, offset + content.position());
                }
            }
        }
        try (AioFile f = AioFile.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return new Soak(engine, f, settings).go(path);
        } finally {
            java.nio.file.Files.deleteIfExists(path);
        }
    }

    private Result go(Path path) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> crashes = Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < settings.threads(); t++) {
            long seed = settings.seed() + 7919L * t;
            threads.add(Thread.ofPlatform().name("soak-" + engine.name() + "-" + t).start(() -> {
                try {
                    work(new SplittableRandom(seed));
                } catch (Throwable e) {
                    crashes.add(e);
                    problems.add("thread " + Thread.currentThread().getName() + " died: " + e);
                    started.set(Long.MAX_VALUE / 2); // stop the others
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
        if (!crashes.isEmpty()) {
            AssertionError e = new AssertionError("soak on " + engine.name() + " failed: " + crashes.getFirst(),
                    crashes.getFirst());
            crashes.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
        // The final check reads the file through the JDK, not through jaio.
        long checked = 0, finalLost = 0, finalCorrupted = 0;
        byte[] block = new byte[settings.blockSize()];
        MemorySegment view = MemorySegment.ofArray(block);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            for (int b = 0; b < settings.blocks(); b++) {
                long offset = (long) b * settings.blockSize();
                ByteBuffer bb = ByteBuffer.wrap(block);
                while (bb.hasRemaining()) {
                    if (ch.read(bb, offset + bb.position()) < 0) {
                        break;
                    }
                }
                long gen = committed[b];
                if (gen < 0) {
                    continue; // a write that failed: its content is not defined
                }
                checked++;
                if (!BlockPattern.matches(view, offset, gen)) {
                    if (BlockPattern.isStale(view, offset, gen)) {
                        finalLost++;
                    } else {
                        finalCorrupted++;
                    }
                    problem("final check: block at " + offset + " should be generation " + gen + " but holds "
                            + BlockPattern.describe(view));
                }
            }
        }
        long ops = reads.sum() + writes.sum() + fsyncs.sum();
        return new Result(engine.name(), ops, reads.sum(), writes.sum(), fsyncs.sum(), lists.sum(), verified.sum(),
                lost.sum(), corrupted.sum(), unexpected.sum(), fresh.sum(), dropped.sum(), checked, finalLost,
                finalCorrupted, elapsed, List.copyOf(problems));
    }

    private void problem(String text) {
        if (problems.size() < 20) {
            problems.add(text);
        }
    }

    /** One pending operation of a batch and what it means. */
    private static final class Pending {
        Aio block;
        boolean isWrite;
        boolean isFsync;
        int index;
        long generation;
        boolean freshBlock;
        boolean drop;
        MemorySegment buffer;
    }

    private void work(SplittableRandom rnd) throws Exception {
        int bs = settings.blockSize();
        try (Arena arena = Arena.ofShared()) {
            AioRead[] readPool = new AioRead[MAX_BATCH];
            AioWrite[] writePool = new AioWrite[MAX_BATCH];
            for (int i = 0; i < MAX_BATCH; i++) {
                readPool[i] = new AioRead(engine, fd, 0, arena.allocate(bs, 4096), 0, SigevNotify.none());
                writePool[i] = new AioWrite(engine, fd, 0, arena.allocate(bs, 4096), 0, SigevNotify.none());
            }
            AioFsync fsync = new AioFsync(engine, fd, AioFsyncMode.O_SYNC, 0, SigevNotify.none());
            AioFsync fdatasync = new AioFsync(engine, fd, AioFsyncMode.O_DSYNC, 0, SigevNotify.none());
            Pending[] batch = new Pending[MAX_BATCH + 1];
            for (int i = 0; i < batch.length; i++) {
                batch[i] = new Pending();
            }
            List<Aio> list = new ArrayList<>(MAX_BATCH + 1);
            try {
                while (true) {
                    int want = 1 + rnd.nextInt(MAX_BATCH);
                    long first = started.getAndAdd(want);
                    if (first >= settings.operations()) {
                        break;
                    }
                    want = (int) Math.min(want, settings.operations() - first);
                    int n = 0, usedReads = 0, usedWrites = 0;
                    boolean fsyncInBatch = false;
                    list.clear();
                    for (int i = 0; i < want; i++) {
                        if (!fsyncInBatch && rnd.nextInt(100) < 3) {
                            fsyncInBatch = true;
                            Pending p = batch[n++];
                            p.isFsync = true;
                            p.isWrite = false;
                            p.freshBlock = false;
                            p.drop = false;
                            p.block = rnd.nextBoolean() ? fsync : fdatasync;
                            continue;
                        }
                        boolean write = rnd.nextBoolean();
                        int index = lockSomeBlock(rnd, write);
                        if (index < 0) {
                            continue;
                        }
                        Pending p = batch[n++];
                        p.isFsync = false;
                        p.isWrite = write;
                        p.index = index;
                        p.drop = false;
                        long offset = (long) index * bs;
                        p.freshBlock = rnd.nextInt(100) < 2;
                        if (write) {
                            p.generation = committed[index] + 1;
                            if (p.freshBlock) {
                                if (rnd.nextBoolean()) {
                                    p.block = AioWrite.of(engine, fd, offset, BlockPattern.bytes(offset, p.generation, bs),
                                            0, SigevNotify.none());
                                } else {
                                    MemorySegment buf = Arena.ofAuto().allocate(bs, 4096);
                                    BlockPattern.fill(buf, offset, p.generation);
                                    p.block = new AioWrite(engine, fd, offset, buf, 0, SigevNotify.none());
                                }
                                p.drop = rnd.nextInt(10) == 0;
                            } else {
                                AioWrite w = writePool[usedWrites++];
                                BlockPattern.fill(w.buffer(), offset, p.generation);
                                w.setOffset(offset);
                                p.block = w;
                            }
                        } else {
                            p.generation = committed[index];
                            if (p.freshBlock) {
                                p.buffer = Arena.ofAuto().allocate(bs, 4096);
                                p.block = new AioRead(engine, fd, offset, p.buffer, 0, SigevNotify.none());
                                p.drop = rnd.nextInt(10) == 0;
                            } else {
                                AioRead r = readPool[usedReads++];
                                r.setOffset(offset);
                                p.block = r;
                                p.buffer = r.buffer();
                            }
                        }
                    }
                    if (n < want) {
                        started.addAndGet(n - want); // blocks that were busy: give the budget back
                    }
                    if (n == 0) {
                        Thread.onSpinWait();
                        continue;
                    }
                    submitAndWait(rnd, batch, n, list);
                    finish(batch, n);
                }
            } finally {
                for (int i = 0; i < MAX_BATCH; i++) {
                    readPool[i].close();
                    writePool[i].close();
                }
                fsync.close();
                fdatasync.close();
            }
        }
    }

    /** Takes the lock of a random block: exclusive for a write, shared for a read; -1 if none was free. */
    private int lockSomeBlock(SplittableRandom rnd, boolean write) {
        for (int attempt = 0; attempt < 8; attempt++) {
            int index = rnd.nextInt(settings.blocks());
            int s = locks.get(index);
            if (write ? s == 0 && locks.compareAndSet(index, 0, -1) : s >= 0 && locks.compareAndSet(index, s, s + 1)) {
                return index;
            }
        }
        return -1;
    }

    private void unlock(int index, boolean write) {
        if (write) {
            locks.set(index, 0);
        } else {
            locks.decrementAndGet(index);
        }
    }

    private void submitAndWait(SplittableRandom rnd, Pending[] batch, int n, List<Aio> list) throws Exception {
        int style = rnd.nextInt(4);
        List<Aio> fsyncsToSubmit = new ArrayList<>(2);
        for (int i = 0; i < n; i++) {
            if (batch[i].isFsync) {
                fsyncsToSubmit.add(batch[i].block);
            } else {
                list.add(batch[i].block);
            }
        }
        if (style >= 2 && !list.isEmpty()) {
            lists.increment();
            LioMode mode = style == 2 ? LioMode.LIO_WAIT : LioMode.LIO_NOWAIT;
            List<? extends Aio> toSubmit = list;
            for (int attempt = 0; ; attempt++) {
                try {
                    Aio.lioListio(mode, toSubmit, SigevNotify.none());
                    break;
                } catch (AioException e) {
                    if (e.errno() == Errno.EAGAIN && !e.notQueued().isEmpty() && attempt < 1000) {
                        toSubmit = e.notQueued(); // out of resources for now: submit the rest again
                        mode = LioMode.LIO_NOWAIT;
                        Thread.sleep(1);
                        continue;
                    }
                    if (e.errno() == Errno.EIO && e.notQueued().isEmpty()) {
                        break; // LIO_WAIT saw a failure: each block tells which
                    }
                    throw e;
                }
            }
        } else {
            for (Aio a : list) {
                submitWithRetry(a);
            }
        }
        // POSIX: each fsync covers the writes queued before it; submitted while they run.
        for (Aio f : fsyncsToSubmit) {
            submitWithRetry(f);
        }
        long deadline = System.nanoTime() + BATCH_PATIENCE.toNanos();
        boolean poll = style == 1;
        for (int i = 0; i < n; i++) {
            Aio a = batch[i].block;
            while (a.error() == Errno.EINPROGRESS) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("soak on " + engine.name() + ": a batch did not complete in "
                            + BATCH_PATIENCE + ": " + a + "\n" + ThreadDump.all());
                }
                if (poll) {
                    Thread.onSpinWait();
                } else {
                    Aio.aioSuspend(List.of(a), Duration.ofSeconds(1));
                }
            }
        }
    }

    private static void submitWithRetry(Aio a) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                a.submit();
                return;
            } catch (AioException e) {
                if (e.errno() != Errno.EAGAIN || attempt > 1000) {
                    throw e;
                }
                TimeUnit.MILLISECONDS.sleep(1);
            }
        }
    }

    private void finish(Pending[] batch, int n) {
        int bs = settings.blockSize();
        for (int i = 0; i < n; i++) {
            Pending p = batch[i];
            long result;
            Errno failure = null;
            try {
                result = p.block.aioReturn();
            } catch (AioException e) {
                result = -1;
                failure = e.errno();
            }
            if (p.isFsync) {
                fsyncs.increment();
                if (result != 0) {
                    unexpected.increment();
                    problem("fsync returned " + (failure != null ? failure : result));
                }
                continue;
            }
            long offset = (long) p.index * bs;
            if (p.isWrite) {
                writes.increment();
                if (result == bs) {
                    committed[p.index] = p.generation;
                } else {
                    unexpected.increment();
                    committed[p.index] = -1; // its content is not defined any more
                    problem("write at " + offset + " returned " + (failure != null ? failure : result));
                }
            } else {
                reads.increment();
                if (result != bs) {
                    unexpected.increment();
                    problem("read at " + offset + " returned " + (failure != null ? failure : result));
                } else if (p.generation >= 0) {
                    verified.increment();
                    if (!BlockPattern.matches(p.buffer, offset, p.generation)) {
                        if (BlockPattern.isStale(p.buffer, offset, p.generation)) {
                            lost.increment();
                        } else {
                            corrupted.increment();
                        }
                        problem("read at " + offset + " expected generation " + p.generation + " but got "
                                + BlockPattern.describe(p.buffer));
                    }
                }
            }
            unlock(p.index, p.isWrite);
            if (p.freshBlock) {
                fresh.increment();
                if (p.drop) {
                    dropped.increment(); // left to the garbage collector, unclosed
                } else {
                    p.block.close();
                }
            }
            p.block = null;
            p.buffer = null;
        }
    }
}
