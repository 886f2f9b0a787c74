package dev.jaio.internal.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jaio.Aio;
import dev.jaio.AioEngineOptions;
import dev.jaio.AioFile;
import dev.jaio.AioRead;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Completions that did not fit the CQ ring are held back by the kernel (its overflow list,
 * {@code IORING_SQ_CQ_OVERFLOW}) and must still reach their callbacks when nobody calls the engine
 * any more. The kernel signals a ring's eventfd only when the CQ ring's tail moves: a completion
 * that joins the overflow list moves nothing and wakes nobody, so a reap that left completions
 * held back (one {@code GETEVENTS} moves at most a ring's worth of them) would strand them for
 * good. Rings of 4 SQEs (a CQ ring of 32) make a list of a few hundred reads overflow it many
 * times over.
 */
class HeldBackCompletionsTest {
    private static final int BLOCK = 512;
    private static final int READS = 300;

    @TempDir
    Path dir;

    /** Cached reads complete inside the list's submission: all but 32 of them are held back at once. */
    @Test
    void aListThatOverflowsTheRingManyTimesOverCallsEveryCallback() throws Exception {
        Path path = dir.resolve("data");
        Files.write(path, new byte[READS * BLOCK]);
        try (UringEngine engine = new UringEngine(AioEngineOptions.defaults().withQueueDepth(4), false);
                AioFile file = AioFile.open(path, StandardOpenOption.READ);
                Arena arena = Arena.ofShared()) {
            CountDownLatch called = new CountDownLatch(READS);
            List<AioRead> list = new ArrayList<>();
            for (int i = 0; i < READS; i++) {
                list.add(new AioRead(engine, file.fd(), (long) i * BLOCK, arena.allocate(BLOCK), 0,
                        SigevNotify.thread(0, v -> called.countDown())));
            }
            Aio.lioListio(LioMode.LIO_NOWAIT, list, SigevNotify.none());
            // Nobody calls the engine from here on: the reaper alone must deliver the rest.
            if (!called.await(20, TimeUnit.SECONDS)) {
                fail(called.getCount() + " of " + READS + " callbacks never came: completions held back"
                        + " by the kernel (CQ overflow) were never moved into the ring");
            }
            for (AioRead r : list) {
                assertEquals(BLOCK, r.aioReturn());
            }
        }
    }
}
