package dev.jaio.internal.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.Aio;
import dev.jaio.AioCancelStat;
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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * One engine, several submitting threads: each thread is given a ring of its own (while there
 * are rings to give), so threads do not serialise on one ring's locks; and what one thread
 * submitted on its ring is waited for, reaped and canceled from another thread, whose ring is a
 * different one.
 */
class RingsPerThreadTest {

    @Test
    void twoSubmittingThreadsGetTwoRings() throws Exception {
        try (UringEngine engine = new UringEngine(AioEngineOptions.defaults(), false)) {
            assertTrue(engine.ringCount() >= 2, "at least two rings: " + engine.ringCount());
            EngineRing mine = engine.ringOfThisThread();
            assertSame(mine, engine.ringOfThisThread(), "a thread keeps its ring");
            AtomicReference<EngineRing> other = new AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> other.set(engine.ringOfThisThread()));
            t.join();
            assertNotSame(mine, other.get(), "two threads, one ring: they would serialise on its locks");
            assertTrue(mine.ring.fd() != other.get().ring.fd(), "two io_uring instances");
            assertEquals(2, engine.ringsInUse());
        }
    }

    @Test
    void anotherThreadWaitsForAndReadsWhatOneSubmitted() throws Exception {
        try (UringEngine engine = new UringEngine(AioEngineOptions.defaults(), false);
                AioFile file = AioFile.tempfile()) {
            Arena arena = Arena.ofAuto();
            MemorySegment data = arena.allocate(4096);
            data.fill((byte) 9);
            AioWrite w = new AioWrite(engine, file.fd(), 0, data, 0, SigevNotify.none());
            AioRead r = new AioRead(engine, file.fd(), 0, arena.allocate(4096), 0, SigevNotify.none());
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread submitter = Thread.ofPlatform().start(() -> {
                try {
                    Aio.lioListio(LioMode.LIO_WAIT, List.of(w), SigevNotify.none());
                    r.submit();
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            submitter.join();
            assertNull(failure.get());
            assertTrue(Aio.aioSuspend(List.of(r), Duration.ofSeconds(10)));
            assertEquals(4096, r.aioReturn());
            assertEquals(-1, r.buffer().mismatch(data));
        }
    }

    @Test
    void aCancelFromAnotherThreadGoesToTheRingTheOperationIsOn() throws Exception {
        try (UringEngine engine = new UringEngine(AioEngineOptions.defaults(), false); Pipe pipe = Pipe.open()) {
            Arena arena = Arena.ofAuto();
            // A read of an empty pipe stays in the kernel until canceled.
            AioRead stuck = new AioRead(engine, pipe.readFd(), 0, arena.allocate(16), 0, SigevNotify.none());
            AtomicReference<EngineRing> submitterRing = new AtomicReference<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread submitter = Thread.ofPlatform().start(() -> {
                submitterRing.set(engine.ringOfThisThread());
                try {
                    stuck.submit();
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            submitter.join();
            assertNull(failure.get());
            assertNotSame(submitterRing.get(), engine.ringOfThisThread());
            Thread.sleep(20);
            assertEquals(Errno.EINPROGRESS, stuck.error());
            assertEquals(AioCancelStat.AIO_CANCELED, stuck.cancel());
            assertTrue(Aio.aioSuspend(List.of(stuck), Duration.ofSeconds(10)));
            assertEquals(Errno.ECANCELED, stuck.error());
        }
    }
}
