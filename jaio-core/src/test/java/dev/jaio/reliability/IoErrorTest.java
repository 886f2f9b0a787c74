package dev.jaio.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.Aio;
import dev.jaio.AioEngine;
import dev.jaio.AioException;
import dev.jaio.AioFile;
import dev.jaio.AioFsync;
import dev.jaio.AioFsyncMode;
import dev.jaio.AioOpenOption;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * I/O errors from the device: a {@link FailingDisk} whose second half fails with {@code EIO}.
 *
 * <p>What every engine must keep: an operation on a failing sector fails on its own, with
 * {@code EIO} in its own {@code error()} and {@code aioReturn()}; the operations of the same list
 * on good sectors succeed with the right data; {@code LIO_WAIT} says that some failed
 * ({@code EIO}) and every block says which; and a write the page cache accepted but the device
 * refused is reported by the next {@code AioFsync}, not lost in silence.
 */
class IoErrorTest {
    static final int BLOCK = 4096;
    static final long SIZE = 1 << 20;
    static final long GOOD = SIZE / 2;
    static final int GOOD_BLOCKS = (int) (GOOD / BLOCK);

    /** One planned operation: what it is, where, and whether it must fail. */
    private record Planned(Aio block, boolean write, long offset, boolean mustFail, long generation) {
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jaio.reliability.EngineUnderTest#names")
    void failingSectorsFailTheirOwnOperationsAndNoOther(String name) throws Exception {
        long seed = Long.getLong("jaio.test.seed", System.nanoTime());
        Random rnd = new Random(seed);
        try (FailingDisk disk = FailingDisk.create(SIZE, GOOD); AioEngine engine = EngineUnderTest.open(name);
                Arena arena = Arena.ofShared();
                AioFile dev = AioFile.open(disk.device(), StandardOpenOption.READ, StandardOpenOption.WRITE,
                        AioOpenOption.DIRECT)) {
            // Generation 1 on the first 32 good blocks, through jaio.
            List<AioWrite> seedWrites = new ArrayList<>();
            for (int b = 0; b < 32; b++) {
                seedWrites.add(write(engine, arena, dev.fd(), (long) b * BLOCK, 1));
            }
            Aio.lioListio(LioMode.LIO_WAIT, seedWrites, SigevNotify.none());
            for (AioWrite w : seedWrites) {
                assertEquals(BLOCK, w.aioReturn());
                w.close();
            }
            int injected = 0, succeeded = 0;
            for (int round = 0; round < 2; round++) {
                boolean asList = round == 0;
                List<Planned> plan = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    long goodRead = (long) i * BLOCK;                       // blocks 0..7: generation 1
                    long goodWrite = (long) (8 + i + 8 * round) * BLOCK;   // blocks 8..23
                    long bad = GOOD + (long) rnd.nextInt((int) ((SIZE - GOOD) / BLOCK)) * BLOCK;
                    plan.add(new Planned(read(engine, arena, dev.fd(), goodRead), false, goodRead, false, 1));
                    plan.add(new Planned(read(engine, arena, dev.fd(), bad), false, bad, true, 0));
                    plan.add(new Planned(write(engine, arena, dev.fd(), goodWrite, 2 + round), true, goodWrite, false,
                            2 + round));
                    plan.add(new Planned(write(engine, arena, dev.fd(), bad, 9), true, bad, true, 9));
                }
                Collections.shuffle(plan, rnd);
                List<Aio> blocks = plan.stream().map(Planned::block).toList();
                if (asList) {
                    AioException e = assertThrows(AioException.class,
                            () -> Aio.lioListio(LioMode.LIO_WAIT, blocks, SigevNotify.none()),
                            "LIO_WAIT over failing sectors must say that some operations failed");
                    assertEquals(Errno.EIO, e.errno(), e::toString);
                    assertTrue(e.notQueued().isEmpty(), "every operation was queued: " + e.notQueued());
                } else {
                    for (Aio a : blocks) {
                        a.submit();
                    }
                    Waits.untilComplete(blocks);
                }
                for (Planned p : plan) {
                    Aio a = p.block();
                    if (p.mustFail()) {
                        injected++;
                        assertEquals(Errno.EIO, a.error(), () -> a + " on a failing sector");
                        AioException e = assertThrows(AioException.class, a::aioReturn);
                        assertEquals(Errno.EIO, e.errno());
                        assertFalse(a.inProgress());
                    } else {
                        succeeded++;
                        assertEquals(Errno.SUCCESS, a.error(), () -> a + " on a good sector, in a list with failing ones");
                        assertEquals(BLOCK, a.aioReturn());
                        if (!p.write()) {
                            MemorySegment got = ((AioRead) a).buffer();
                            assertTrue(BlockPattern.matches(got, p.offset(), p.generation()),
                                    () -> "good read at " + p.offset() + " holds " + BlockPattern.describe(got));
                        }
                    }
                    a.close();
                }
            }
            // What the good writes wrote is there.
            List<AioRead> check = new ArrayList<>();
            for (int b = 8; b < 24; b++) {
                check.add(read(engine, arena, dev.fd(), (long) b * BLOCK));
            }
            Aio.lioListio(LioMode.LIO_WAIT, check, SigevNotify.none());
            for (int i = 0; i < check.size(); i++) {
                AioRead r = check.get(i);
                long offset = (long) (8 + i) * BLOCK;
                long generation = i < 8 ? 2 : 3;
                assertEquals(BLOCK, r.aioReturn());
                assertTrue(BlockPattern.matches(r.buffer(), offset, generation),
                        () -> "block at " + offset + " holds " + BlockPattern.describe(r.buffer()));
                r.close();
            }
            System.out.printf("EIO [%s]: %d operations on failing sectors failed with EIO, each on its own; %d on good"
                    + " sectors of the same lists succeeded with the right data (seed %d)%n", name, injected, succeeded,
                    seed);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jaio.reliability.EngineUnderTest#names")
    void fsyncReportsWritesTheDeviceRefused(String name) throws Exception {
        try (FailingDisk disk = FailingDisk.create(SIZE, GOOD); AioEngine engine = EngineUnderTest.open(name);
                Arena arena = Arena.ofShared();
                AioFile dev = AioFile.open(disk.device(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // Through the page cache, writes to failing sectors are accepted...
            List<AioWrite> writes = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                writes.add(write(engine, arena, dev.fd(), GOOD + (long) i * BLOCK, 5));
            }
            Aio.lioListio(LioMode.LIO_WAIT, writes, SigevNotify.none());
            for (AioWrite w : writes) {
                assertEquals(BLOCK, w.aioReturn(), "a buffered write is accepted by the page cache");
                w.close();
            }
            // ... and the fsync that follows must not pretend they reached the device.
            try (AioFsync sync = new AioFsync(engine, dev.fd(), AioFsyncMode.O_SYNC, 0, SigevNotify.none())) {
                sync.submit();
                Waits.untilComplete(List.of(sync));
                assertEquals(Errno.EIO, sync.error(), "fsync after writes the device refused");
                assertEquals(Errno.EIO, assertThrows(AioException.class, sync::aioReturn).errno());
                // Once reported, the error is consumed (Linux errseq); good writes then sync cleanly.
                AioWrite good = write(engine, arena, dev.fd(), 0, 6);
                good.submit();
                Waits.untilComplete(List.of(good));
                assertEquals(BLOCK, good.aioReturn());
                good.close();
                sync.submit();
                Waits.untilComplete(List.of(sync));
                assertEquals(0, sync.aioReturn(), "fsync after good writes only");
            }
            System.out.printf("EIO [%s]: 8 buffered writes to failing sectors accepted, the next AioFsync reported"
                    + " EIO, the one after good writes 0%n", name);
        }
    }

    private static AioWrite write(AioEngine engine, Arena arena, int fd, long offset, long generation) {
        MemorySegment buf = arena.allocate(BLOCK, BLOCK);
        BlockPattern.fill(buf, offset, generation);
        return new AioWrite(engine, fd, offset, buf, 0, SigevNotify.none());
    }

    private static AioRead read(AioEngine engine, Arena arena, int fd, long offset) {
        return new AioRead(engine, fd, offset, arena.allocate(BLOCK, BLOCK), 0, SigevNotify.none());
    }
}
