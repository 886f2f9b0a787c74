package dev.jaio.internal.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.Aio;
import dev.jaio.AioEngineOptions;
import dev.jaio.AioFile;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.contract.Pipe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The reaper thread is woken only for completions that nobody else reaps (issue 10): reads from
 * the page cache, completed inside the submitter's {@code io_uring_enter} and reaped by it right
 * after, wake it never; an operation that stays in the kernel arms it, and its completion reaches
 * a callback although no thread calls into the engine.
 */
class ReaperArmingTest {
    private static final int BLOCK = 4096;
    private static final int BLOCKS = 32;

    @Test
    void cachedReadsReapedByTheirSubmitterWakeNoReaper() throws Exception {
        try (UringEngine engine = new UringEngine(AioEngineOptions.defaults(), false);
                AioFile file = AioFile.tempfile(); Arena arena = Arena.ofShared()) {
            fill(engine, file, arena);
            List<AioRead> reads = new ArrayList<>();
            for (int i = 0; i < BLOCKS; i++) {
                reads.add(new AioRead(engine, file.fd(), (long) i * BLOCK, arena.allocate(BLOCK), 0, SigevNotify.none()));
            }
            readOneByOneAndAsLists(reads); // warm: the pages are cached, the ring set up
            long before = engine.reaperWakeups();
            int rounds = 100;
            for (int round = 0; round < rounds; round++) {
                readOneByOneAndAsLists(reads);
            }
            long wakeups = engine.reaperWakeups() - before;
            int ops = rounds * 2 * BLOCKS;
            // Before issue 10 the kernel signalled the eventfd for every completion: about one
            // wake-up per submit() and one per list, 3,300 here. A stray one (a page the kernel
            // had to read again) may happen.
            assertTrue(wakeups <= ops / 100, "the reaper woke " + wakeups + " times for " + ops
                    + " cached reads that their submitter reaped itself");
            EngineRing ring = engine.ringOfThisThread();
            synchronized (ring.reapLock) {
                assertFalse(ring.reaperArming.armed(), "nothing in flight: the eventfd is off");
                assertFalse(ring.cq.signalsEventFd(), "IORING_CQ_EVENTFD_DISABLED is set in the CQ ring");
            }
        }
    }

    /**
     * While a read of a pipe stays in the kernel, the ring's eventfd is armed; a {@code LIO_WAIT}
     * list is then waited for in the kernel by its submitter, who reaps it: its completions wake
     * no reaper either (writes to the page cache go to io-wq workers on most file systems, and
     * each would signal the eventfd as it completes).
     */
    @Test
    void aListItsSubmitterWaitsForWakesNoReaperWhileSomethingElseIsInFlight() throws Exception {
        try (UringEngine engine = new UringEngine(AioEngineOptions.defaults(), false);
                AioFile file = AioFile.tempfile(); Pipe pipe = Pipe.open(); Arena arena = Arena.ofShared()) {
            fill(engine, file, arena);
            AioRead stuck = new AioRead(engine, pipe.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
            stuck.submit();
            List<AioWrite> writes = new ArrayList<>();
            for (int i = 0; i < BLOCKS; i++) {
                MemorySegment data = arena.allocate(BLOCK);
                data.fill((byte) i);
                writes.add(new AioWrite(engine, file.fd(), (long) i * BLOCK, data, 0, SigevNotify.none()));
            }
            Aio.lioListio(LioMode.LIO_WAIT, writes, SigevNotify.none()); // warm
            for (AioWrite w : writes) {
                assertEquals(BLOCK, w.aioReturn());
            }
            long before = engine.reaperWakeups();
            int lists = 200;
            for (int l = 0; l < lists; l++) {
                Aio.lioListio(LioMode.LIO_WAIT, writes, SigevNotify.none());
                for (AioWrite w : writes) {
                    assertEquals(BLOCK, w.aioReturn());
                }
            }
            long wakeups = engine.reaperWakeups() - before;
            assertTrue(wakeups <= lists / 10, "the reaper woke " + wakeups + " times during " + lists
                    + " LIO_WAIT lists that their submitter waited for and reaped");
            EngineRing ring = engine.ringOfThisThread();
            synchronized (ring.reapLock) {
                assertTrue(ring.reaperArming.armed(), "the pipe read is still in flight: the eventfd is on again");
            }
            pipe.write(new byte[] {1});
            assertTrue(Aio.aioSuspend(List.of(stuck), java.time.Duration.ofSeconds(10)));
            assertEquals(1, stuck.aioReturn());
        }
    }

    /** {@code submit()} of each block (each completes inside it), then the same blocks as a {@code LIO_WAIT} list. */
    private static void readOneByOneAndAsLists(List<AioRead> reads) throws Exception {
        for (AioRead r : reads) {
            r.submit();
        }
        for (int i = 0; i < reads.size(); i++) {
            assertEquals(BLOCK, reads.get(i).aioReturn(), "read " + i);
        }
        Aio.lioListio(LioMode.LIO_WAIT, reads, SigevNotify.none());
        for (int i = 0; i < reads.size(); i++) {
            assertEquals(BLOCK, reads.get(i).aioReturn(), "listed read " + i);
        }
    }

    private static void fill(UringEngine engine, AioFile file, Arena arena) throws Exception {
        MemorySegment data = arena.allocate((long) BLOCK * BLOCKS);
        for (long i = 0; i < data.byteSize() / 8; i++) {
            data.setAtIndex(ValueLayout.JAVA_LONG, i, i);
        }
        AioWrite w = new AioWrite(engine, file.fd(), 0, data, 0, SigevNotify.none());
        Aio.lioListio(LioMode.LIO_WAIT, List.of(w), SigevNotify.none());
        assertEquals(data.byteSize(), w.aioReturn());
    }

    /**
     * A read of an empty pipe stays in the kernel: its submitter's reap leaves the eventfd armed.
     * Its completion then reaches its callback through the reaper alone: no thread waits, reaps
     * or submits. Once it is reaped, nothing is in flight and the eventfd is off again.
     */
    @Test
    void anOperationLeftInTheKernelArmsTheReaper() throws Exception {
        try (UringEngine engine = new UringEngine(AioEngineOptions.defaults(), false); Pipe pipe = Pipe.open();
                Arena arena = Arena.ofShared()) {
            CountDownLatch called = new CountDownLatch(1);
            AioRead read = new AioRead(engine, pipe.readFd(), 0, arena.allocate(3), 0,
                    SigevNotify.thread(7, v -> called.countDown()));
            read.submit();
            EngineRing ring = engine.ringOfThisThread();
            synchronized (ring.reapLock) {
                assertTrue(ring.reaperArming.armed(), "a read in the kernel that nobody reaps arms the reaper");
                assertTrue(ring.cq.signalsEventFd(), "IORING_CQ_EVENTFD_DISABLED is clear in the CQ ring");
            }
            long before = engine.reaperWakeups();
            pipe.write(new byte[] {1, 2, 3});
            assertTrue(called.await(10, TimeUnit.SECONDS), "the completion reached no callback: nobody reaped it");
            assertEquals(Errno.SUCCESS, read.error());
            assertEquals(3, read.aioReturn());
            assertTrue(engine.reaperWakeups() > before, "the reaper delivered it");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            boolean armed;
            do {
                synchronized (ring.reapLock) {
                    armed = ring.reaperArming.armed();
                }
            } while (armed && System.nanoTime() < deadline);
            assertFalse(armed, "the reaper's reap found nothing in flight and switched the eventfd off");
        }
    }
}
