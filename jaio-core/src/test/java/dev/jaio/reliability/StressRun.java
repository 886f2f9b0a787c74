package dev.jaio.reliability;

import dev.jaio.Aio;
import dev.jaio.AioCancelStat;
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
import dev.jaio.contract.Pipe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sixteen threads against one engine at once, run by {@link SixteenThreadsOneEngineTest} in a
 * child JVM (arguments: engine, seconds, seed): each submits
 * single blocks and lists, waits with
 * {@code aioSuspend} and {@code LIO_WAIT}, polls, cancels its own blocks and everything on a
 * descriptor ({@code aioCancelAll}, which reaches the others' operations too), closes blocks in
 * flight, creates and drops blocks, reads pipes that a feeder thread fills slowly, and interrupts
 * the others. Then the same load runs again and the engine is closed under it.
 *
 * <p>A watchdog ends the run with status 3, printing every thread's stack (with the deadlocks the
 * JVM sees), when no action completes for {@link #STALL} or the threads do not stop in time.
 * Every result is checked: a write's block holds what its last acknowledged write wrote (a
 * canceled write wrote nothing); a pipe read got one byte, was canceled, or saw end of file;
 * nothing else fails, and no buffer of a read block is written after its {@code close()}
 * returned. Status 0: all held; 1: a check failed (printed).
 */
public final class StressRun {
    static final int THREADS = 16;
    static final int BLOCKS_PER_THREAD = 64;
    static final int BLOCK = 4096;
    static final Duration STALL = Duration.ofSeconds(20);

    private final Path dir;
    private final long seconds;

    private StressRun(Path dir, long seconds) {
        this.dir = dir;
        this.seconds = seconds;
    }

    public static void main(String[] args) throws Exception {
        String name = args[0];
        long seconds = Long.parseLong(args[1]);
        long seed = Long.parseLong(args[2]);
        Path dir = java.nio.file.Files.createTempDirectory("jaio-stress-");
        int status;
        try {
            status = new StressRun(dir, seconds).run(name, seed);
        } finally {
            try (var files = java.nio.file.Files.list(dir)) {
                for (Path p : files.toList()) {
                    java.nio.file.Files.deleteIfExists(p);
                }
            }
            java.nio.file.Files.deleteIfExists(dir);
        }
        System.out.flush();
        Runtime.getRuntime().halt(status);
    }

    private final AtomicLong progress = new AtomicLong();
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    /** Buffers of read blocks closed by the threads, marked after close() returned. */
    private final List<MemorySegment> canaries = Collections.synchronizedList(new ArrayList<>());
    static final byte CANARY = 0x5A;
    private volatile boolean stop;
    private volatile boolean engineClosing;

    private void count(String what) {
        counts.computeIfAbsent(what, k -> new LongAdder()).increment();
    }

    private int run(String name, long seed) throws Exception {
        System.out.println("StressRun[" + name + "] seed=" + seed);
        Path path = dir.resolve("stress");
        Path path2 = dir.resolve("stress-while-closing");
        InFlightFaultsTest.fill(path, THREADS * BLOCKS_PER_THREAD, 0);
        InFlightFaultsTest.fill(path2, THREADS * BLOCKS_PER_THREAD, 0);
        AioEngine engine = AioEngine.open(name);
        List<Pipe> pipes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            pipes.add(Pipe.open());
        }
        try (AioFile file = AioFile.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
                AioFile file2 = AioFile.open(path2, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Thread feeder = feeder(pipes);
            long[][] generations = new long[THREADS][BLOCKS_PER_THREAD];
            // Phase 1: sixteen threads, then they stop.
            Arena phase1Buffers = Arena.ofShared(); // freed at the end, after the canaries are checked
            List<Thread> workers = startWorkers(engine, file.fd(), pipes, generations, seed, phase1Buffers);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            watch(workers, deadline, "phase 1 on " + name);
            long phase1 = progress.get();
            Arena phase2Buffers = Arena.ofShared(); // freed only once the engine is closed
            // Phase 2: the same load (on a second file, whose blocks the close leaves old or new),
            // and the engine is closed under it.
            stop = false;
            List<Thread> again = startWorkers(engine, file2.fd(), pipes, new long[THREADS][BLOCKS_PER_THREAD], seed + 1,
                    phase2Buffers);
            Thread.sleep(1000);
            engineClosing = true;
            long t0 = System.nanoTime();
            AtomicReference<Throwable> closeFailure = new AtomicReference<>();
            Thread closer = Thread.ofPlatform().name("stress-engine-closer").start(() -> {
                try {
                    engine.close();
                } catch (Throwable t) {
                    closeFailure.set(t);
                }
            });
            watch(List.of(closer), System.nanoTime(), "engine.close() under sixteen threads on " + name);
            long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            stop = true;
            watch(again, System.nanoTime(), "the threads after engine.close() on " + name);
            feeder.interrupt();
            feeder.join();
            Thread.sleep(100);
            int written = 0;
            synchronized (canaries) {
                for (MemorySegment c : canaries) {
                    for (long i = 0; i < c.byteSize(); i++) {
                                if (c.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) != CANARY) {
                            written++;
                            break;
                        }
                    }
                }
            }
            if (written > 0) {
                problems.add(written + " of " + canaries.size() + " read buffers were written after their block's"
                        + " close() returned");
            }
            phase2Buffers.close();
            phase1Buffers.close();
            if (closeFailure.get() != null) {
                problems.add("engine.close() threw " + closeFailure.get());
            }
            // The file holds, per block, what the last acknowledged write of phase 1 wrote.
            int checked = 0;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                byte[] block = new byte[BLOCK];
                for (int t = 0; t < THREADS; t++) {
                    for (int b = 0; b < BLOCKS_PER_THREAD; b++) {
                        long g = generations[t][b];
                        long offset = offset(t, b);
                        InFlightFaultsTest.readFully(ch, block, offset);
                        checked++;
                        if (!BlockPattern.matches(MemorySegment.ofArray(block), offset, g)) {
                            problems.add("block at " + offset + " should be generation " + g + ": "
                                    + BlockPattern.describe(MemorySegment.ofArray(block)));
                        }
                    }
                }
            }
            Map<String, Long> sorted = new TreeMap<>();
            counts.forEach((k, v) -> sorted.put(k, v.sum()));
            System.out.printf("STRESS-SUMMARY engine=%s actions=%d seconds=%d phase2-actions=%d close-millis=%d"
                    + " blocks-checked=%d closed-read-buffers-watched=%d problems=%d counts=%s%n", name, phase1, seconds,
                    progress.get() - phase1, closeMillis, checked, canaries.size(), problems.size(), sorted);
            for (String p : problems.subList(0, Math.min(20, problems.size()))) {
                System.out.println("STRESS-PROBLEM " + p);
            }
            return problems.isEmpty() ? 0 : 1;
        } finally {
            stop = true;
            engine.close();
            for (Pipe p : pipes) {
                p.close();
            }
        }
    }

    private static long offset(int thread, int block) {
        return ((long) thread * BLOCKS_PER_THREAD + block) * BLOCK;
    }

    /** Writes a byte to one of the pipes every millisecond, so that every pipe read ends. */
    private Thread feeder(List<Pipe> pipes) {
        return Thread.ofPlatform().daemon().name("stress-pipe-feeder").start(() -> {
            SplittableRandom rnd = new SplittableRandom(1);
            byte[] one = {42};
            while (!Thread.currentThread().isInterrupted()) {
                pipes.get(rnd.nextInt(pipes.size())).write(one);
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    private List<Thread> startWorkers(AioEngine engine, int fd, List<Pipe> pipes, long[][] generations, long seed,
                                      Arena shared) {
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            workers.add(Thread.ofPlatform().name("stress-" + t).start(() -> {
                // One arena per phase, freed only after the engine is closed: a buffer must not be
                // freed while the closing engine may still hand it to the kernel.
                try {
                    new Worker(id, engine, fd, pipes, generations[id], new SplittableRandom(seed * 31 + id), shared,
                            workers).run();
                } catch (Throwable e) {
                    if (!(engineClosing && e instanceof IllegalStateException)) {
                        problems.add("stress-" + id + " died: " + e);
                        e.printStackTrace(System.out);
                    }
                }
            }));
        }
        return workers;
    }

    /**
     * Lets {@code threads} run until {@code deadline}, then asks them to stop and waits; fails
     * with every thread's stack if no action completes for {@link #STALL} or they do not end.
     */
    private void watch(List<Thread> threads, long deadline, String what) throws InterruptedException {
        long lastProgress = progress.get();
        long lastChange = System.nanoTime();
        while (true) {
            boolean alive = threads.stream().anyMatch(Thread::isAlive);
            if (!alive) {
                return;
            }
            long now = System.nanoTime();
            if (now >= deadline) {
                stop = true;
            }
            long p = progress.get();
            if (p != lastProgress) {
                lastProgress = p;
                lastChange = now;
            } else if (now - lastChange > STALL.toNanos()) {
                System.out.println("STRESS-HANG " + what + ": no progress for " + STALL + " (deadlock or hang)");
                System.out.println(ThreadDump.all());
                System.out.flush();
                Runtime.getRuntime().halt(3);
            }
            Thread.sleep(50);
        }
    }

    /** One of the sixteen: owns {@link #BLOCKS_PER_THREAD} blocks of the file. */
    private final class Worker {
        final int id;
        final AioEngine engine;
        final int fd;
        final List<Pipe> pipes;
        final long[] gen;
        final SplittableRandom rnd;
        final Arena arena;
        final List<Thread> all;
        final AioRead[] reads = new AioRead[8];
        final AioWrite[] writes = new AioWrite[8];

        Worker(int id, AioEngine engine, int fd, List<Pipe> pipes, long[] gen, SplittableRandom rnd, Arena arena,
               List<Thread> all) {
            this.id = id;
            this.engine = engine;
            this.fd = fd;
            this.pipes = pipes;
            this.gen = gen;
            this.rnd = rnd;
            this.arena = arena;
            this.all = all;
            for (int i = 0; i < 8; i++) {
                reads[i] = new AioRead(engine, fd, 0, arena.allocate(BLOCK, BLOCK), 0, SigevNotify.none());
                writes[i] = new AioWrite(engine, fd, 0, arena.allocate(BLOCK, BLOCK), 0, SigevNotify.none());
            }
        }

        void close(Aio a) {
            a.close();
            if (a instanceof AioRead r && r.nbytes() > 0) {
                // Once close() returned nothing may write the buffer: mark it and look at the end.
                r.buffer().fill(CANARY);
                canaries.add(r.buffer());
            }
        }

        void run() throws Exception {
            try {
                while (!stop) {
                    Thread.interrupted(); // others interrupt us on purpose; every wait copes with EINTR
                    switch (rnd.nextInt(11)) {
                        case 0, 1 -> writeOne();
                        case 2 -> listWait();
                        case 3, 4 -> listNowaitWithCancels();
                        case 5 -> pipeRead();
                        case 6 -> closeInFlight();
                        case 7 -> cancelAllOnTheFile();
                        case 8 -> fsync();
                        case 9 -> createAndDrop();
                        default -> interruptSomeone();
                    }
                    progress.incrementAndGet();
                }
            } finally {
                for (int i = 0; i < 8; i++) {
                    close(reads[i]);
                    close(writes[i]);
                }
            }
        }

        /** Picks {@code k} distinct blocks of this thread. */
        int[] blocks(int k) {
            int start = rnd.nextInt(BLOCKS_PER_THREAD);
            int[] out = new int[k];
            for (int i = 0; i < k; i++) {
                out[i] = (start + i * 7) % BLOCKS_PER_THREAD;
            }
            return out;
        }

        AioWrite aimWrite(AioWrite w, int b) {
            gen[b] = Math.abs(gen[b]) + 1; // the generation this write carries; committed when it succeeds
            w.setOffset(offset(id, b));
            BlockPattern.fill(w.buffer(), offset(id, b), gen[b]);
            return w;
        }

        /** Waits (bounded, interrupt-proof) until none of {@code list} is in progress. */
        void await(List<? extends Aio> list) throws AioException {
            long deadline = System.nanoTime() + Waits.PATIENCE.toNanos();
            for (Aio a : list) {
                while (a.error() == Errno.EINPROGRESS) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("stress-" + id + ": " + a + " did not complete");
                    }
                    try {
                        Aio.aioSuspend(List.of(a), Duration.ofMillis(rnd.nextInt(1, 50)));
                    } catch (AioException e) {
                        if (e.errno() != Errno.EINTR) {
                            throw e;
                        }
                        count("EINTR in aioSuspend");
                        Thread.interrupted();
                    }
                }
            }
        }

        /**
         * aioReturn of a write of block {@code b}: success commits its generation; a cancel leaves
         * the previous one. Whether it wrote.
         */
        boolean finishWrite(AioWrite w, int b) {
            try {
                long n = w.aioReturn();
                if (n != BLOCK) {
                    problems.add(w + " wrote " + n);
                }
                count("write ok");
                return true;
            } catch (AioException e) {
                if (e.errno() == Errno.ECANCELED) {
                    gen[b] = gen[b] - 1; // never ran: the block holds the previous generation
                    count("write canceled");
                } else {
                    problems.add(w + " failed: " + e);
                }
                return false;
            }
        }

        void finishRead(AioRead r, int b) {
            try {
                long n = r.aioReturn();
                if (n != BLOCK) {
                    problems.add(r + " read " + n);
                } else if (!BlockPattern.matches(r.buffer(), offset(id, b), gen[b])) {
                    problems.add(r + " expected generation " + gen[b] + ": " + BlockPattern.describe(r.buffer()));
                }
                count("read ok");
            } catch (AioException e) {
                if (e.errno() == Errno.ECANCELED) {
                    count("read canceled");
                } else {
                    problems.add(r + " failed: " + e);
                }
            }
        }

        void writeOne() throws Exception {
            int b = blocks(1)[0];
            AioWrite w = aimWrite(writes[0], b);
            submit(w);
            await(List.of(w));
            finishWrite(w, b);
        }

        void submit(Aio a) throws AioException {
            while (true) {
                try {
                    a.submit();
                    return;
                } catch (AioException e) {
                    if (e.errno() != Errno.EAGAIN) {
                        throw e;
                    }
                    count("EAGAIN at submit"); // held back and interrupted, or out of resources
                    Thread.interrupted();
                }
            }
        }

        /** Submits {@code list}; whatever was not queued (EAGAIN, EINTR in the submission) is submitted alone. */
        void lio(LioMode mode, List<? extends Aio> list) throws AioException {
            try {
                Aio.lioListio(mode, list, SigevNotify.none());
            } catch (AioException e) {
                if (e.errno() == Errno.EINTR && e.notQueued().isEmpty()) {
                    count("EINTR in LIO_WAIT");
                    return; // everything queued; the caller waits for it
                }
                if (e.errno() == Errno.EIO && e.notQueued().isEmpty()) {
                    count("EIO from LIO_WAIT (some canceled by another thread)");
                    return; // everything queued and done; each block says how it ended
                }
                if (e.errno() != Errno.EAGAIN && e.errno() != Errno.EINTR) {
                    throw e;
                }
                count("EAGAIN in lioListio");
                for (Aio a : e.notQueued()) {
                    submit(a);
                }
            }
        }

        void listWait() throws Exception {
            int k = rnd.nextInt(1, 9);
            int[] bs = blocks(k);
            List<AioRead> list = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                reads[i].setOffset(offset(id, bs[i]));
                list.add(reads[i]);
            }
            lio(LioMode.LIO_WAIT, list);
            await(list);
            for (int i = 0; i < k; i++) {
                finishRead(reads[i], bs[i]);
            }
        }

        void listNowaitWithCancels() throws Exception {
            int k = rnd.nextInt(2, 9);
            int[] bs = blocks(k);
            List<Aio> list = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                list.add(i % 2 == 0 ? aimWrite(writes[i], bs[i]) : aimRead(reads[i], bs[i]));
            }
            lio(LioMode.LIO_NOWAIT, list);
            for (Aio a : list) {
                if (rnd.nextInt(3) == 0) {
                    AioCancelStat s = a.cancel();
                    count("cancel " + s);
                }
            }
            await(list);
            for (int i = 0; i < k; i++) {
                if (i % 2 == 0) {
                    finishWrite(writes[i], bs[i]);
                } else {
                    finishRead(reads[i], bs[i]);
                }
            }
        }

        AioRead aimRead(AioRead r, int b) {
            r.setOffset(offset(id, b));
            return r;
        }

        void pipeRead() throws Exception {
            Pipe p = pipes.get(rnd.nextInt(pipes.size()));
            AioRead r = new AioRead(engine, p.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
            try {
                submit(r);
                if (rnd.nextBoolean()) {
                    count("pipe cancel " + r.cancel());
                }
                await(List.of(r));
                try {
                    long n = r.aioReturn();
                    count(n == 1 ? "pipe read 1 byte" : "pipe read " + n);
                    if (n != 1 && n != 0) {
                        problems.add("pipe read returned " + n);
                    }
                } catch (AioException e) {
                    if (e.errno() != Errno.ECANCELED) {
                        problems.add("pipe read failed: " + e);
                    }
                    count("pipe read canceled");
                }
            } finally {
                close(r);
            }
        }

        void closeInFlight() throws Exception {
            int b = blocks(1)[0];
            if (rnd.nextBoolean()) {
                MemorySegment buf = arena.allocate(BLOCK);
                long g = Math.abs(gen[b]) + 1;
                BlockPattern.fill(buf, offset(id, b), g);
                AioWrite w = new AioWrite(engine, fd, offset(id, b), buf, 0, SigevNotify.none());
                submit(w);
                close(w); // may cancel it: the block is old or new, whole; write it again to know
                count("closed a write in flight");
                gen[b] = g;
                for (int attempt = 0; ; attempt++) { // another thread's aioCancelAll may cancel it
                    AioWrite again = aimWrite(writes[0], b);
                    submit(again);
                    await(List.of(again));
                    if (finishWrite(again, b)) {
                        break;
                    }
                    gen[b] = g + attempt + 1; // the canceled one never ran; the closed one may have
                }
            } else {
                Pipe p = pipes.get(rnd.nextInt(pipes.size()));
                AioRead r = new AioRead(engine, p.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
                submit(r);
                close(r); // waits for the read (the feeder ends it) unless the engine can cancel it
                count("closed a pipe read in flight");
            }
        }

        void cancelAllOnTheFile() throws Exception {
            // Reaches the other threads' operations on the file too: each must cope with ECANCELED.
            count("aioCancelAll " + engine.aioCancelAll(fd));
        }

        void fsync() throws Exception {
            AioFsync f = new AioFsync(engine, fd, rnd.nextBoolean() ? AioFsyncMode.O_SYNC : AioFsyncMode.O_DSYNC,
                    0, SigevNotify.none());
            try {
                submit(f);
                await(List.of(f));
                try {
                    long r = f.aioReturn();
                    if (r != 0) {
                        problems.add("fsync returned " + r);
                    }
                    count("fsync ok");
                } catch (AioException e) {
                    if (e.errno() != Errno.ECANCELED) {
                        problems.add("fsync failed: " + e);
                    }
                    count("fsync canceled");
                }
            } finally {
                close(f);
            }
        }

        void createAndDrop() {
            for (int i = 0; i < 10; i++) {
                AioRead r = new AioRead(engine, fd, 0, arena.allocate(16), 0, SigevNotify.none());
                if (i % 2 == 0) {
                    close(r);
                }
            }
            count("created 10 blocks, closed 5, dropped 5");
        }

        void interruptSomeone() {
            // The workers start while the list of all of them is still being filled.
            int n = all.size();
            Thread t = n == 0 ? null : all.get(rnd.nextInt(n));
            if (t != null && t != Thread.currentThread()) {
                t.interrupt();
                count("interrupted another thread");
            }
        }
    }
}
