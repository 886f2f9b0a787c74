package dev.jaio.internal.uring;

import static dev.jaio.internal.ffi.IoUringAbi.IORING_ENTER_GETEVENTS;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_FSYNC_DATASYNC;
import static dev.jaio.internal.ffi.IoUringAbi.IOSQE_IO_DRAIN;
import static dev.jaio.internal.ffi.IoUringAbi.IOSQE_IO_LINK;
import static dev.jaio.internal.uring.RingTestSupport.closeFile;
import static dev.jaio.internal.uring.RingTestSupport.openFile;
import static dev.jaio.internal.uring.RingTestSupport.pattern;
import static dev.jaio.internal.uring.RingTestSupport.ring;
import static dev.jaio.internal.uring.RingTestSupport.submitAndReap;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.Errno;
import dev.jaio.internal.uring.RingTestSupport.Cqe;
import dev.jaio.internal.uring.RingTestSupport.Recorder;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real I/O, back-pressure, wrap-around and CQ overflow through the ring layer. */
class RingIoTest {

    @TempDir
    Path dir;

    @Test
    void writeThenReadMovesTheRightBytesAndReportsTheCount() throws IOException {
        Path file = dir.resolve("rw");
        int fd = openFile(file);
        try (IoUring ring = ring(8); Arena arena = Arena.ofConfined()) {
            SubmissionQueue sq = ring.submissionQueue();
            MemorySegment data = pattern(arena, 4096, 7);
            sq.prepareWrite(sq.reserve(), fd, data, 512, 1);
            assertEquals(List.of(new Cqe(1, 4096, 0)), submitAndReap(ring, 1));

            byte[] onDisk = Files.readAllBytes(file);
            assertEquals(512 + 4096, onDisk.length);
            assertArrayEquals(data.toArray(ValueLayout.JAVA_BYTE), java.util.Arrays.copyOfRange(onDisk, 512,
                    onDisk.length));

            MemorySegment back = arena.allocate(4096);
            sq.prepareRead(sq.reserve(), fd, back, 512, 2);
            assertEquals(List.of(new Cqe(2, 4096, 0)), submitAndReap(ring, 1));
            assertEquals(-1, data.mismatch(back), "bytes read back differ");

            // Reading past the end is a short read, then 0, as pread.
            MemorySegment tail = arena.allocate(1024);
            sq.prepareRead(sq.reserve(), fd, tail, 4096, 3);
            sq.prepareRead(sq.reserve(), fd, tail, 1 << 20, 4);
            List<Cqe> cqes = submitAndReap(ring, 2);
            assertTrue(cqes.contains(new Cqe(3, 512, 0)), cqes.toString());
            assertTrue(cqes.contains(new Cqe(4, 0, 0)), cqes.toString());
        } finally {
            closeFile(fd);
        }
    }

    @Test
    void vectoredWriteAndReadAndFsync() {
        int fd = openFile(dir.resolve("vec"));
        try (IoUring ring = ring(8); Arena arena = Arena.ofConfined()) {
            SubmissionQueue sq = ring.submissionQueue();
            MemorySegment a = pattern(arena, 100, 1);
            MemorySegment b = pattern(arena, 300, 2);
            MemorySegment out = iovecs(arena, a, b);
            sq.prepareWritev(sq.reserve(), fd, out, 2, 0, 10);
            assertEquals(List.of(new Cqe(10, 400, 0)), submitAndReap(ring, 1));

            sq.prepareFsync(sq.reserve(), fd, 0, 11);
            sq.prepareFsync(sq.reserve(), fd, IORING_FSYNC_DATASYNC, 12);
            List<Cqe> synced = submitAndReap(ring, 2);
            assertTrue(synced.containsAll(List.of(new Cqe(11, 0, 0), new Cqe(12, 0, 0))), synced.toString());

            MemorySegment x = arena.allocate(300);
            MemorySegment y = arena.allocate(100);
            sq.prepareReadv(sq.reserve(), fd, iovecs(arena, x, y), 2, 0, 13);
            assertEquals(List.of(new Cqe(13, 400, 0)), submitAndReap(ring, 1));
            assertEquals(-1, a.mismatch(x.asSlice(0, 100)));
            assertEquals(-1, b.asSlice(0, 200).mismatch(x.asSlice(100, 200)));
            assertEquals(-1, b.asSlice(200, 100).mismatch(y));
        } finally {
            closeFile(fd);
        }
    }

    @Test
    void failuresArriveAsNegativeErrnoInTheCqe() {
        try (IoUring ring = ring(4); Arena arena = Arena.ofConfined()) {
            SubmissionQueue sq = ring.submissionQueue();
            sq.prepareRead(sq.reserve(), 1_000_000, arena.allocate(8), 0, 5); // no such descriptor
            sq.prepareCancel(sq.reserve(), 0xDEAD, 0, 6);                     // nothing to cancel
            List<Cqe> cqes = submitAndReap(ring, 2);
            assertTrue(cqes.contains(new Cqe(5, -Errno.EBADF.code(), 0)), cqes.toString());
            assertTrue(cqes.contains(new Cqe(6, -Errno.ENOENT.code(), 0)), cqes.toString());
        }
    }

    @Test
    void cancelFindsARequestStillWaiting() throws IOException {
        // A read from an empty pipe waits until canceled: something that is truly in flight.
        Path fifo = dir.resolve("fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        try {
            assertEquals(0, mkfifo.waitFor());
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            // O_RDWR on a FIFO opens without waiting for a writer (Linux).
            fd = dev.jaio.internal.ffi.Libc.open(arena.allocateFrom(fifo.toString()),
                    dev.jaio.internal.ffi.Libc.O_RDWR, 0);
            assertTrue(fd >= 0);
        }
        try (IoUring ring = ring(4); Arena arena = Arena.ofConfined()) {
            SubmissionQueue sq = ring.submissionQueue();
            sq.prepareRead(sq.reserve(), fd, arena.allocate(16), 0, 20);
            assertEquals(1, ring.submit());
            assertEquals(0, ring.completionQueue().ready(), "a read of an empty pipe must still wait");
            sq.prepareCancel(sq.reserve(), 20, 0, 21);
            List<Cqe> cqes = submitAndReap(ring, 2);
            assertTrue(cqes.contains(new Cqe(20, -Errno.ECANCELED.code(), 0)), cqes.toString());
            assertTrue(cqes.contains(new Cqe(21, 0, 0)), cqes.toString());

            // By descriptor (Linux 5.19), every match.
            sq.prepareRead(sq.reserve(), fd, arena.allocate(16), 0, 22);
            sq.prepareRead(sq.reserve(), fd, arena.allocate(16), 0, 23);
            assertEquals(2, ring.submit());
            sq.prepareCancelFd(sq.reserve(), fd, dev.jaio.internal.ffi.IoUringAbi.IORING_ASYNC_CANCEL_ALL, 24);
            List<Cqe> byFd = submitAndReap(ring, 3);
            assertTrue(byFd.contains(new Cqe(22, -Errno.ECANCELED.code(), 0)), byFd.toString());
            assertTrue(byFd.contains(new Cqe(23, -Errno.ECANCELED.code(), 0)), byFd.toString());
            assertTrue(byFd.contains(new Cqe(24, 2, 0)), "cancel by fd reports how many: " + byFd);
        } finally {
            closeFile(fd);
        }
    }

    @Test
    void drainAndLinkFlagsOrderRequests() {
        int fd = openFile(dir.resolve("order"));
        try (IoUring ring = ring(8); Arena arena = Arena.ofConfined()) {
            SubmissionQueue sq = ring.submissionQueue();
            MemorySegment data = pattern(arena, 8192, 3);
            MemorySegment back = arena.allocate(8192);
            // write -> (linked) read: the read must see the write's bytes.
            int w = sq.reserve();
            sq.prepareWrite(w, fd, data, 0, 30);
            sq.setFlags(w, IOSQE_IO_LINK);
            assertEquals(IOSQE_IO_LINK, sq.flags(w));
            sq.prepareRead(sq.reserve(), fd, back, 0, 31);
            // fsync drained behind both.
            int f = sq.reserve();
            sq.prepareFsync(f, fd, 0, 32);
            sq.setFlags(f, IOSQE_IO_DRAIN);
            List<Cqe> cqes = submitAndReap(ring, 3);
            assertEquals(List.of(new Cqe(30, 8192, 0), new Cqe(31, 8192, 0), new Cqe(32, 0, 0)), cqes);
            assertEquals(-1, data.mismatch(back));
            // A prepare clears the flags a slot had in its previous use.
            int again = sq.reserve();
            sq.prepareNop(again, 33);
            assertEquals(0, sq.flags(again));
            assertEquals(List.of(new Cqe(33, 0, 0)), submitAndReap(ring, 1));
        } finally {
            closeFile(fd);
        }
    }

    @Test
    void ringsWrapAroundManyTimesWithoutLosingOrRepeatingAnything() {
        long seed = System.nanoTime();
        System.out.println("ringsWrapAroundManyTimes seed=" + seed);
        Random random = new Random(seed);
        int fd = openFile(dir.resolve("wrap"));
        int block = 64;
        int blocks = 3000; // the SQ has 4 entries, the CQ 8: hundreds of laps of each
        try (IoUring ring = ring(4); Arena arena = Arena.ofConfined()) {
            SubmissionQueue sq = ring.submissionQueue();
            MemorySegment expected = arena.allocate((long) block * blocks);
            MemorySegment buffers = arena.allocate((long) block * blocks);
            Set<Long> done = new HashSet<>();
            Recorder recorder = new Recorder();
            int next = 0;
            while (done.size() < blocks) {
                // A random number of writes per batch, so batches straddle the ring's end.
                int batch = 1 + random.nextInt(sq.entries());
                for (int i = 0; i < batch && next < blocks; i++) {
                    int slot = sq.reserve();
                    if (slot == SubmissionQueue.FULL) {
                        break;
                    }
                    MemorySegment buf = buffers.asSlice((long) next * block, block);
                    buf.fill((byte) (next * 7 + 1));
                    expected.asSlice((long) next * block, block).copyFrom(buf);
                    sq.prepareWrite(slot, fd, buf, (long) next * block, next);
                    next++;
                }
                long consumed = ring.submitAndWait(1);
                assertTrue(consumed >= 0, "io_uring_enter: " + consumed);
                recorder.seen.clear();
                ring.completionQueue().reap(recorder, Integer.MAX_VALUE);
                for (Cqe cqe : recorder.seen) {
                    assertEquals(block, cqe.res(), "write " + cqe.userData() + " (seed " + seed + ")");
                    assertTrue(done.add(cqe.userData()), "completion " + cqe.userData() + " seen twice");
                }
            }
            assertEquals(blocks, next);
            MemorySegment back = arena.allocate((long) block * blocks);
            for (int off = 0; off < blocks * block; off += 4 * block) {
                for (int i = 0; i < 4; i++) {
                    long at = off + (long) i * block;
                    sq.prepareRead(sq.reserve(), fd, back.asSlice(at, block), at, i);
                }
                for (Cqe cqe : submitAndReap(ring, 4)) {
                    assertEquals(block, cqe.res());
                }
            }
            assertEquals(-1, expected.mismatch(back), "file content after " + blocks + " writes (seed " + seed + ")");
            assertEquals(0, sq.droppedCount());
            assertEquals(0, ring.completionQueue().overflowCount());
        } finally {
            closeFile(fd);
        }
    }

    @Test
    void aFullSubmissionQueueIsBackPressureNotAnError() {
        try (IoUring ring = ring(4)) {
            SubmissionQueue sq = ring.submissionQueue();
            Set<Integer> slots = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                int slot = sq.reserve();
                assertTrue(slot >= 0 && slot < 4, "slot " + slot);
                sq.prepareNop(slot, i);
                slots.add(slot);
            }
            assertEquals(4, slots.size(), "four distinct slots");
            assertEquals(0, sq.available());
            assertEquals(SubmissionQueue.FULL, sq.reserve());
            assertEquals(SubmissionQueue.FULL, sq.reserve(), "still full, and asking again changes nothing");
            // Published but not yet submitted: still full.
            assertEquals(4, sq.publish());
            assertEquals(SubmissionQueue.FULL, sq.reserve());
            // Submitting frees the slots, whether or not the completions were reaped.
            assertEquals(4, ring.enter(4, 0, 0));
            assertEquals(4, sq.available());
            assertTrue(sq.reserve() >= 0);
            sq.abandon(1);
            assertEquals(4, sq.available());
            assertEquals(4, ring.completionQueue().ready());
            ring.completionQueue().advance(4);
        }
    }

    @Test
    void abandonGivesBackOnlyUnpublishedReservations() {
        try (IoUring ring = ring(4)) {
            SubmissionQueue sq = ring.submissionQueue();
            sq.prepareNop(sq.reserve(), 1);
            sq.prepareNop(sq.reserve(), 2);
            sq.publish();
            sq.prepareNop(sq.reserve(), 3);
            assertEquals(1, sq.unpublished());
            assertThrows(IllegalArgumentException.class, () -> sq.abandon(2));
            assertThrows(IllegalArgumentException.class, () -> sq.abandon(-1));
            sq.abandon(1);
            assertEquals(0, sq.unpublished());
            // Only the two published NOPs reach the kernel.
            List<Cqe> cqes = submitAndReap(ring, 2);
            assertEquals(List.of(new Cqe(1, 0, 0), new Cqe(2, 0, 0)), cqes);
            assertEquals(0, ring.completionQueue().ready());
        }
    }

    @Test
    void aFullCompletionQueueIsReapedAsOneBatch() {
        try (IoUring ring = ring(8)) {
            SubmissionQueue sq = ring.submissionQueue();
            CompletionQueue cq = ring.completionQueue();
            assertEquals(16, cq.entries());
            for (int batch = 0; batch < 2; batch++) {
                for (int i = 0; i < 8; i++) {
                    sq.prepareNop(sq.reserve(), batch * 8 + i);
                }
                assertEquals(8, ring.submit());
            }
            assertEquals(16, cq.ready(), "the CQ ring is exactly full");
            assertFalse(ring.completionsBacklogged());
            Recorder recorder = new Recorder();
            assertEquals(16, cq.reap(recorder, Integer.MAX_VALUE));
            List<Long> userData = recorder.seen.stream().map(Cqe::userData).toList();
            assertEquals(java.util.stream.LongStream.range(0, 16).boxed().toList(), userData);
            assertEquals(0, cq.ready());
        }
    }

    @Test
    void overflowIsHeldByTheKernelAndFlushedByGetEvents() {
        try (IoUring ring = ring(8)) {
            SubmissionQueue sq = ring.submissionQueue();
            CompletionQueue cq = ring.completionQueue();
            for (int batch = 0; batch < 3; batch++) { // 24 completions for a CQ of 16
                for (int i = 0; i < 8; i++) {
                    sq.prepareNop(sq.reserve(), batch * 8 + i);
                }
                long r = ring.submit();
                assertTrue(r == 8 || r == -Errno.EBUSY.code(), "submit: " + r);
            }
            assertEquals(16, cq.ready());
            assertTrue(ring.completionsBacklogged(), "IORING_SQ_CQ_OVERFLOW must be set");
            assertEquals(0, cq.overflowCount(), "with IORING_FEAT_NODROP nothing is dropped");

            Recorder recorder = new Recorder();
            cq.reap(recorder, Integer.MAX_VALUE);
            // Anything left unsubmitted (older kernels answer EBUSY while overflowing) goes now.
            while (recorder.seen.size() < 24) {
                long r = ring.submitAndWait(0);
                assertTrue(r >= 0, "flush: " + r);
                if (cq.reap(recorder, Integer.MAX_VALUE) == 0) {
                    assertTrue(ring.enter(0, 1, IORING_ENTER_GETEVENTS) >= 0);
                }
            }
            assertFalse(ring.completionsBacklogged());
            Set<Long> unique = new HashSet<>();
            recorder.seen.forEach(c -> unique.add(c.userData()));
            assertEquals(24, unique.size(), recorder.seen.toString());
        }
    }

    @Test
    void aConsumerThatThrowsConsumesOnlyWhatItWasGiven() {
        try (IoUring ring = ring(4)) {
            SubmissionQueue sq = ring.submissionQueue();
            for (int i = 0; i < 4; i++) {
                sq.prepareNop(sq.reserve(), i);
            }
            assertEquals(4, ring.submit());
            List<Long> seen = new ArrayList<>();
            CompletionConsumer failsOnSecond = (userData, res, flags) -> {
                seen.add(userData);
                if (userData == 1) {
                    throw new IllegalStateException("boom");
                }
            };
            assertThrows(IllegalStateException.class, () -> ring.completionQueue().reap(failsOnSecond, 10));
            assertEquals(List.of(0L, 1L), seen);
            assertEquals(2, ring.completionQueue().ready(), "the CQE that threw is not delivered again");
            Recorder rest = new Recorder();
            assertEquals(2, ring.completionQueue().reap(rest, 10));
            assertEquals(List.of(new Cqe(2, 0, 0), new Cqe(3, 0, 0)), rest.seen);
        }
    }

    @Test
    void reapHonoursItsLimit() {
        try (IoUring ring = ring(4)) {
            SubmissionQueue sq = ring.submissionQueue();
            for (int i = 0; i < 3; i++) {
                sq.prepareNop(sq.reserve(), i);
            }
            assertEquals(3, ring.submit());
            Recorder r = new Recorder();
            assertEquals(0, ring.completionQueue().reap(r, 0));
            assertEquals(2, ring.completionQueue().reap(r, 2));
            assertEquals(1, ring.completionQueue().reap(r, 2));
            assertEquals(3, r.seen.size());
            assertThrows(IllegalArgumentException.class, () -> ring.completionQueue().reap(r, -1));
        }
    }

    @Test
    void indexesBeyondWhatIsReadyAreRefused() {
        try (IoUring ring = ring(2)) {
            CompletionQueue cq = ring.completionQueue();
            assertEquals(0, cq.ready());
            assertThrows(IndexOutOfBoundsException.class, () -> cq.userData(0));
            assertThrows(IllegalArgumentException.class, () -> cq.advance(1));
            ring.submissionQueue().prepareNop(ring.submissionQueue().reserve(), 1);
            ring.submit();
            assertEquals(1, cq.ready());
            assertEquals(1, cq.userData(0));
            assertThrows(IndexOutOfBoundsException.class, () -> cq.result(1));
            assertThrows(IndexOutOfBoundsException.class, () -> cq.flags(-1));
            assertThrows(IllegalArgumentException.class, () -> cq.advance(2));
            cq.advance(1);
        }
    }

    @Test
    void buffersTheKernelCannotUseAreRefusedBeforeSubmission() {
        try (IoUring ring = ring(2); Arena arena = Arena.ofConfined()) {
            SubmissionQueue sq = ring.submissionQueue();
            int slot = sq.reserve();
            IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
                    () -> sq.prepareRead(slot, 0, MemorySegment.ofArray(new byte[16]), 0, 1));
            assertTrue(heap.getMessage().contains("native"), heap.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> sq.prepareRead(slot, 0, arena.allocate(16).asReadOnly(), 0, 1));
            assertThrows(IllegalArgumentException.class,
                    () -> sq.prepareWrite(slot, 0, MemorySegment.ofArray(new byte[16]), 0, 1));
            assertThrows(IllegalArgumentException.class,
                    () -> sq.prepareReadv(slot, 0, arena.allocate(16), 2, 0, 1));
            assertThrows(IllegalArgumentException.class, () -> sq.setFlags(slot, 0x100));
            assertThrows(IndexOutOfBoundsException.class, () -> sq.prepareNop(2, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> sq.prepareNop(SubmissionQueue.FULL, 1));
            sq.abandon(1);
        }
    }

    @Test
    void completionsCanBeReapedOnAnotherThreadWhileSubmitting() throws Exception {
        int total = 20_000;
        try (IoUring ring = ring(16)) {
            Recorder recorder = new Recorder();
            AtomicReference<Throwable> reaperFailure = new AtomicReference<>();
            // One consumer thread, one producer thread: the discipline the queues document.
            Thread reaper = Thread.ofPlatform().name("reaper").start(() -> {
                try {
                    while (recorder.seen.size() < total) {
                        if (ring.completionQueue().reap(recorder, Integer.MAX_VALUE) == 0) {
                            long r = ring.enter(0, 1, IORING_ENTER_GETEVENTS);
                            assertTrue(r >= 0, "wait: " + r);
                        }
                    }
                } catch (Throwable t) {
                    reaperFailure.set(t);
                }
            });
            SubmissionQueue sq = ring.submissionQueue();
            int submitted = 0;
            while (submitted < total || sq.publish() > 0) {
                int slot = submitted < total ? sq.reserve() : SubmissionQueue.FULL;
                if (slot == SubmissionQueue.FULL) {
                    long r = ring.submit();
                    // EBUSY: the kernel wants completions reaped first; the reaper is on it.
                    assertTrue(r >= 0 || r == -Errno.EBUSY.code(), "submit: " + r);
                    continue;
                }
                sq.prepareNop(slot, submitted++);
            }
            reaper.join(60_000);
            assertEquals(null, reaperFailure.get());
            assertFalse(reaper.isAlive(), "reaper did not see every completion: " + recorder.seen.size());
            assertEquals(total, recorder.seen.size());
            for (int i = 0; i < total; i++) {
                assertEquals(i, recorder.seen.get(i).userData(), "NOPs complete in order");
            }
            assertFalse(ring.completionsBacklogged());
            assertEquals(0, ring.completionQueue().overflowCount());
        }
    }

    /** A {@code struct iovec[]} over the given buffers. */
    private static MemorySegment iovecs(Arena arena, MemorySegment... buffers) {
        MemorySegment iov = arena.allocate(16L * buffers.length, 8);
        for (int i = 0; i < buffers.length; i++) {
            iov.set(ADDRESS, 16L * i, buffers[i]);
            iov.set(JAVA_LONG, 16L * i + 8, buffers[i].byteSize());
        }
        return iov;
    }
}
