package dev.jaio.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.AioEngine;
import dev.jaio.AioFileChannel;
import dev.jaio.AioOpenOption;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reads a thread starts in a burst may be deferred by the engine (io_uring gathers them into one
 * {@code io_uring_enter}); whatever the program then does with their futures, each read completes
 * once with its bytes: nobody waits (the engine's flusher submits them), a wait on a stage derived
 * from one, a cancel, the channel's close, the engine's close. On every engine, so that the others
 * keep the same promises (they submit at once).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DeferredSubmissionsTest {
    private static final int BLOCK = 4096, BLOCKS = 64;
    /** The io_uring engine's test setting of its flusher's tick, in microseconds. */
    private static final String FLUSHER_TICK_PROPERTY = "dev.jaio.internal.uring.flusherTickMicros";
    /** More than one engine-side batch (32), and not a multiple of it: a tail is left deferred. */
    private static final int BURST = 100;

    @TempDir
    Path dir;

    /**
     * Reads nobody waits for, in bursts that leave a tail of them deferred: all complete, with
     * their bytes, without any thread asking (the io_uring engine's flusher submits the tail).
     * A burst is deferred only once the loop runs fast (compiled): rounds go on until five of them
     * left reads unsubmitted when {@code read} returned, which io_uring must reach.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "threads", "posix"})
    void readsNobodyWaitsForComplete(String engineName) throws Exception {
        byte[] data = file();
        try (AioEngine engine = AioEngine.open(engineName);
             AioFileChannel ch = AioFileChannel.open(engine, dir.resolve("data"), StandardOpenOption.READ)) {
            int deferredRounds = 0;
            for (int round = 0; round < 2000 && deferredRounds < 5; round++) {
                CountDownLatch done = new CountDownLatch(BURST);
                AtomicInteger wrong = new AtomicInteger();
                ByteBuffer[] bufs = new ByteBuffer[BURST];
                for (int i = 0; i < BURST; i++) {
                    bufs[i] = ByteBuffer.allocateDirect(BLOCK);
                }
                int notDoneAtReturn = 0;
                for (int i = 0; i < BURST; i++) {
                    int block = i % BLOCKS;
                    ByteBuffer buf = bufs[i];
                    CompletableFuture<Integer> f = ch.read(buf, (long) block * BLOCK);
                    if (!f.isDone()) {
                        notDoneAtReturn++;
                    }
                    f.whenComplete((n, e) -> {
                        if (e != null || n != BLOCK || !sameBytes(data, block, buf)) {
                            wrong.incrementAndGet();
                        }
                        done.countDown();
                    });
                }
                assertTrue(done.await(30, TimeUnit.SECONDS), "round " + round + ": " + done.getCount() + " of "
                        + BURST + " reads nobody waited for never completed");
                assertEquals(0, wrong.get(), "reads that failed or read wrong bytes");
                if (notDoneAtReturn > 0) {
                    deferredRounds++;
                }
            }
            if (engineName.equals("io_uring")) {
                assertEquals(5, deferredRounds, "io_uring never left a read of a fast burst unsubmitted: the test"
                        + " did not test deferred reads");
            }
        }
    }

    /**
     * A thread that waits on a stage derived from a read's future ({@code thenApply}) gets the
     * read submitted first, so it waits for the I/O, not for the engine's flusher: the read is
     * finished on the waiting thread (by the submission its wait made), not by the completion
     * thread after a flusher's tick. Checked on the last read of bursts that left it unsubmitted
     * when {@code read} returned (once the loop is compiled); in most of them, not all, as a slow
     * burst (a thread preempted) may see the flusher's tick come first.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "threads", "posix"})
    void waitingOnADerivedStageSubmitsTheRead(String engineName) throws Exception {
        waitingSubmitsTheRead(engineName, true);
    }

    /** The same for a thread that waits on the read's own future ({@code get}). */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "threads", "posix"})
    void waitingOnTheReadsFutureSubmitsTheRead(String engineName) throws Exception {
        waitingSubmitsTheRead(engineName, false);
    }

    private void waitingSubmitsTheRead(String engineName, boolean onStage) throws Exception {
        byte[] data = file();
        // A flusher that ticks once a minute: a wait that left the read to it times out below.
        System.setProperty(FLUSHER_TICK_PROPERTY, Long.toString(TimeUnit.MINUTES.toMicros(1)));
        AioEngine opened;
        try {
            opened = AioEngine.open(engineName);
        } finally {
            System.clearProperty(FLUSHER_TICK_PROPERTY);
        }
        try (AioEngine engine = opened;
             AioFileChannel ch = AioFileChannel.open(engine, dir.resolve("data"), StandardOpenOption.READ)) {
            int deferredRounds = 0, finishedByWaiter = 0;
            for (int round = 0; round < 4000 && deferredRounds < 40; round++) {
                CompletableFuture<?>[] stages = new CompletableFuture<?>[8];
                ByteBuffer[] bufs = new ByteBuffer[stages.length];
                for (int i = 0; i < stages.length; i++) {
                    bufs[i] = ByteBuffer.allocateDirect(BLOCK);
                }
                AtomicReference<Thread> lastFinishedOn = new AtomicReference<>();
                boolean lastDeferred = false;
                for (int i = 0; i < stages.length; i++) {
                    CompletableFuture<Integer> f = ch.read(bufs[i], (long) i * BLOCK);
                    if (i == stages.length - 1) {
                        lastDeferred = !f.isDone();
                        f.thenRun(() -> lastFinishedOn.set(Thread.currentThread()));
                    }
                    stages[i] = onStage ? f.thenApply(n -> n + 1) : f;
                }
                for (int i = stages.length - 1; i >= 0; i--) {
                    // get(timeout), not join(): with nothing to submit the read, join() would hang
                    assertEquals(onStage ? BLOCK + 1 : BLOCK, stages[i].get(20, TimeUnit.SECONDS));
                    assertTrue(sameBytes(data, i, bufs[i]), "block " + i + " read wrong bytes");
                }
                if (lastDeferred) {
                    deferredRounds++;
                    if (lastFinishedOn.get() == Thread.currentThread()) {
                        finishedByWaiter++;
                    }
                }
            }
            if (engineName.equals("io_uring")) {
                // The page cache: the read completes inside the submitting call, which the
                // waiting thread made; the other engines finish reads on their own threads.
                assertEquals(40, deferredRounds, "io_uring never left the last read of a fast burst unsubmitted");
                assertTrue(finishedByWaiter * 2 > deferredRounds, "the waiting thread finished the last read of only "
                        + finishedByWaiter + " of " + deferredRounds + " bursts (the completion thread the others)");
            }
        }
    }

    /**
     * A cancel of a read still deferred ends it (canceled, or completed with its bytes if the
     * cancel's own submission carried it to the kernel first), never leaves it waiting; so do the
     * reads deferred behind it.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "threads", "posix"})
    void cancelOfADeferredReadEndsIt(String engineName) throws Exception {
        byte[] data = file();
        try (AioEngine engine = AioEngine.open(engineName);
             AioFileChannel ch = AioFileChannel.open(engine, dir.resolve("data"), StandardOpenOption.READ)) {
            for (int round = 0; round < 20; round++) {
                CompletableFuture<Integer>[] fs = newArray(8);
                ByteBuffer[] bufs = new ByteBuffer[fs.length];
                for (int i = 0; i < fs.length; i++) {
                    bufs[i] = ByteBuffer.allocateDirect(BLOCK);
                    fs[i] = ch.read(bufs[i], (long) i * BLOCK);
                }
                fs[4].cancel(false);
                assertTrue(fs[4].isDone(), "cancel returned before the read ended");
                for (int i = 0; i < fs.length; i++) {
                    try {
                        assertEquals(BLOCK, fs[i].get(30, TimeUnit.SECONDS));
                        assertTrue(sameBytes(data, i, bufs[i]), "block " + i + " read wrong bytes");
                    } catch (CancellationException e) {
                        assertEquals(4, i, "a read that was not canceled ended canceled");
                    }
                }
            }
        }
    }

    /**
     * Closing the channel, or the engine, right after a burst of reads ends every one of them
     * (a result, or {@code AsynchronousCloseException} / a closed-engine failure), and returns.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "threads", "posix"})
    void closeEndsDeferredReads(String engineName) throws Exception {
        byte[] data = file();
        for (boolean closeEngine : new boolean[] {false, true}) {
            AioEngine engine = AioEngine.open(engineName);
            AioFileChannel ch = AioFileChannel.open(engine, dir.resolve("data"), StandardOpenOption.READ);
            CompletableFuture<Integer>[] fs = newArray(BURST);
            ByteBuffer[] bufs = new ByteBuffer[fs.length];
            for (int i = 0; i < fs.length; i++) {
                bufs[i] = ByteBuffer.allocateDirect(BLOCK);
                fs[i] = ch.read(bufs[i], (long) (i % BLOCKS) * BLOCK);
            }
            if (closeEngine) {
                engine.close();
                ch.close();
            } else {
                ch.close();
                engine.close();
            }
            for (int i = 0; i < fs.length; i++) {
                try {
                    // The engine has ended each read when close() returns; its future may still be
                    // completed a moment later, by the completion thread (posix).
                    assertEquals(BLOCK, fs[i].get(30, TimeUnit.SECONDS));
                    assertTrue(sameBytes(data, i % BLOCKS, bufs[i]), "read " + i + " read wrong bytes");
                } catch (ExecutionException | CancellationException e) {
                    Throwable cause = e.getCause() == null ? e : e.getCause();
                    assertTrue(cause instanceof AsynchronousCloseException || cause instanceof IllegalStateException
                                    || cause instanceof CancellationException,
                            "read " + i + " ended with " + cause);
                }
            }
        }
    }

    /**
     * Hundreds of virtual threads reading at once (O_DIRECT, so that many reads are in flight)
     * hand their reads to a ring's combiner on io_uring, gathered and not yet in the kernel until
     * it submits them; every seventh read is canceled right after it starts, and the channel is
     * closed while they read. Every read ends (its bytes, canceled, or the channel's close), none
     * is lost (each thread's wait returns), and close() returns.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "threads", "posix"})
    void virtualThreadsReadCancelAndCloseTogether(String engineName) throws Exception {
        byte[] data = file();
        for (int round = 0; round < 3; round++) {
            try (AioEngine engine = AioEngine.open(engineName)) {
                AioFileChannel ch = AioFileChannel.open(engine, dir.resolve("data"), StandardOpenOption.READ,
                        AioOpenOption.DIRECT);
                AtomicInteger wrong = new AtomicInteger(), reads = new AtomicInteger();
                AtomicReference<Throwable> unexpected = new AtomicReference<>();
                Thread[] threads = new Thread[300];
                for (int t = 0; t < threads.length; t++) {
                    int seed = round * 1000 + t;
                    threads[t] = Thread.ofVirtual().start(() -> readUntilClosed(ch, data, seed, wrong, reads, unexpected));
                }
                Thread.sleep(100 + 100 * round);
                ch.close();
                for (Thread t : threads) {
                    t.join(TimeUnit.SECONDS.toMillis(30));
                    assertTrue(!t.isAlive(), "a virtual thread still waits for its read after close");
                }
                assertEquals(null, unexpected.get(), "a read ended in an unexpected way");
                assertEquals(0, wrong.get(), "reads with wrong bytes");
                assertTrue(reads.get() > 0, "no read completed before close");
            }
        }
    }

    private static void readUntilClosed(AioFileChannel ch, byte[] data, int seed, AtomicInteger wrong,
                                        AtomicInteger reads, AtomicReference<Throwable> unexpected) {
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer buf = ByteBuffer.allocateDirect(2 * BLOCK).alignedSlice(4096).limit(BLOCK);
        for (int i = 0; ; i++) {
            int block = random.nextInt(BLOCKS);
            buf.clear().limit(BLOCK);
            CompletableFuture<Integer> f;
            try {
                f = ch.read(buf, (long) block * BLOCK);
            } catch (RuntimeException e) {
                unexpected.compareAndSet(null, e);
                return;
            }
            if (i % 7 == 3) {
                f.cancel(false);
            }
            try {
                assertEquals(BLOCK, f.get(30, TimeUnit.SECONDS));
                if (!sameBytes(data, block, buf)) {
                    wrong.incrementAndGet();
                }
                reads.incrementAndGet();
            } catch (CancellationException e) {
                // canceled by this thread: the next read
            } catch (ExecutionException e) {
                if (e.getCause() instanceof AsynchronousCloseException
                        || e.getCause() instanceof java.nio.channels.ClosedChannelException) {
                    return;
                }
                unexpected.compareAndSet(null, e.getCause());
                return;
            } catch (Exception | AssertionError e) {
                unexpected.compareAndSet(null, e);
                return;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static CompletableFuture<Integer>[] newArray(int n) {
        return (CompletableFuture<Integer>[]) new CompletableFuture<?>[n];
    }

    private byte[] file() throws Exception {
        byte[] data = new byte[BLOCKS * BLOCK];
        new SplittableRandom(7).nextBytes(data);
        Files.write(dir.resolve("data"), data);
        return data;
    }

    private static boolean sameBytes(byte[] data, int block, ByteBuffer buf) {
        byte[] got = new byte[BLOCK];
        buf.duplicate().flip().get(got);
        return Arrays.equals(got, 0, BLOCK, data, block * BLOCK, (block + 1) * BLOCK);
    }
}
