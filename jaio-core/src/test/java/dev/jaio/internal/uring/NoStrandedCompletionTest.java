package dev.jaio.internal.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jaio.Aio;
import dev.jaio.AioEngineOptions;
import dev.jaio.AioFile;
import dev.jaio.AioOpenOption;
import dev.jaio.AioRead;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.contract.Pipe;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * No completion is ever stranded by the reaper's arming protocol ({@link ReaperArming}): many
 * threads submit, to one engine, reads that complete inside the submission (page cache), soon
 * after it (O_DIRECT) and much later (pipes, fed by another thread), singly and in
 * {@code LIO_NOWAIT} lists; some have callbacks, some are waited for with {@code aioSuspend} by
 * another thread, some are submitted by threads that exit at once. At the end each submitter
 * leaves reads of the pipes in flight, and everybody stops calling the engine; only then does
 * the test write the bytes they wait for, and every callback must still arrive: an operation
 * whose completion the kernel posted while its ring's eventfd was off, with nobody left to reap
 * that ring, would never call back. (A waiter would not notice: its waits reap in slices of 10 ms.)
 *
 * <p>{@code -Djaio.stress.seconds=N} runs longer; the seed is printed ({@code -Djaio.test.seed}).
 */
class NoStrandedCompletionTest {
    private static final int BLOCK = 4096;
    private static final int FILE_BLOCKS = 256;
    private static final int SUBMITTERS = 6;
    private static final int PIPES = 3;
    /** Pipe reads each submitter leaves in flight when it stops. */
    private static final int LATE_READS = 4;
    /** Callback operations a submitter may have outstanding, so that the run stays bounded. */
    private static final int OUTSTANDING = 64;

    private enum Kind { CACHED, DIRECT, PIPE }

    /** One operation with a callback: what it read, and whether its callback came. */
    private record Called(AioRead read, Kind kind, AtomicInteger calls) {
    }

    @Test
    void everyCompletionIsDeliveredAfterEveryoneStoppedCallingTheEngine() throws Exception {
        long seed = Long.getLong("jaio.test.seed", System.nanoTime());
        long seconds = Long.getLong("jaio.stress.seconds", 3);
        System.out.println("NoStrandedCompletionTest seed=" + seed + " (rerun with -Djaio.test.seed=" + seed + ")");
        Path dir = Files.createTempDirectory("h10-stranded-");
        Path cachedPath = dir.resolve("cached");
        Path directPath = dir.resolve("direct");
        Files.write(cachedPath, new byte[FILE_BLOCKS * BLOCK]);
        Files.write(directPath, new byte[FILE_BLOCKS * BLOCK]);
        List<Pipe> pipes = new ArrayList<>();
        for (int i = 0; i < PIPES; i++) {
            pipes.add(Pipe.open());
        }
        UringEngine engine = new UringEngine(AioEngineOptions.defaults(), false);
        Arena arena = Arena.ofShared();
        AioFile cached = AioFile.open(cachedPath, StandardOpenOption.READ);
        AioFile direct = openDirect(directPath);
        if (direct == null) {
            System.out.println("NoStrandedCompletionTest: " + dir + " refuses O_DIRECT; io-wq reads stand in");
        }
        try {
            ConcurrentLinkedQueue<Called> called = new ConcurrentLinkedQueue<>();
            LinkedBlockingQueue<AioRead> toWaitFor = new LinkedBlockingQueue<>();
            LinkedBlockingQueue<Integer> pipeBytesOwed = new LinkedBlockingQueue<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            AtomicIntegerArray lateBytes = new AtomicIntegerArray(PIPES);

            // Feeds the pipes: one byte for each pipe read submitted, a little later.
            Thread feeder = Thread.ofPlatform().name("stranded-feeder").start(() -> {
                try {
                    Integer p;
                    while ((p = pipeBytesOwed.poll(100, TimeUnit.MILLISECONDS)) != null || System.nanoTime() < end) {
                        if (p != null) {
                            pipes.get(p).write(new byte[] {(byte) p.intValue()});
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            // Waits, from its own thread, for reads other threads submitted.
            Thread waiter = Thread.ofPlatform().name("stranded-waiter").start(() -> {
                try {
                    AioRead r;
                    while ((r = toWaitFor.poll(100, TimeUnit.MILLISECONDS)) != null || System.nanoTime() < end) {
                        if (r != null) {
                            assertTrue(Aio.aioSuspend(List.of(r), Duration.ofSeconds(30)), "aioSuspend timed out");
                            assertEquals(BLOCK, r.aioReturn(), "a waited-for read");
                            count(counts, "waited for by another thread");
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            List<Thread> submitters = new ArrayList<>();
            for (int t = 0; t < SUBMITTERS; t++) {
                Random random = new Random(seed + t);
                submitters.add(Thread.ofPlatform().name("stranded-submitter-" + t).start(() -> {
                    Semaphore outstanding = new Semaphore(OUTSTANDING);
                    try {
                        Submitter s = new Submitter(engine, arena, cached, direct, pipes, random, called, outstanding,
                                pipeBytesOwed, counts);
                        while (System.nanoTime() < end && failure.get() == null) {
                            switch (random.nextInt(6)) {
                                case 0, 1 -> s.submitWithCallback(s.anyKind());
                                case 2 -> toWaitFor.add(s.submitPlain(random.nextBoolean() ? Kind.CACHED : s.fileKind()));
                                case 3 -> s.listWithCallbacks(1 + random.nextInt(8));
                                case 4 -> {
                                    // A thread that submits and exits at once: the kernel cancels what
                                    // it left in flight, and the engine submits it again.
                                    Kind kind = random.nextBoolean() ? Kind.PIPE : s.fileKind();
                                    Thread quitter = Thread.ofPlatform().start(() -> {
                                        try {
                                            s.submitWithCallback(kind);
                                        } catch (Throwable e) {
                                            failure.compareAndSet(null, e);
                                        }
                                    });
                                    quitter.join();
                                    count(counts, "submitted by a thread that exited");
                                }
                                default -> s.submitWithCallback(Kind.CACHED);
                            }
                        }
                        for (int i = 0; i < LATE_READS; i++) {
                            lateBytes.incrementAndGet(s.submitLatePipeRead());
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread t : submitters) {
                t.join();
            }
            waiter.join();
            feeder.join();
            if (failure.get() != null) {
                throw new AssertionError("a thread failed", failure.get());
            }
            // Nobody calls the engine any more: the reaper alone delivers what is still in flight,
            // and what these bytes complete.
            for (int p = 0; p < PIPES; p++) {
                pipes.get(p).write(new byte[lateBytes.get(p)]);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            List<Called> missing = missingCallbacks(called);
            while (!missing.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
                missing = missingCallbacks(called);
            }
            if (!missing.isEmpty()) {
                Map<Kind, Integer> byKind = new ConcurrentHashMap<>();
                missing.forEach(c -> byKind.merge(c.kind(), 1, Integer::sum));
                fail(missing.size() + " of " + called.size() + " callbacks never came (by kind " + byKind
                        + "): completions stranded in a ring whose eventfd was off; seed " + seed);
            }
            for (Called c : called) {
                assertEquals(1, c.calls().get(), "one callback per operation");
                assertEquals(c.kind() == Kind.PIPE ? 1 : BLOCK, c.read().aioReturn(), c.kind() + " read");
            }
            System.out.println("NoStrandedCompletionTest: " + called.size() + " callbacks, " + counts
                    + ", reaper woken " + engine.reaperWakeups() + " times");
            assertTrue(called.size() > 100, "the run did too little to prove anything: " + called.size());
        } finally {
            for (Pipe p : pipes) {
                p.closeWriteEnd();
            }
            engine.close();
            cached.close();
            if (direct != null) {
                direct.close();
            }
            for (Pipe p : pipes) {
                p.close();
            }
            arena.close();
            Files.deleteIfExists(cachedPath);
            Files.deleteIfExists(directPath);
            Files.deleteIfExists(dir);
        }
    }

    private static List<Called> missingCallbacks(ConcurrentLinkedQueue<Called> called) {
        List<Called> missing = new ArrayList<>();
        for (Called c : called) {
            if (c.calls().get() == 0) {
                missing.add(c);
            }
        }
        return missing;
    }

    private static void count(Map<String, AtomicInteger> counts, String what) {
        counts.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
    }

    private static AioFile openDirect(Path path) throws IOException {
        try {
            return AioFile.open(path, StandardOpenOption.READ, AioOpenOption.DIRECT);
        } catch (FileSystemException e) {
            return null; // tmpfs: no O_DIRECT
        }
    }

    /** One submitting thread's way of making operations. */
    private record Submitter(UringEngine engine, Arena arena, AioFile cached, AioFile direct, List<Pipe> pipes,
            Random random, ConcurrentLinkedQueue<Called> called, Semaphore outstanding,
            LinkedBlockingQueue<Integer> pipeBytesOwed, Map<String, AtomicInteger> counts) {

        Kind anyKind() {
            return Kind.values()[random.nextInt(Kind.values().length)];
        }

        /** O_DIRECT where the file system has it; else cached (reads of cached pages may still go to io-wq). */
        Kind fileKind() {
            return direct != null ? Kind.DIRECT : Kind.CACHED;
        }

        void submitWithCallback(Kind kind) throws Exception {
            Called c = withCallback(kind);
            c.read().submit();
            count(counts, kind + " with a callback");
        }

        /** A read of a pipe that only the test's last writes complete: which pipe. */
        int submitLatePipeRead() throws Exception {
            int p = random.nextInt(pipes.size());
            AtomicInteger calls = new AtomicInteger();
            AioRead r = new AioRead(engine, pipes.get(p).readFd(), 0, arena.allocate(1), 0,
                    SigevNotify.thread(0, v -> calls.incrementAndGet()));
            called.add(new Called(r, Kind.PIPE, calls));
            r.submit();
            count(counts, "late pipe reads");
            return p;
        }

        AioRead submitPlain(Kind kind) throws Exception {
            AioRead r = read(kind, SigevNotify.none());
            r.submit();
            count(counts, kind + " waited for");
            return r;
        }

        void listWithCallbacks(int n) throws Exception {
            List<AioRead> list = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Kind kind = random.nextBoolean() ? Kind.CACHED : fileKind();
                list.add(withCallback(kind).read());
            }
            Aio.lioListio(LioMode.LIO_NOWAIT, list, SigevNotify.none());
            count(counts, "LIO_NOWAIT lists");
        }

        private Called withCallback(Kind kind) throws InterruptedException {
            outstanding.acquire();
            AtomicInteger calls = new AtomicInteger();
            AioRead r = read(kind, SigevNotify.thread(0, v -> {
                calls.incrementAndGet();
                outstanding.release();
            }));
            Called c = new Called(r, kind, calls);
            called.add(c);
            return c;
        }

        private AioRead read(Kind kind, SigevNotify notify) {
            return switch (kind) {
                case CACHED -> new AioRead(engine, cached.fd(), offset(), arena.allocate(BLOCK), 0, notify);
                case DIRECT -> new AioRead(engine, direct.fd(), offset(), arena.allocate(BLOCK, BLOCK), 0, notify);
                case PIPE -> {
                    int p = random.nextInt(pipes.size());
                    AioRead r = new AioRead(engine, pipes.get(p).readFd(), 0, arena.allocate(1), 0, notify);
                    pipeBytesOwed.add(p); // written by the feeder once it is submitted or not: one byte per read
                    yield r;
                }
            };
        }

        private long offset() {
            return (long) random.nextInt(FILE_BLOCKS) * BLOCK;
        }
    }
}
