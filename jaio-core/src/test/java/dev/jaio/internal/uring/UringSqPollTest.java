package dev.jaio.internal.uring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jaio.Aio;
import dev.jaio.AioEngine;
import dev.jaio.AioEngineOptions;
import dev.jaio.AioFile;
import dev.jaio.AioRead;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.internal.ffi.IoUringAbi;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * io_uring with a kernel poller thread ({@link AioEngineOptions#withSqPoll}): the
 * {@code IORING_SQ_NEED_WAKEUP} protocol (a submission after the poller fell asleep must wake it,
 * or it is never consumed), one poller for all the engine's rings, lists, and the refusal.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UringSqPollTest {
    private static final int SIZE = 4096;

    @TempDir
    Path dir;

    @BeforeEach
    void requireSqPoll() {
        SetupResult r = IoUring.setup(2, IoUringAbi.IORING_SETUP_SQPOLL);
        assumeTrue(r instanceof SetupResult.Ready, () -> "SQPOLL refused here: " + r);
        ((SetupResult.Ready) r).ring().close();
    }

    @AfterEach
    void clearForcedFailures() {
        System.clearProperty(IoUring.FAIL_SETUP_PROPERTY);
    }

    private Path data() throws IOException {
        byte[] bytes = new byte[8 * SIZE];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31 + i / SIZE);
        }
        return Files.write(dir.resolve("data"), bytes);
    }

    @Test
    void aSubmissionAfterThePollerFellAsleepWakesIt() throws Exception {
        Path p = data();
        try (UringEngine engine = (UringEngine) AioEngine.open("io_uring", AioEngineOptions.defaults().withSqPoll(1));
                AioFile f = AioFile.open(p, StandardOpenOption.READ)) {
            MemorySegment buf = Arena.ofAuto().allocate(SIZE);
            try (AioRead r = new AioRead(engine, f.fd(), SIZE, buf, 0, SigevNotify.none())) {
                for (int round = 0; round < 5; round++) {
                    EngineRing ring = engine.ringOfThisThread();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    while ((ring.sq.kernelFlags() & IoUringAbi.IORING_SQ_NEED_WAKEUP) == 0
                            && System.nanoTime() < deadline) {
                        Thread.sleep(5); // idle 1 ms: the poller goes to sleep
                    }
                    assertTrue((ring.sq.kernelFlags() & IoUringAbi.IORING_SQ_NEED_WAKEUP) != 0, "the poller sleeps");
                    r.submit();
                    assertTrue(Aio.aioSuspend(List.of(r), Duration.ofSeconds(10)),
                            "a read submitted to a sleeping poller was never consumed: the wake-up was lost");
                    assertEquals(SIZE, r.aioReturn());
                    assertEquals((byte) (SIZE * 31 + 1), buf.get(ValueLayout.JAVA_BYTE, 0));
                }
            }
        }
    }

    @Test
    void aListIsReadWordForWordWithThePoller() throws Exception {
        Path p = data();
        byte[] expected = Files.readAllBytes(p);
        try (AioEngine engine = AioEngine.open("io_uring", AioEngineOptions.defaults().withSqPoll(5));
                AioFile f = AioFile.open(p, StandardOpenOption.READ)) {
            for (int round = 0; round < 50; round++) {
                List<AioRead> reads = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    reads.add(new AioRead(engine, f.fd(), (long) i * SIZE, Arena.ofAuto().allocate(SIZE), 0,
                            SigevNotify.none()));
                }
                Aio.lioListio(LioMode.LIO_WAIT, reads, SigevNotify.none());
                for (int i = 0; i < 8; i++) {
                    assertEquals(SIZE, reads.get(i).aioReturn());
                    assertArrayEquals(Arrays.copyOfRange(expected, i * SIZE, (i + 1) * SIZE),
                            reads.get(i).buffer().toArray(ValueLayout.JAVA_BYTE));
                    reads.get(i).close();
                }
            }
        }
    }

    @Test
    void everyRingSharesOnePollerThread() throws Exception {
        Path p = data();
        // The pollers of engines closed by earlier tests exit in the background: wait them out.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pollerThreads() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assumeTrue(pollerThreads() == 0, "another engine of this JVM keeps a poller thread");
        try (UringEngine engine = (UringEngine) AioEngine.open("io_uring",
                AioEngineOptions.defaults().withSqPoll(1000));
                AioFile f = AioFile.open(p, StandardOpenOption.READ)) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < engine.ringCount(); t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try (AioRead r = new AioRead(engine, f.fd(), 0, Arena.ofAuto().allocate(SIZE), 0,
                            SigevNotify.none())) {
                        Aio.lioListio(LioMode.LIO_WAIT, List.of(r), SigevNotify.none());
                        assertEquals(SIZE, r.aioReturn());
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(engine.ringCount(), engine.ringsInUse(), "each thread had a ring of its own");
            assertEquals(1, pollerThreads(), "one iou-sqp thread for " + engine.ringsInUse() + " rings");
        }
    }

    /** This process's kernel poller threads ({@code iou-sqp-<pid>}). */
    private static long pollerThreads() throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            return tasks.filter(t -> {
                try {
                    return Files.readString(t.resolve("comm")).startsWith("iou-sqp");
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        }
    }

    @Test
    void aRefusedPollerNamesTheOptionAndTheKernel() {
        System.setProperty(IoUring.FAIL_SETUP_PROPERTY, "EPERM");
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> AioEngine.open("io_uring", AioEngineOptions.defaults().withSqPoll(10)));
        assertTrue(e.getMessage().contains("SQPOLL"), e.getMessage());
        assertTrue(e.getMessage().contains("withSqPoll"), e.getMessage());
        assertTrue(e.getMessage().contains("5.11"), e.getMessage());
    }
}
