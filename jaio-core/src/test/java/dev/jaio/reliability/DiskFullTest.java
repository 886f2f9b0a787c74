package dev.jaio.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A full disk: a 1 MiB tmpfs ({@link SmallTmpfs}) receives 1.5 MiB of writes (64 of 24 KiB, so one may fit in part), half of them in one
 * {@code lioListio(LIO_NOWAIT)} list and half submitted one by one while the list runs, through
 * the page cache and with {@code O_DIRECT}.
 *
 * <p>What every engine must keep: each write that does not fit fails on its own, with
 * {@code ENOSPC} in its own {@code error()} and {@code aioReturn()}; one that fits in part is a
 * short write (POSIX {@code write}: the bytes that fit), never a silent loss; every byte reported
 * written reads back intact (through jaio and through the JDK); a following {@code AioFsync}
 * reports success, which on tmpfs is the truth (nothing acknowledged was dropped); and once space
 * is freed, the very blocks that failed are submitted again and succeed.
 */
class DiskFullTest {
    static final long DISK = 1 << 20;
    static final int WRITE = 24 * 1024;
    static final int COUNT = 64;

    static Stream<Arguments> enginesAndModes() {
        return EngineUnderTest.names().stream().flatMap(e -> Stream.of(Arguments.of(e, false), Arguments.of(e, true)));
    }

    @ParameterizedTest(name = "{0}, O_DIRECT={1}")
    @MethodSource("enginesAndModes")
    void writesThatDoNotFitFailWithEnospcAndEverythingAcknowledgedIsIntact(String name, boolean direct)
            throws Exception {
        try (SmallTmpfs fs = SmallTmpfs.mount(DISK); AioEngine engine = EngineUnderTest.open(name);
                Arena arena = Arena.ofShared()) {
            Path path = fs.dir().resolve("full");
            List<OpenOption> options = new ArrayList<>(List.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE));
            if (direct) {
                options.add(AioOpenOption.DIRECT);
            }
            AioFile f;
            try {
                f = AioFile.open(path, options.toArray(OpenOption[]::new));
            } catch (FileSystemException refused) {
                Assumptions.abort("tmpfs refuses O_DIRECT on this kernel (added in Linux 6.6): " + refused.getMessage());
                return;
            }
            try (f) {
                List<AioWrite> writes = new ArrayList<>();
                List<AioWrite> inList = new ArrayList<>();
                for (int i = 0; i < COUNT; i++) {
                    long offset = (long) i * WRITE;
                    MemorySegment buf = arena.allocate(WRITE, 4096);
                    BlockPattern.fill(buf, offset, 1);
                    AioWrite w = new AioWrite(engine, f.fd(), offset, buf, 0, SigevNotify.none());
                    writes.add(w);
                    if (i % 2 == 0) {
                        inList.add(w);
                    }
                }
                try {
                    Aio.lioListio(LioMode.LIO_NOWAIT, inList, SigevNotify.none());
                } catch (AioException e) {
                    // A list may be refused in part for want of resources; the rest is queued.
                    assertEquals(Errno.EAGAIN, e.errno(), e::toString);
                    for (Aio a : e.notQueued()) {
                        a.submit();
                    }
                }
                for (int i = 1; i < COUNT; i += 2) {
                    writes.get(i).submit();
                }
                Waits.untilComplete(writes);

                long[] written = new long[COUNT];
                int full = 0, partial = 0, enospc = 0;
                long bytes = 0;
                for (int i = 0; i < COUNT; i++) {
                    AioWrite w = writes.get(i);
                    Errno e = w.error();
                    if (e == Errno.SUCCESS) {
                        long n = w.aioReturn();
                        assertTrue(n > 0 && n <= WRITE, "write " + i + " returned " + n);
                        written[i] = n;
                        bytes += n;
                        if (n == WRITE) {
                            full++;
                        } else {
                            partial++;
                        }
                    } else if (e == Errno.ENOSPC) {
                        AioException thrown = assertThrows(AioException.class, w::aioReturn);
                        assertEquals(Errno.ENOSPC, thrown.errno());
                        assertFalse(w.inProgress());
                        enospc++;
                    } else {
                        fail("write " + i + " on a full disk ended with " + e + ", not success or ENOSPC");
                    }
                }
                assertTrue(enospc > 0, "1.5 MiB into a 1 MiB tmpfs: some writes must fail with ENOSPC");
                assertTrue(bytes <= DISK, bytes + " bytes acknowledged on a " + DISK + "-byte disk");

                // Everything acknowledged is there: through jaio ...
                List<AioRead> reads = new ArrayList<>();
                for (int i = 0; i < COUNT; i++) {
                    if (written[i] > 0) {
                        long size = direct ? (written[i] + 4095) / 4096 * 4096 : written[i];
                        reads.add(new AioRead(engine, f.fd(), (long) i * WRITE, arena.allocate(size, 4096), 0,
                                SigevNotify.none()));
                    }
                }
                Aio.lioListio(LioMode.LIO_WAIT, reads, SigevNotify.none());
                int r = 0;
                for (int i = 0; i < COUNT; i++) {
                    if (written[i] > 0) {
                        AioRead read = reads.get(r++);
                        assertTrue(read.aioReturn() >= written[i]);
                        assertTrue(prefixMatches(read.buffer(), (long) i * WRITE, written[i]),
                                "write " + i + " reads back wrong through jaio");
                        read.close();
                    }
                }
                // ... and through the JDK.
                try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                    for (int i = 0; i < COUNT; i++) {
                        if (written[i] > 0) {
                            ByteBuffer bb = ByteBuffer.allocate((int) written[i]);
                            while (bb.hasRemaining() && ch.read(bb, (long) i * WRITE + bb.position()) > 0) {
                                // read it all
                            }
                            assertTrue(prefixMatches(MemorySegment.ofArray(bb.array()), (long) i * WRITE, written[i]),
                                    "write " + i + " reads back wrong through FileChannel");
                        }
                    }
                }
                // fsync tells the truth: on tmpfs everything acknowledged is kept, so success.
                for (AioFsyncMode mode : AioFsyncMode.values()) {
                    try (AioFsync sync = new AioFsync(engine, f.fd(), mode, 0, SigevNotify.none())) {
                        sync.submit();
                        Waits.untilComplete(List.of(sync));
                        assertEquals(0, sync.aioReturn(), mode + " after ENOSPC");
                    }
                }
                // Free the space; the blocks that failed work again, as they are.
                try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
                    ch.truncate(0);
                }
                List<AioWrite> again = new ArrayList<>();
                for (int i = 0; i < COUNT && again.size() < 8; i++) {
                    if (written[i] == 0) {
                        again.add(writes.get(i));
                    }
                }
                Aio.lioListio(LioMode.LIO_WAIT, again, SigevNotify.none());
                for (AioWrite w : again) {
                    assertEquals(WRITE, w.aioReturn(), "a block that failed with ENOSPC, submitted again with room");
                }
                for (AioWrite w : writes) {
                    w.close();
                }
                System.out.printf("disk full [%s%s]: %d writes of %d KiB into %d KiB: %d whole, %d short, %d ENOSPC;"
                                + " %d bytes acknowledged and intact; fsync 0; %d failed blocks succeeded once room was made%n",
                        name, direct ? ", O_DIRECT" : "", COUNT, WRITE / 1024, DISK / 1024, full, partial, enospc,
                        bytes, again.size());
            }
        }
    }

    /** Whether the first {@code n} bytes of {@code got} are those of the block written at {@code offset}. */
    private static boolean prefixMatches(MemorySegment got, long offset, long n) {
        return BlockPattern.matches(got.asSlice(0, n), offset, 1);
    }
}
