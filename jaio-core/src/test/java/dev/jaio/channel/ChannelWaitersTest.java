package dev.jaio.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.AioEngine;
import dev.jaio.AioFileChannel;
import dev.jaio.AioOpenOption;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Threads that wait for a channel future finish its operation themselves when the engine reports
 * it (io_uring, threads), and every way of waiting and of giving up ({@code join}, {@code get},
 * {@code get} with a timeout, an interrupt, two threads waiting for one future) ends every
 * operation exactly once, with the right bytes. O_DIRECT, so that reads outlive their submission.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChannelWaitersTest {
    private static final int BLOCK = 4096, BLOCKS = 256;

    @TempDir
    Path dir;

    /**
     * A stage added before the wait runs on the waiting thread: the thread that waited finished
     * the operation (not the completion thread, one thread switch more). Not every time: a read
     * that the engine reports between {@code isDone()} and the wait goes to the completion
     * thread, as it should (nobody waited yet), so most of the waits are asked for, not all.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"threads", "io_uring"})
    void theWaitingThreadFinishesTheOperation(String engineName) throws Exception {
        byte[] data = file(1);
        try (AioEngine engine = AioEngine.open(engineName);
             AioFileChannel ch = AioFileChannel.open(engine, dir.resolve("data"), StandardOpenOption.READ,
                     AioOpenOption.DIRECT)) {
            int waited = 0, finishedByWaiter = 0;
            for (int i = 0; i < 200 && waited < 20; i++) {
                ByteBuffer buf = direct();
                CompletableFuture<Integer> f = ch.read(buf, (long) (i % BLOCKS) * BLOCK);
                AtomicReference<Thread> ranOn = new AtomicReference<>();
                f.thenRun(() -> ranOn.set(Thread.currentThread()));
                if (f.isDone()) {
                    continue; // ended inside its submission: nothing to wait for
                }
                waited++;
                assertEquals(BLOCK, f.join());
                if (ranOn.get() == Thread.currentThread()) {
                    finishedByWaiter++;
                }
                assertBlock(data, i % BLOCKS, buf);
            }
            assertTrue(waited > 0, "every read ended inside its submission: nothing was waited for");
            assertTrue(finishedByWaiter * 2 > waited, "of " + waited + " reads waited for, the waiting thread finished"
                    + " only " + finishedByWaiter + " (the completion thread the others)");
        }
    }

    /**
     * Platform and virtual threads read with every kind of wait, at random: {@code join},
     * {@code get}, a {@code get} that times out first, a {@code get} with the thread interrupted,
     * a second thread joining the same future. Every read completes once with its bytes, and
     * close() returns (a read finished twice, or never, would leave the channel's count wrong).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"posix", "threads", "io_uring"})
    void everyWayOfWaitingEndsEachReadOnce(String engineName) throws Exception {
        long seed = System.nanoTime();
        byte[] data = file(seed);
        int threads = 16, readsEach = 200;
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger reads = new AtomicInteger();
        try (AioEngine engine = AioEngine.open(engineName)) {
            AioFileChannel ch = AioFileChannel.open(engine, dir.resolve("data"), StandardOpenOption.READ,
                    AioOpenOption.DIRECT);
            List<Thread> started = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                SplittableRandom rnd = new SplittableRandom(seed + t);
                Runnable reader = () -> {
                    try {
                        for (int i = 0; i < readsEach; i++) {
                            int block = rnd.nextInt(BLOCKS);
                            ByteBuffer buf = direct();
                            CompletableFuture<Integer> f = ch.read(buf, (long) block * BLOCK);
                            int n = waitSomeWay(f, rnd.nextInt(5));
                            if (n != BLOCK || !sameBytes(data, block, buf)) {
                                failures.add("block " + block + ": read " + n);
                            }
                            reads.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failures.add(e.toString());
                    }
                };
                started.add(t % 2 == 0 ? Thread.ofVirtual().start(reader) : Thread.ofPlatform().start(reader));
            }
            for (Thread t : started) {
                t.join();
            }
            ch.close();
        }
        assertEquals(List.of(), List.copyOf(failures).subList(0, Math.min(5, failures.size())), "seed " + seed);
        assertEquals(threads * readsEach, reads.get(), "seed " + seed);
    }

    /** Waits for {@code f} in way {@code how} (0 to 4); returns its count. */
    private static int waitSomeWay(CompletableFuture<Integer> f, int how) throws Exception {
        switch (how) {
            case 0:
                return f.join();
            case 1:
                return f.get();
            case 2:
                try {
                    return f.get(1, TimeUnit.MICROSECONDS);
                } catch (TimeoutException early) {
                    return f.get(30, TimeUnit.SECONDS);
                }
            case 3:
                Thread.currentThread().interrupt();
                try {
                    int n = f.get();
                    assertTrue(Thread.interrupted(), "get() returned a result and lost the interrupt");
                    return n;
                } catch (InterruptedException e) {
                    return f.join();
                }
            default:
                AtomicInteger other = new AtomicInteger(-2);
                Thread second = Thread.ofVirtual().start(() -> other.set(f.join()));
                int n = f.join();
                second.join();
                assertEquals(n, other.get(), "two waiters of one future saw different counts");
                return n;
        }
    }

    private byte[] file(long seed) throws Exception {
        byte[] data = new byte[BLOCKS * BLOCK];
        new SplittableRandom(seed).nextBytes(data);
        Files.write(dir.resolve("data"), data);
        return data;
    }

    private static boolean sameBytes(byte[] data, int block, ByteBuffer buf) {
        byte[] got = new byte[BLOCK];
        buf.flip().get(got);
        return Arrays.equals(got, 0, BLOCK, data, block * BLOCK, (block + 1) * BLOCK);
    }

    private static void assertBlock(byte[] data, int block, ByteBuffer buf) {
        assertTrue(sameBytes(data, block, buf), "block " + block + " read wrong bytes");
    }

    /** A direct buffer of one block at a 4096-aligned address, as O_DIRECT wants. */
    private static ByteBuffer direct() {
        return ByteBuffer.allocateDirect(2 * BLOCK).alignedSlice(4096).limit(BLOCK);
    }
}
