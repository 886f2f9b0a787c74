package dev.jaio.reliability;

import dev.jaio.AioEngine;
import dev.jaio.AioFileChannel;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.InterruptedByTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link AioFileChannel} under threads that submit, wait, cancel and close at once, run by
 * {@link ChannelStressTest} in a child JVM (arguments: engine, seconds, seed):
 * <ul>
 *   <li>{@link #PLATFORM} platform threads keep up to {@link #OUTSTANDING} futures each: reads and
 *       writes of whole blocks with direct, heap and segment buffers, some with deadlines of
 *       0-50 µs, reads of a FIFO with deadlines of 0-300 µs, and forces;</li>
 *   <li>{@link #VIRTUAL} virtual threads each read a block at a time with
 *       {@code read(buf, pos).join()};</li>
 *   <li>a chaos thread cancels futures of all of them ({@code cancel(true)}) as they run, and
 *       every 150 ms replaces the file's channel and closes the old one under the load;</li>
 *   <li>at the end the engine is closed under the same load.</li>
 * </ul>
 * Every outcome is checked: a read that succeeded got the whole block and its bytes; a write
 * wrote it all; a FIFO read got the feeder's bytes; anything else is a cancellation, a deadline
 * ({@link InterruptedByTimeoutException}) or a close ({@link AsynchronousCloseException},
 * {@link ClosedChannelException}). The writes write what the file already holds, so the file must
 * hold its pattern at the end, whatever was canceled. Once an operation's future is done, its
 * buffer is filled with {@link #CANARY} and rests for {@link #REST_NANOS} before it is used again:
 * a buffer whose canary changed was written after its future completed. A watchdog prints every
 * thread's stack and exits 3 when nothing completes for {@link #STALL}. Status 0: all held; 1: a
 * check failed (printed).
 */
public final class ChannelStressRun {
    static final int BLOCKS = 1024;
    static final int BLOCK = 4096;
    static final int PLATFORM = 4;
    static final int VIRTUAL = 64;
    static final int OUTSTANDING = 8;
    static final byte CANARY = 0x5A;
    static final byte FED = 42;
    static final long REST_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    static final Duration STALL = Duration.ofSeconds(20);
    /** A future that does not complete in this long is a hang (the watchdog usually sees it first). */
    static final long PATIENCE_SECONDS = 30;

    private final Path path;
    private final Path fifo;
    private final AioEngine engine;
    /** All buffers' memory: freed only after the engine is closed and the canaries are checked. */
    private final Arena arena = Arena.ofShared();
    private final List<Buffer> allBuffers = Collections.synchronizedList(new ArrayList<>());
    private final AtomicReferenceArray<CompletableFuture<?>> cancelTargets = new AtomicReferenceArray<>(64);
    private final AtomicLong progress = new AtomicLong();
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private volatile AioFileChannel file;
    private volatile AioFileChannel pipe;
    private volatile boolean stop;
    private volatile boolean engineClosing;

    private ChannelStressRun(Path dir, String engineName) throws IOException {
        this.path = dir.resolve("channel");
        this.fifo = dir.resolve("fifo");
        this.engine = AioEngine.open(engineName);
    }

    public static void main(String[] args) throws Exception {
        String name = args[0];
        long seconds = Long.parseLong(args[1]);
        long seed = Long.parseLong(args[2]);
        Path dir = Files.createTempDirectory("jaio-channel-stress-");
        int status;
        try {
            status = new ChannelStressRun(dir, name).run(name, seconds, seed);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
        System.out.flush();
        Runtime.getRuntime().halt(status);
    }

    private void count(String what) {
        counts.computeIfAbsent(what, k -> new LongAdder()).increment();
    }

    private int run(String name, long seconds, long seed) throws Exception {
        System.out.println("ChannelStressRun[" + name + "] seed=" + seed);
        InFlightFaultsTest.fill(path, BLOCKS, 0);
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        if (mkfifo.waitFor() != 0) {
            throw new IOException("mkfifo " + fifo + " failed");
        }
        file = openFile();
        pipe = AioFileChannel.open(engine, fifo, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Thread feeder = feeder();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < PLATFORM; t++) {
            SplittableRandom rnd = new SplittableRandom(seed * 31 + t);
            workers.add(Thread.ofPlatform().name("channel-stress-" + t).start(() -> guarded(new Worker(rnd)::run)));
        }
        for (int v = 0; v < VIRTUAL; v++) {
            SplittableRandom rnd = new SplittableRandom(seed * 131 + v);
            workers.add(Thread.ofVirtual().name("channel-stress-v" + v).start(() -> guarded(() -> blockingReads(rnd))));
        }
        Thread chaos = Thread.ofPlatform().name("channel-stress-chaos")
                .start(() -> guarded(() -> chaos(new SplittableRandom(seed * 7))));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        watch(workers, deadline, false, "the channels under load on " + name);
        // The engine closed under the same load: every future still completes.
        engineClosing = true;
        long t0 = System.nanoTime();
        Thread closer = Thread.ofPlatform().name("channel-stress-engine-closer").start(() -> guarded(engine::close));
        watch(List.of(closer), System.nanoTime() + STALL.toNanos(), true, "engine.close() under load on " + name);
        long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        stop = true;
        watch(workers, System.nanoTime(), true, "the threads after engine.close() on " + name);
        watch(List.of(chaos), System.nanoTime(), true, "the chaos thread on " + name);
        feeder.interrupt();
        feeder.join();
        // Late writes: every buffer holds its canary (each was filled when its future completed).
        Thread.sleep(100);
        int written = 0;
        synchronized (allBuffers) {
            for (Buffer b : allBuffers) {
                if (!b.canaryIntact()) {
                    written++;
                    if (written <= 5) {
                        problems.add("written after its future completed: a buffer last used by " + b.lastUse);
                    }
                }
            }
        }
        if (written > 0) {
            problems.add(written + " of " + allBuffers.size() + " buffers were written after their future completed");
        }
        arena.close();
        int checked = checkFile();
        Map<String, Long> sorted = new TreeMap<>();
        counts.forEach((k, v) -> sorted.put(k, v.sum()));
        System.out.printf("CHANNEL-STRESS-SUMMARY engine=%s completions=%d seconds=%d close-millis=%d"
                + " blocks-checked=%d buffers=%d problems=%d counts=%s%n", name, progress.get(), seconds, closeMillis,
                checked, allBuffers.size(), problems.size(), sorted);
        for (String p : problems.subList(0, Math.min(20, problems.size()))) {
            System.out.println("CHANNEL-STRESS-PROBLEM " + p);
        }
        return problems.isEmpty() ? 0 : 1;
    }

    private AioFileChannel openFile() throws IOException {
        return AioFileChannel.open(engine, path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /** Runs {@code body}, recording what it throws (but a closed engine's refusals once it closes). */
    private void guarded(ThrowingRunnable body) {
        try {
            body.run();
        } catch (Throwable e) {
            problems.add(Thread.currentThread().getName() + " died: " + e);
            e.printStackTrace(System.out);
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Writes {@link #FED} into the FIFO every millisecond, so that every read of it ends. */
    private Thread feeder() {
        return Thread.ofPlatform().daemon().name("channel-stress-feeder").start(() -> {
            // The channel holds the FIFO open for reading: this open does not block.
            try (OutputStream out = Files.newOutputStream(fifo, StandardOpenOption.WRITE)) {
                while (!Thread.currentThread().isInterrupted()) {
                    out.write(FED);
                    out.flush();
                    Thread.sleep(1);
                }
            } catch (InterruptedException e) {
                // done
            } catch (IOException e) {
                problems.add("the FIFO feeder failed: " + e);
            }
        });
    }

    /** Cancels the others' futures as they run, and replaces the file's channel every 150 ms. */
    private void chaos(SplittableRandom rnd) throws IOException {
        long nextSwap = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(150);
        while (!stop && !engineClosing) {
            CompletableFuture<?> f = cancelTargets.getAndSet(rnd.nextInt(cancelTargets.length()), null);
            if (f != null) {
                count(f.cancel(true) ? "cancel-took" : "cancel-late");
            }
            if (System.nanoTime() - nextSwap > 0) {
                AioFileChannel old = file;
                file = openFile();
                old.close(); // under load: what is outstanding fails with AsynchronousCloseException
                count("channel-closed-under-load");
                nextSwap = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(150);
            }
            LockSupport.parkNanos(rnd.nextLong(20_000, 200_000));
        }
    }

    /**
     * Lets {@code threads} run until {@code deadline}, then asks them to stop (unless
     * {@code stopAlready}) and waits; exits 3 with every thread's stack if nothing completes for
     * {@link #STALL}.
     */
    private void watch(List<Thread> threads, long deadline, boolean stopAlready, String what)
            throws InterruptedException {
        long lastProgress = progress.get();
        long lastChange = System.nanoTime();
        while (threads.stream().anyMatch(Thread::isAlive)) {
            long now = System.nanoTime();
            if (now >= deadline && !stopAlready) {
                return;
            }
            long p = progress.get();
            if (p != lastProgress) {
                lastProgress = p;
                lastChange = now;
            } else if (now - lastChange > STALL.toNanos()) {
                System.out.println("CHANNEL-STRESS-HANG " + what + ": nothing completed for " + STALL);
                System.out.println(ThreadDump.all());
                System.out.flush();
                Runtime.getRuntime().halt(3);
            }
            Thread.sleep(50);
        }
    }

    /** The file holds its pattern: every write wrote what was there. */
    private int checkFile() throws IOException {
        int checked = 0;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            byte[] block = new byte[BLOCK];
            for (int b = 0; b < BLOCKS; b++) {
                InFlightFaultsTest.readFully(ch, block, (long) b * BLOCK);
                checked++;
                if (!BlockPattern.matches(MemorySegment.ofArray(block), (long) b * BLOCK, 0)) {
                    problems.add("block " + b + " lost its pattern: " + BlockPattern.describe(MemorySegment.ofArray(block)));
                }
            }
        }
        return checked;
    }

    /** What a future may fail with here; anything else is a problem. Returns how it ended. */
    private String failed(String what, Throwable e) {
        Throwable cause = e instanceof ExecutionException || e instanceof CompletionException ? e.getCause() : e;
        if (cause instanceof CancellationException) {
            count(what + "-canceled");
        } else if (cause instanceof InterruptedByTimeoutException) {
            count(what + "-deadline");
        } else if (cause instanceof AsynchronousCloseException || cause instanceof ClosedChannelException) {
            count(what + "-closed");
        } else {
            problems.add(what + " failed with " + cause);
        }
        return "failed with " + cause + (cause.getCause() != null ? ", caused by " + cause.getCause() : "");
    }

    /** One buffer of 4 KiB: native (used as a direct ByteBuffer or as a segment) or on the heap. */
    private final class Buffer {
        final MemorySegment segment;
        final ByteBuffer bytes;
        long restingSince;
        /** Its last operation and how it ended: for the message when its canary changed. */
        String lastUse = "none";

        Buffer(boolean heap) {
            if (heap) {
                byte[] array = new byte[BLOCK];
                segment = MemorySegment.ofArray(array);
                bytes = ByteBuffer.wrap(array);
            } else {
                segment = arena.allocate(BLOCK, 4096);
                bytes = segment.asByteBuffer();
            }
            allBuffers.add(this);
        }

        /** Its operation is over: canary in, and it rests. */
        void rest() {
            segment.fill(CANARY);
            restingSince = System.nanoTime();
        }

        boolean canaryIntact() {
            for (long i = 0; i < BLOCK; i++) {
                if (segment.get(ValueLayout.JAVA_BYTE, i) != CANARY) {
                    return false;
                }
            }
            return true;
        }
    }

    /** A thread's buffers: new ones up to a bound, then the longest-resting once it rested enough. */
    private final class BufferPool {
        private final ArrayDeque<Buffer> resting = new ArrayDeque<>();
        private final boolean heap;
        private int made;

        BufferPool(boolean heap) {
            this.heap = heap;
        }

        Buffer take() {
            while (true) {
                Buffer b = resting.peekFirst();
                if (b != null && System.nanoTime() - b.restingSince >= REST_NANOS) {
                    resting.pollFirst();
                    if (!b.canaryIntact()) {
                        problems.add("a " + (heap ? "heap" : "native") + " buffer was written after its future completed ("
                                + b.lastUse + ")");
                    }
                    return b;
                }
                if (made < 2 * OUTSTANDING + 8) {
                    made++;
                    return new Buffer(heap);
                }
                LockSupport.parkNanos(1_000_000);
            }
        }

        void give(Buffer b, String lastUse) {
            b.lastUse = lastUse;
            b.rest();
            resting.addLast(b);
        }
    }

    /** One operation in flight on a platform thread. */
    private record Op(String what, CompletableFuture<? extends Number> future, Buffer buffer, BufferPool pool,
                      long offset, boolean read) {
    }

    /** A platform thread keeping up to {@link #OUTSTANDING} futures. */
    private final class Worker {
        final SplittableRandom rnd;
        final BufferPool nativeBuffers = new BufferPool(false);
        final BufferPool heapBuffers = new BufferPool(true);
        final ArrayDeque<Op> inFlight = new ArrayDeque<>();

        Worker(SplittableRandom rnd) {
            this.rnd = rnd;
        }

        void run() {
            while (!stop) {
                if (inFlight.size() >= OUTSTANDING || (!inFlight.isEmpty() && rnd.nextInt(4) == 0)) {
                    finish(inFlight.pollFirst());
                } else {
                    start();
                }
            }
            while (!inFlight.isEmpty()) {
                finish(inFlight.pollFirst());
            }
        }

        void start() {
            int dice = rnd.nextInt(100);
            long offset = (long) rnd.nextInt(BLOCKS) * BLOCK;
            Duration deadline = rnd.nextInt(5) == 0 ? Duration.ofNanos(rnd.nextLong(50_000)) : null;
            boolean heap = rnd.nextInt(3) == 0;
            BufferPool pool = heap ? heapBuffers : nativeBuffers;
            Buffer b = pool.take();
            AioFileChannel ch = file;
            CompletableFuture<? extends Number> f;
            String what;
            boolean read = true;
            if (dice < 45) {
                what = "read";
                b.bytes.clear();
                f = deadline == null ? ch.read(b.bytes, offset) : ch.read(b.bytes, offset, deadline);
            } else if (dice < 60 && !heap) {
                what = "segment-read";
                f = ch.read(b.segment, offset);
            } else if (dice < 80) {
                what = "write";
                read = false;
                BlockPattern.fill(b.segment, offset, 0);
                b.bytes.clear();
                f = deadline == null ? ch.write(b.bytes, offset) : ch.write(b.bytes, offset, deadline);
            } else if (dice < 92) {
                what = "fifo-read";
                b.bytes.clear().limit(5);
                f = pipe.read(b.bytes, 0, Duration.ofNanos(rnd.nextLong(300_000)));
            } else {
                pool.give(b, "nothing (a force took it)");
                f = ch.forceAsync(rnd.nextBoolean()).thenApply(v -> 0);
                inFlight.addLast(new Op("force", f, null, null, 0, false));
                cancelTargets.set(rnd.nextInt(cancelTargets.length()), f);
                return;
            }
            count(what);
            inFlight.addLast(new Op(what, f, b, pool, offset, read));
            cancelTargets.set(rnd.nextInt(cancelTargets.length()), f);
        }

        void finish(Op op) {
            String outcome;
            try {
                Number n = op.future.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
                check(op, n.longValue());
                outcome = "returned " + n;
            } catch (TimeoutException e) {
                problems.add(op.what + " did not complete in " + PATIENCE_SECONDS + " s");
                return; // its buffer is never used again
            } catch (ExecutionException | CancellationException e) {
                outcome = failed(op.what, e);
            } catch (InterruptedException e) {
                problems.add("interrupted");
                return;
            }
            progress.incrementAndGet();
            if (op.buffer != null) {
                op.pool.give(op.buffer, op.what + " at " + op.offset + " on " + Thread.currentThread().getName() + ", "
                        + outcome);
            }
        }

        void check(Op op, long n) {
            switch (op.what) {
                case "fifo-read" -> {
                    if (n < 1 || n > 5) {
                        problems.add("a FIFO read returned " + n);
                    }
                    for (int i = 0; i < n; i++) {
                        if (op.buffer.bytes.get(i) != FED) {
                            problems.add("a FIFO read got byte " + op.buffer.bytes.get(i) + " at " + i);
                            break;
                        }
                    }
                }
                case "force" -> {
                    // nothing to compare
                }
                default -> {
                    if (n != BLOCK) {
                        problems.add(op.what + " at " + op.offset + " returned " + n + ", not " + BLOCK);
                    } else if (op.read && !BlockPattern.matches(op.buffer.segment, op.offset, 0)) {
                        problems.add(op.what + " at " + op.offset + " got wrong bytes: "
                                + BlockPattern.describe(op.buffer.segment));
                    }
                }
            }
        }
    }

    /** A virtual thread's loop: one blocking read at a time, through whichever channel is current. */
    private void blockingReads(SplittableRandom rnd) {
        BufferPool pool = new BufferPool(rnd.nextBoolean());
        while (!stop) {
            long offset = (long) rnd.nextInt(BLOCKS) * BLOCK;
            Buffer b = pool.take();
            b.bytes.clear();
            String outcome;
            try {
                CompletableFuture<Integer> f = file.read(b.bytes, offset);
                cancelTargets.set(rnd.nextInt(cancelTargets.length()), f);
                int n = f.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
                if (n != BLOCK) {
                    problems.add("a virtual thread's read at " + offset + " returned " + n);
                } else if (!BlockPattern.matches(b.segment, offset, 0)) {
                    problems.add("a virtual thread's read at " + offset + " got wrong bytes: "
                            + BlockPattern.describe(b.segment));
                }
                count("vthread-read");
                outcome = "returned " + n;
            } catch (TimeoutException e) {
                problems.add("a virtual thread's read did not complete in " + PATIENCE_SECONDS + " s");
                return;
            } catch (ExecutionException | CancellationException e) {
                outcome = failed("vthread-read", e);
            } catch (InterruptedException e) {
                problems.add("interrupted");
                return;
            }
            progress.incrementAndGet();
            pool.give(b, "vthread-read at " + offset + ", " + outcome);
        }
    }
}
