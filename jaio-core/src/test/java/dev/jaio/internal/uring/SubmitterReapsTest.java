package dev.jaio.internal.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.AioEngineOptions;
import dev.jaio.AioFile;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The thread that submits a list reaps its completions itself: {@code LIO_WAIT} lists of reads
 * from the page cache (which the kernel completes inside the submitting {@code io_uring_enter})
 * must not wake the engine's reaper thread once per list. The reaper is for completions nobody
 * waits for.
 */
class SubmitterReapsTest {
    private static final int LISTS = 400;
    private static final int PER_LIST = 8;
    private static final int BLOCK = 4096;

    @Test
    void cachedLioWaitListsDoNotWakeTheReaper() throws Exception {
        try (UringEngine engine = new UringEngine(AioEngineOptions.defaults(), false);
                AioFile file = AioFile.tempfile()) {
            Arena arena = Arena.ofAuto(); // zero copy: the kernel reads and writes these buffers
            MemorySegment data = arena.allocate((long) PER_LIST * BLOCK);
            data.fill((byte) 5);
            AioWrite fill = new AioWrite(engine, file.fd(), 0, data, 0, SigevNotify.none());
            dev.jaio.Aio.lioListio(LioMode.LIO_WAIT, List.of(fill), SigevNotify.none());
            assertEquals(data.byteSize(), fill.aioReturn()); // now in the page cache
            List<AioRead> reads = new ArrayList<>();
            for (int i = 0; i < PER_LIST; i++) {
                reads.add(new AioRead(engine, file.fd(), (long) i * BLOCK, arena.allocate(BLOCK), 0,
                        SigevNotify.none()));
            }
            Thread.sleep(50); // let the reaper settle after the fill
            long before = engine.reaperWakeUps();
            for (int list = 0; list < LISTS; list++) {
                dev.jaio.Aio.lioListio(LioMode.LIO_WAIT, reads, SigevNotify.none());
                for (AioRead r : reads) {
                    assertEquals(BLOCK, r.aioReturn());
                }
            }
            long wakeUps = engine.reaperWakeUps() - before;
            // Reads that miss the cache now and then may complete later and wake it: a few.
            assertTrue(wakeUps < LISTS / 10, LISTS + " LIO_WAIT lists of cached reads woke the reaper "
                    + wakeUps + " times; the submitter reaps them itself, with the eventfd off");
        }
    }
}
