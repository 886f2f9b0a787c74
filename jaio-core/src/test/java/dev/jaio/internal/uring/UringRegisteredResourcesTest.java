package dev.jaio.internal.uring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jaio.Aio;
import dev.jaio.AioCancelStat;
import dev.jaio.AioEngine;
import dev.jaio.AioEngineOptions;
import dev.jaio.AioException;
import dev.jaio.AioFile;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.contract.Pipe;
import dev.jaio.internal.ffi.IoUringAbi;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * io_uring with registered files and registered buffers ({@link AioEngineOptions#withRegisteredFiles},
 * {@link AioEngineOptions#withFixedBuffers}): each operation is checked twice, by its data and by
 * the SQE the engine handed the kernel (opcode, {@code IOSQE_FIXED_FILE}, the slot, the buffer
 * index), so that a silent fallback to plain requests fails here too.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UringRegisteredResourcesTest {
    private static final int SIZE = 4096;

    @TempDir
    Path dir;

    @BeforeEach
    void requireIoUring() {
        assumeTrue(IoUring.setup(2, 0) instanceof SetupResult.Ready ready && closes(ready.ring()),
                "io_uring does not work here");
    }

    @AfterEach
    void clearForcedFailures() {
        System.clearProperty(IoUring.FAIL_REGISTER_PROPERTY);
    }

    private static boolean closes(IoUring ring) {
        ring.close();
        return true;
    }

    private static UringEngine open(AioEngineOptions options) {
        return (UringEngine) AioEngine.open("io_uring", options);
    }

    private Path fileOf(String name, byte fill) throws Exception {
        byte[] data = new byte[2 * SIZE];
        Arrays.fill(data, fill);
        return Files.write(dir.resolve(name), data);
    }

    /** The SQE this thread's ring was given last. */
    private record Sqe(int opcode, int flags, int fd, int bufIndex) {
        static Sqe last(UringEngine engine) {
            EngineRing ring = engine.ringOfThisThread();
            synchronized (ring.submitLock) {
                int slot = ring.sq.lastPublishedSlot();
                return new Sqe(ring.sq.opcode(slot), ring.sq.flags(slot), ring.sq.fd(slot), ring.sq.bufIndex(slot));
            }
        }

        boolean fixedFile() {
            return (flags & IoUringAbi.IOSQE_FIXED_FILE) != 0;
        }
    }

    private static long readWait(AioRead r) throws Exception {
        r.submit();
        assertTrue(Aio.aioSuspend(List.of(r), Duration.ofSeconds(30)));
        return r.aioReturn();
    }

    @Test
    void writeAndReadThroughFixedBuffersAndFixedFiles() throws Exception {
        try (UringEngine engine = open(AioEngineOptions.defaults().withRegisteredFiles(8).withFixedBuffers(4, SIZE));
                AioFile f = AioFile.open(dir.resolve("data"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE)) {
            List<MemorySegment> bufs = engine.fixedBuffers();
            assertEquals(4, bufs.size());
            for (MemorySegment b : bufs) {
                assertEquals(SIZE, b.byteSize());
                assertEquals(0, b.address() % 4096, "each buffer starts on a page");
            }
            MemorySegment out = bufs.get(1);
            for (int i = 0; i < SIZE; i++) {
                out.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + 3));
            }
            try (AioWrite w = new AioWrite(engine, f.fd(), SIZE, out, 0, SigevNotify.none())) {
                w.submit();
                Sqe sqe = Sqe.last(engine);
                assertEquals(IoUringAbi.IORING_OP_WRITE_FIXED, sqe.opcode(), "opcode");
                assertEquals(1, sqe.bufIndex(), "buf_index");
                assertTrue(sqe.fixedFile(), "IOSQE_FIXED_FILE");
                assertNotEquals(f.fd(), sqe.fd(), "the SQE names the slot, not the descriptor (slot 0 here)");
                assertTrue(Aio.aioSuspend(List.of(w), Duration.ofSeconds(30)));
                assertEquals(SIZE, w.aioReturn());
            }
            // A slice inside buffer 3: READ_FIXED of buffer 3, at the slice's address.
            MemorySegment in = bufs.get(3).asSlice(512, 1024);
            try (AioRead r = new AioRead(engine, f.fd(), SIZE + 512, in, 0, SigevNotify.none())) {
                r.submit();
                Sqe sqe = Sqe.last(engine);
                assertEquals(IoUringAbi.IORING_OP_READ_FIXED, sqe.opcode(), "opcode");
                assertEquals(3, sqe.bufIndex(), "buf_index");
                assertTrue(sqe.fixedFile(), "IOSQE_FIXED_FILE");
                assertTrue(Aio.aioSuspend(List.of(r), Duration.ofSeconds(30)));
                assertEquals(1024, r.aioReturn());
            }
            assertArrayEquals(out.asSlice(512, 1024).toArray(ValueLayout.JAVA_BYTE), in.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void buffersOutsideTheRegisteredOnesGoPlain() throws Exception {
        Path p = fileOf("plain", (byte) 'p');
        try (UringEngine engine = open(AioEngineOptions.defaults().withFixedBuffers(2, SIZE));
                AioFile f = AioFile.open(p, StandardOpenOption.READ)) {
            MemorySegment own = Arena.ofAuto().allocate(SIZE, 4096);
            try (AioRead r = new AioRead(engine, f.fd(), 0, own, 0, SigevNotify.none())) {
                assertEquals(SIZE, readWait(r));
                Sqe sqe = Sqe.last(engine);
                assertEquals(IoUringAbi.IORING_OP_READ, sqe.opcode(), "a buffer of the caller's own");
                assertEquals(0, sqe.flags(), "no file table was asked for");
                assertEquals(f.fd(), sqe.fd());
            }
            // Buffers 0 and 1 are a page apart; a segment across both is in neither: plain.
            MemorySegment b0 = engine.fixedBuffers().get(0);
            MemorySegment across = MemorySegment.ofAddress(b0.address() + SIZE - 8).reinterpret(16);
            try (AioRead r = new AioRead(engine, f.fd(), 0, across, 0, SigevNotify.none())) {
                assertEquals(16, readWait(r));
                assertEquals(IoUringAbi.IORING_OP_READ, Sqe.last(engine).opcode(), "a buffer across two");
            }
            assertEquals('p', own.get(ValueLayout.JAVA_BYTE, SIZE - 1));
        }
    }

    @Test
    void aListOfFixedReadsIsReadWordForWord() throws Exception {
        byte[] data = new byte[8 * SIZE];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i / 3 + i % 251);
        }
        Path p = Files.write(dir.resolve("list"), data);
        try (UringEngine engine = open(AioEngineOptions.defaults().withRegisteredFiles(4).withFixedBuffers(8, SIZE));
                AioFile f = AioFile.open(p, StandardOpenOption.READ)) {
            List<AioRead> reads = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                // In reverse, so that buffer i holds block 7 - i.
                reads.add(new AioRead(engine, f.fd(), (7 - i) * (long) SIZE, engine.fixedBuffers().get(i), 0,
                        SigevNotify.none()));
            }
            Aio.lioListio(LioMode.LIO_WAIT, reads, SigevNotify.none());
            Sqe last = Sqe.last(engine);
            assertEquals(IoUringAbi.IORING_OP_READ_FIXED, last.opcode());
            assertEquals(7, last.bufIndex());
            assertTrue(last.fixedFile());
            for (int i = 0; i < 8; i++) {
                assertEquals(SIZE, reads.get(i).aioReturn());
                assertArrayEquals(Arrays.copyOfRange(data, (7 - i) * SIZE, (8 - i) * SIZE),
                        engine.fixedBuffers().get(i).toArray(ValueLayout.JAVA_BYTE), "buffer " + i);
                reads.get(i).close();
            }
        }
    }

    /**
     * The hazard of a file table: a slot holds the file, not the number. File A is read through
     * a slot, closed, and B opened under the same number: a read of that number must see B.
     */
    @Test
    void aDescriptorNumberReusedByAnotherFileReadsTheNewFile() throws Exception {
        Path a = fileOf("a", (byte) 'A');
        Path b = fileOf("b", (byte) 'B');
        try (UringEngine engine = open(AioEngineOptions.defaults().withRegisteredFiles(8))) {
            MemorySegment buf = Arena.ofAuto().allocate(SIZE);
            AioFile fa = AioFile.open(a, StandardOpenOption.READ);
            int number = fa.fd();
            try (AioRead r = new AioRead(engine, number, 0, buf, 0, SigevNotify.none())) {
                assertEquals(SIZE, readWait(r));
                assertTrue(Sqe.last(engine).fixedFile(), "A was read through a slot");
                assertEquals('A', buf.get(ValueLayout.JAVA_BYTE, 0));
                fa.close();
                try (AioFile fb = AioFile.open(b, StandardOpenOption.READ)) {
                    assumeTrue(fb.fd() == number, "the kernel gave B another number");
                    assertEquals(SIZE, readWait(r));
                    assertEquals('B', buf.get(ValueLayout.JAVA_BYTE, 0), "a stale slot served the closed file");
                    assertTrue(Sqe.last(engine).fixedFile(), "B has a slot of its own");
                }
            }
        }
    }

    @Test
    void rawDescriptorsAndAFullTableGoAsPlainDescriptors() throws Exception {
        Path a = fileOf("a", (byte) 'a');
        Path b = fileOf("b", (byte) 'b');
        try (UringEngine engine = open(AioEngineOptions.defaults().withRegisteredFiles(1));
                AioFile fa = AioFile.open(a, StandardOpenOption.READ);
                AioFile fb = AioFile.open(b, StandardOpenOption.READ);
                Pipe pipe = Pipe.open()) {
            MemorySegment buf = Arena.ofAuto().allocate(SIZE);
            try (AioRead r = new AioRead(engine, fa.fd(), 0, buf, 0, SigevNotify.none())) {
                assertEquals(SIZE, readWait(r));
                assertTrue(Sqe.last(engine).fixedFile(), "the one slot");
            }
            try (AioRead r = new AioRead(engine, fb.fd(), 0, buf, 0, SigevNotify.none())) {
                assertEquals(SIZE, readWait(r));
                assertEquals('b', buf.get(ValueLayout.JAVA_BYTE, 0));
                Sqe sqe = Sqe.last(engine);
                assertEquals(0, sqe.flags(), "the table is full: the descriptor itself");
                assertEquals(fb.fd(), sqe.fd());
            }
            pipe.write(new byte[] {1, 2, 3});
            try (AioRead r = new AioRead(engine, pipe.readFd(), 0, buf.asSlice(0, 3), 0, SigevNotify.none())) {
                assertEquals(3, readWait(r));
                assertEquals(0, Sqe.last(engine).flags(), "a raw descriptor jaio did not open gets no slot");
            }
        }
    }

    @Test
    void aFixedReadInFlightIsCanceledAndTheEngineClosesOverIt() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            UringEngine engine = open(AioEngineOptions.defaults().withRegisteredFiles(4).withFixedBuffers(2, SIZE));
            MemorySegment buf = engine.fixedBuffers().get(1);
            AioRead waiting = new AioRead(engine, pipe.readFd(), 0, buf.asSlice(0, 16), 0, SigevNotify.none());
            waiting.submit();
            assertEquals(IoUringAbi.IORING_OP_READ_FIXED, Sqe.last(engine).opcode());
            assertEquals(Errno.EINPROGRESS, waiting.error());
            assertEquals(AioCancelStat.AIO_CANCELED, waiting.cancel());
            assertTrue(Aio.aioSuspend(List.of(waiting), Duration.ofSeconds(30)));
            assertEquals(Errno.ECANCELED, waiting.error());
            assertEquals(Errno.ECANCELED, assertThrows(AioException.class, waiting::aioReturn).errno());
            // Another one left in flight: close() cancels it, waits for it, then unregisters.
            waiting.submit();
            engine.close();
            assertTrue(engine.fixedBuffers().get(1).byteSize() == SIZE, "the buffers outlive the engine");
            buf.set(ValueLayout.JAVA_BYTE, 0, (byte) 1); // still our memory: no fault
        }
    }

    /**
     * A steady loop of LIO_WAIT lists of READ_FIXED on a registered file allocates nothing once
     * compiled: the slot and buffer lookups are array reads and address arithmetic.
     */
    @Test
    void fixedListsAllocateNothingOnceCompiled() throws Throwable {
        Path p = fileOf("alloc", (byte) 'z');
        HotPathAllocationTest.AllocationCounter counter = HotPathAllocationTest.AllocationCounter.forCurrentThread();
        try (UringEngine engine = open(AioEngineOptions.defaults().withRegisteredFiles(4).withFixedBuffers(32, SIZE));
                AioFile f = AioFile.open(p, StandardOpenOption.READ)) {
            List<AioRead> reads = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                reads.add(new AioRead(engine, f.fd(), (i % 2) * (long) SIZE, engine.fixedBuffers().get(i), 0,
                        SigevNotify.none()));
            }
            long[] perRound = new long[60];
            for (int round = 0; round < perRound.length; round++) {
                long before = counter.read();
                for (int list = 0; list < 500; list++) {
                    Aio.lioListio(LioMode.LIO_WAIT, reads, SigevNotify.none());
                    for (int i = 0; i < 32; i++) { // indexed: an iterator would be this loop's allocation
                        if (reads.get(i).aioReturn() != SIZE) {
                            throw new AssertionError("short read");
                        }
                    }
                }
                perRound[round] = counter.read() - before - counter.overhead;
                if (perRound[round] == 0) {
                    assertEquals(IoUringAbi.IORING_OP_READ_FIXED, Sqe.last(engine).opcode());
                    assertTrue(Sqe.last(engine).fixedFile());
                    return;
                }
            }
            throw new AssertionError("every round of 500 lists of 32 fixed reads allocated; bytes per round: "
                    + Arrays.toString(perRound));
        }
    }

    @Test
    void refusedBuffersNameTheMemlockLimitAndTheOption() {
        // Register calls at open: the probe, the eventfd, then the buffers.
        System.setProperty(IoUring.FAIL_REGISTER_PROPERTY, "ENOMEM,after=2");
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> open(AioEngineOptions.defaults().withFixedBuffers(4, SIZE)));
        assertTrue(e.getMessage().contains("IORING_REGISTER_BUFFERS"), e.getMessage());
        assertTrue(e.getMessage().contains("RLIMIT_MEMLOCK"), e.getMessage());
        assertTrue(e.getMessage().contains("ulimit -l"), e.getMessage());
        assertTrue(e.getMessage().contains("withFixedBuffers"), e.getMessage());
    }

    @Test
    void aRefusedFileTableNamesTheLimitAndTheOption() {
        System.setProperty(IoUring.FAIL_REGISTER_PROPERTY, "EMFILE,after=2");
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> open(AioEngineOptions.defaults().withRegisteredFiles(64)));
        assertTrue(e.getMessage().contains("IORING_REGISTER_FILES"), e.getMessage());
        assertTrue(e.getMessage().contains("RLIMIT_NOFILE"), e.getMessage());
        assertTrue(e.getMessage().contains("withRegisteredFiles"), e.getMessage());
    }

    @Test
    void optionsOutOfTheKernelsRangeAreRefusedAtOnce() {
        assertThrows(IllegalArgumentException.class, () -> AioEngineOptions.defaults().withFixedBuffers(-1, SIZE));
        assertThrows(IllegalArgumentException.class, () -> AioEngineOptions.defaults().withFixedBuffers(16385, SIZE));
        assertThrows(IllegalArgumentException.class, () -> AioEngineOptions.defaults().withFixedBuffers(1, 0));
        assertThrows(IllegalArgumentException.class, () -> AioEngineOptions.defaults().withRegisteredFiles(-1));
        assertEquals(0, AioEngineOptions.defaults().withFixedBuffers(0, 99).fixedBufferSize());
    }

    /**
     * An emptied slot is given to another descriptor only while the ring holds no unconsumed SQE:
     * an SQE prepared for the old descriptor and not yet consumed must not reach the new file.
     */
    @Test
    void anEmptiedSlotWaitsUntilNoSqeIsUnconsumed() throws Exception {
        Path a = fileOf("a", (byte) 'a');
        Path b = fileOf("b", (byte) 'b');
        Path c = fileOf("c", (byte) 'c');
        switch (IoUring.setup(4, 0)) {
            case SetupResult.Ready(IoUring ring) -> {
                try (ring; AioFile fa = AioFile.open(a, StandardOpenOption.READ);
                        AioFile fb = AioFile.open(b, StandardOpenOption.READ);
                        AioFile fc = AioFile.open(c, StandardOpenOption.READ)) {
                    SubmissionQueue sq = ring.submissionQueue();
                    RegisteredFiles files = RegisteredFiles.register(ring, 2, new int[1]);
                    assertEquals(0, files.slotFor(fa.fd(), sq));
                    // An SQE naming slot 0 is prepared, not yet submitted; then A's slot is emptied.
                    sq.prepare(sq.reserve(), new UringRequest().read(fa.fd(), Arena.ofAuto().allocate(8), 0), 1, 0);
                    files.forget(fa.fd());
                    assertEquals(1, files.slotFor(fb.fd(), sq), "slot 0 may still be named by the unsubmitted SQE");
                    assertEquals(-1, files.slotFor(fc.fd(), sq), "no other slot: C goes as a plain descriptor");
                    assertEquals(1, ring.submitAndWait(1));
                    assertEquals(1, ring.completionQueue().reap((userData, res, flags) -> assertEquals(
                            -Errno.EBADF.code(), res, "the stale SQE found slot 0 empty"), 1));
                    assertEquals(0, files.slotFor(fc.fd(), sq), "nothing unconsumed: slot 0 is given again");
                }
            }
            case SetupResult.Refused refused -> assumeTrue(false, refused.failure().message());
        }
    }

    @Test
    void theKernelTableReallyHoldsTheFile() throws Exception {
        // Without the engine: a slot given by RegisteredFiles serves reads named by the slot.
        Path a = fileOf("t", (byte) 'T');
        switch (IoUring.setup(4, 0)) {
            case SetupResult.Ready(IoUring ring) -> {
                try (ring; AioFile f = AioFile.open(a, StandardOpenOption.READ)) {
                    RegisteredFiles files = RegisteredFiles.register(ring, 2, new int[1]);
                    int slot = files.slotFor(f.fd(), ring.submissionQueue());
                    assertEquals(0, slot);
                    assertEquals(1, files.inUse());
                    MemorySegment buf = Arena.ofAuto().allocate(8);
                    UringRequest read = new UringRequest().read(f.fd(), buf, 0);
                    SubmissionQueue sq = ring.submissionQueue();
                    sq.prepare(sq.reserve(), read, 77, slot);
                    assertEquals(1, ring.submitAndWait(1));
                    int[] res = new int[1];
                    ring.completionQueue().reap((userData, r, flags) -> res[0] = r, 1);
                    assertEquals(8, res[0]);
                    assertEquals('T', buf.get(ValueLayout.JAVA_BYTE, 0));
                    files.forget(f.fd());
                    assertEquals(0, files.inUse());
                    sq.prepare(sq.reserve(), read, 78, slot);
                    assertEquals(1, ring.submitAndWait(1));
                    ring.completionQueue().reap((userData, r, flags) -> res[0] = r, 1);
                    assertEquals(-Errno.EBADF.code(), res[0], "an emptied slot serves nothing");
                }
            }
            case SetupResult.Refused refused -> assumeTrue(false, refused.failure().message());
        }
    }
}
