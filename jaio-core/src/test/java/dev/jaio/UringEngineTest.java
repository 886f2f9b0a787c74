package dev.jaio;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.contract.Pipe;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the io_uring engine promises beyond the contract suite: a ring far smaller than the work
 * (wrap-around, lists longer than the ring, back-pressure instead of failure), many threads at
 * once, operations that outlive the thread that submitted them, and the default engine's
 * fallback for every reason io_uring_setup is refused (forced through the ring layer's seam, in a
 * child JVM, since the default engine is chosen once per process).
 */
class UringEngineTest {
    private static final int BLOCK = 512;

    /** The word every block holds at {@code offset}: derived from the offset, so any mix-up shows. */
    private static long word(long offset) {
        return offset * 0x9E3779B97F4A7C15L ^ 0x6A61696F;
    }

    private static void fill(MemorySegment buf, long offset) {
        for (int i = 0; i < buf.byteSize(); i += 8) {
            buf.set(JAVA_LONG, i, word(offset + i));
        }
    }

    private static void check(MemorySegment buf, long offset) {
        for (int i = 0; i < buf.byteSize(); i += 8) {
            assertEquals(word(offset + i), buf.get(JAVA_LONG, i), "word at file offset " + (offset + i));
        }
    }

    @Test
    void aListLongerThanTheRingWrapsAroundAndCompletes() throws Exception {
        try (AioEngine engine = AioEngine.open("io_uring", AioEngineOptions.defaults().withQueueDepth(4));
                AioFile f = AioFile.tempfile(); Arena arena = Arena.ofShared()) {
            int n = 300;
            List<AioWrite> writes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                MemorySegment b = arena.allocate(BLOCK, 8);
                fill(b, (long) i * BLOCK);
                writes.add(new AioWrite(engine, f.fd(), (long) i * BLOCK, b, 0, SigevNotify.none()));
            }
            // 300 operations through 4 SQEs and 8 CQEs: submitted in many io_uring_enter calls,
            // the submitter reaping and waiting for room (back-pressure), never failing.
            for (int round = 0; round < 5; round++) {
                Aio.lioListio(LioMode.LIO_WAIT, writes, SigevNotify.none());
                for (AioWrite w : writes) {
                    assertEquals(BLOCK, w.aioReturn());
                }
            }
            List<AioRead> reads = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                reads.add(new AioRead(engine, f.fd(), (long) i * BLOCK, arena.allocate(BLOCK, 8), 0, SigevNotify.none()));
            }
            Aio.lioListio(LioMode.LIO_NOWAIT, reads, SigevNotify.none());
            for (AioRead r : reads) {
                while (r.error() == Errno.EINPROGRESS) {
                    assertTrue(Aio.aioSuspend(List.of(r), Duration.ofSeconds(10)));
                }
                assertEquals(BLOCK, r.aioReturn());
                check(r.buffer(), r.offset());
            }
        }
    }

    @Test
    void thousandsInFlightFromSeveralThreads() throws Exception {
        long seed = System.nanoTime();
        System.out.println("UringEngineTest.thousandsInFlightFromSeveralThreads seed=" + seed);
        int threads = 6;
        int perThread = 2_000;
        try (AioEngine engine = AioEngine.open("io_uring", AioEngineOptions.defaults().withQueueDepth(64));
                AioFile f = AioFile.tempfile()) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                workers.add(Thread.ofPlatform().start(() -> {
                    try (Arena arena = Arena.ofShared()) {
                        SplittableRandom rnd = new SplittableRandom(seed + me);
                        List<AioWrite> batch = new ArrayList<>();
                        for (int i = 0; i < 32; i++) {
                            batch.add(new AioWrite(engine, f.fd(), 0, arena.allocate(BLOCK, 8), 0, SigevNotify.none()));
                        }
                        for (int done = 0; done < perThread; done += batch.size()) {
                            for (int i = 0; i < batch.size(); i++) {
                                long block = (long) me * perThread + done + i;
                                AioWrite w = batch.get(i);
                                w.setOffset(block * BLOCK);
                                fill(w.buffer(), block * BLOCK);
                            }
                            Aio.lioListio(rnd.nextBoolean() ? LioMode.LIO_WAIT : LioMode.LIO_NOWAIT, batch,
                                    SigevNotify.none());
                            for (AioWrite w : batch) {
                                while (w.error() == Errno.EINPROGRESS) {
                                    Aio.aioSuspend(List.of(w), Duration.ofSeconds(10));
                                }
                                assertEquals(BLOCK, w.aioReturn());
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread w : workers) {
                w.join(TimeUnit.SECONDS.toMillis(60));
                assertTrue(!w.isAlive(), "a worker is stuck");
            }
            if (failure.get() != null) {
                throw new AssertionError("a submitting thread failed", failure.get());
            }
            byte[] all = Files.readAllBytes(Path.of("/proc/self/fd/" + f.fd()));
            MemorySegment file = MemorySegment.ofArray(all);
            for (long off = 0; off < (long) threads * perThread * BLOCK; off += 8) {
                if (file.get(JAVA_LONG.withByteAlignment(1), off) != word(off)) {
                    throw new AssertionError("file word at " + off + " is wrong");
                }
            }
        }
    }

    /**
     * The kernel cancels a thread's pending io_uring requests when the thread exits; POSIX
     * operations must outlive their submitter. A read of an empty pipe, submitted by a thread that
     * then ends, still completes with the data written afterwards.
     */
    @Test
    void operationsOutliveTheThreadThatSubmittedThem() throws Exception {
        try (AioEngine engine = AioEngine.open("io_uring"); Pipe pipe = Pipe.open(); Arena arena = Arena.ofShared()) {
            AioRead read = new AioRead(engine, pipe.readFd(), 0, arena.allocate(5), 0, SigevNotify.none());
            Thread submitter = Thread.ofPlatform().start(() -> {
                try {
                    read.submit();
                } catch (AioException e) {
                    throw new AssertionError(e);
                }
            });
            submitter.join();
            Thread.sleep(50);
            assertEquals(Errno.EINPROGRESS, read.error(), "still waiting for data after its thread exited");
            pipe.write("hello".getBytes(StandardCharsets.US_ASCII));
            assertTrue(Aio.aioSuspend(List.of(read), Duration.ofSeconds(10)));
            assertEquals(5, read.aioReturn());
            assertEquals("hello", new String(read.buffer().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void closingTheEngineCancelsWaitsAndFrees() throws Exception {
        AioEngine engine = AioEngine.open("io_uring", AioEngineOptions.defaults().withQueueDepth(8));
        try (Pipe pipe = Pipe.open(); Arena arena = Arena.ofShared()) {
            List<AioRead> reads = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                AioRead r = new AioRead(engine, pipe.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
                r.submit();
                reads.add(r);
            }
            engine.close();
            for (AioRead r : reads) {
                assertTrue(!r.inProgress() || r.error() != Errno.EINPROGRESS);
                assertThrows(IllegalStateException.class, r::submit);
            }
            // The arena is closed after the engine: had the kernel kept a read, this write would
            // land in freed memory; instead nobody reads the pipe any more.
            pipe.write(new byte[] {1});
        }
    }

    /**
     * An fsync waits for the earlier writes of its own descriptor only: held back by a write stuck
     * on a full pipe, it delays neither a later write nor a read of another file (as
     * {@code IOSQE_IO_DRAIN} would, for the whole ring).
     */
    @Test
    void aHeldBackFsyncDelaysNothingElse() throws Exception {
        try (AioEngine engine = AioEngine.open("io_uring"); Pipe pipe = Pipe.open(); AioFile f = AioFile.tempfile();
                Arena arena = Arena.ofShared()) {
            pipe.write(new byte[pipe.capacity()]);
            AioWrite stuck = new AioWrite(engine, pipe.writeFd(), 0, arena.allocate(4), 0, SigevNotify.none());
            stuck.submit();
            AioFsync sync = new AioFsync(engine, pipe.writeFd(), AioFsyncMode.O_DSYNC, 0, SigevNotify.none());
            sync.submit();
            AioWrite later = new AioWrite(engine, f.fd(), 0, arena.allocate(BLOCK, 8), 0, SigevNotify.none());
            AioRead other = new AioRead(engine, f.fd(), 0, arena.allocate(BLOCK, 8), 0, SigevNotify.none());
            Aio.lioListio(LioMode.LIO_WAIT, List.of(later), SigevNotify.none());
            assertEquals(BLOCK, later.aioReturn());
            Aio.lioListio(LioMode.LIO_WAIT, List.of(other), SigevNotify.none());
            assertEquals(BLOCK, other.aioReturn());
            assertEquals(Errno.EINPROGRESS, sync.error(), "the fsync still waits for the stuck write");
            pipe.read(pipe.capacity());
            assertTrue(Aio.aioSuspend(List.of(stuck), Duration.ofSeconds(10)));
            assertEquals(4, stuck.aioReturn());
            while (sync.error() == Errno.EINPROGRESS) {
                assertTrue(Aio.aioSuspend(List.of(sync), Duration.ofSeconds(10)));
            }
            assertEquals(Errno.EINVAL, sync.error(), "fsync(2) of a pipe fails with EINVAL, after the write");
            assertThrows(AioException.class, sync::aioReturn);
        }
    }

    /** The child: prints what the default engine became and why. */
    public static final class FallbackChild {
        public static void main(String[] args) {
            System.out.println("REFUSAL " + AioProbe.ioUringRefusal().orElse("none"));
            try {
                AioEngine.open("io_uring").close();
                System.out.println("OPENED io_uring");
            } catch (UnsupportedOperationException e) {
                System.out.println("OPEN REFUSED " + e.getMessage());
            }
            System.out.println("DEFAULT " + AioEngine.defaultEngine().name());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"EPERM", "io_uring_disabled", "ENOMEM", "ENOSYS"})
    void defaultEngineFallsBackWhenIoUringIsRefused(String reason, @TempDir Path dir) throws Exception {
        Path logging = dir.resolve("logging.properties");
        Files.writeString(logging, """
                handlers=java.util.logging.ConsoleHandler
                java.util.logging.ConsoleHandler.level=ALL
                dev.jaio.level=ALL
                """);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Ddev.jaio.internal.uring.failSetup=" + reason,
                "-Djava.util.logging.config.file=" + logging, "-cp", System.getProperty("java.class.path"),
                FallbackChild.class.getName()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        String errno = reason.equals("io_uring_disabled") ? "EPERM" : reason;
        assertTrue(out.contains("REFUSAL io_uring_setup refused: " + errno), out);
        assertTrue(out.contains("OPEN REFUSED io_uring_setup refused: " + errno), out);
        assertTrue(out.contains("DEFAULT threads"), out);
        assertTrue(out.contains("jaio: default engine threads (io_uring refused: io_uring_setup refused: " + errno), out);
        if (reason.equals("io_uring_disabled")) {
            assertTrue(out.contains("io_uring_disabled=2"), out);
        }
    }

    @Test
    void theRingIsTheDefaultWhereItWorks() throws IOException {
        assertEquals("io_uring", AioEngine.defaultEngine().name());
    }
}
