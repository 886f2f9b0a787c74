package dev.jaio.internal.uring;

import static dev.jaio.internal.ffi.IoUringAbi.IORING_ENTER_GETEVENTS;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_SETUP_CLAMP;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_SETUP_COOP_TASKRUN;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_SETUP_SUBMIT_ALL;
import static dev.jaio.internal.uring.RingTestSupport.ring;
import static dev.jaio.internal.uring.RingTestSupport.submitAndReap;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.Errno;
import dev.jaio.internal.uring.RingTestSupport.Cqe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Setup, teardown and the simplest round trip, against the running kernel. */
class IoUringTest {

    @Test
    void setupGrantsPowerOfTwoRingsAndTheFeaturesJaioReliesOn() {
        try (IoUring ring = ring(5)) {
            RingFeatures f = ring.features();
            assertEquals(8, f.sqEntries(), "SQ rounded up to a power of two");
            assertEquals(16, f.cqEntries(), "CQ twice the SQ by default");
            assertEquals(8, ring.submissionQueue().entries());
            assertEquals(16, ring.completionQueue().entries());
            assertEquals(8, ring.submissionQueue().available());
            assertEquals(0, ring.submissionQueue().pending());
            assertEquals(0, ring.completionQueue().ready());
            // Kernel 5.5+; this machine is far newer.
            assertTrue(f.singleMmap(), f.toString());
            assertTrue(f.noDrop(), f.toString());
            assertTrue(f.submitStable(), f.toString());
            assertFalse(ring.completionsBacklogged());
            assertEquals(0, ring.completionQueue().overflowCount());
            assertEquals(0, ring.submissionQueue().droppedCount());
            assertTrue(ring.toString().contains("fd=" + ring.fd()), ring.toString());
        }
    }

    @Test
    void cqSizeAndSchedulingFlagsAreHonoured() {
        int flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN;
        try (IoUring ring = IoUring.setup(4, 64, flags).orElseThrow()) {
            assertEquals(4, ring.features().sqEntries());
            assertEquals(64, ring.features().cqEntries());
            assertEquals(64, ring.completionQueue().entries());
            ring.submissionQueue().prepareNop(ring.submissionQueue().reserve(), 7);
            assertEquals(List.of(new Cqe(7, 0, 0)), submitAndReap(ring, 1));
        }
    }

    @Test
    void nopRoundTripCarriesEveryUserDataBit() {
        long[] userData = {0L, 1L, -1L, Long.MIN_VALUE, 0x8000_0000_0000_0001L, 0x0123_4567_89AB_CDEFL};
        try (IoUring ring = ring(8)) {
            SubmissionQueue sq = ring.submissionQueue();
            for (long u : userData) {
                int slot = sq.reserve();
                assertTrue(slot >= 0);
                sq.prepareNop(slot, u);
            }
            assertEquals(userData.length, sq.unpublished());
            long consumed = ring.submitAndWait(userData.length);
            assertEquals(userData.length, consumed, "io_uring_enter consumed every SQE");
            assertEquals(0, sq.pending());
            CompletionQueue cq = ring.completionQueue();
            assertEquals(userData.length, cq.ready());
            for (int i = 0; i < userData.length; i++) {
                // NOPs complete inline, in submission order.
                assertEquals(userData[i], cq.userData(i), "user_data of CQE " + i);
                assertEquals(0, cq.result(i));
                assertEquals(0, cq.flags(i));
            }
            cq.advance(userData.length);
            assertEquals(0, cq.ready());
        }
    }

    @Test
    void submitWithNothingQueuedDoesNotEnterTheKernel() {
        try (IoUring ring = ring(2)) {
            assertEquals(0, ring.submit());
        }
    }

    @Test
    void closeUnmapsAndClosesOnceAndLaterUseFailsCleanly() throws IOException {
        IoUring ring = ring(4);
        int fd = ring.fd();
        Path link = Path.of("/proc/self/fd/" + fd);
        assertEquals("anon_inode:[io_uring]", Files.readSymbolicLink(link).toString());
        SubmissionQueue sq = ring.submissionQueue();
        CompletionQueue cq = ring.completionQueue();

        ring.close();
        assertTrue(ring.isClosed());
        assertTrue(ring.toString().endsWith("closed]"), ring.toString());
        ring.close(); // a second close does nothing, and above all does not close fd again
        assertEquals(Optional.empty(), target(link).filter(t -> t.equals("anon_inode:[io_uring]")),
                "descriptor " + fd + " still names an io_uring after close");

        // The views were invalidated before the munmap: a stale use is an exception, not SIGSEGV.
        assertThrows(IllegalStateException.class, sq::reserve);
        assertThrows(IllegalStateException.class, cq::ready);
        assertThrows(IllegalStateException.class, () -> ring.enter(0, 0, 0));
        assertThrows(IllegalStateException.class, () -> ring.register(0, java.lang.foreign.MemorySegment.NULL, 0));
        assertThrows(IllegalStateException.class, ring::completionsBacklogged);
    }

    @Test
    void manyRingsComeAndGoWithoutLeakingDescriptors() throws IOException {
        long before = openRings();
        for (int i = 0; i < 200; i++) {
            try (IoUring ring = ring(32)) {
                ring.submissionQueue().prepareNop(ring.submissionQueue().reserve(), i);
                assertEquals(List.of(new Cqe(i, 0, 0)), submitAndReap(ring, 1));
            }
        }
        assertEquals(before, openRings(), "io_uring descriptors open before and after 200 rings");
    }

    @Test
    void entriesAboveTheKernelMaximumAreRefusedOrClamped() {
        SetupResult tooMany = IoUring.setup(2 * IoUring.MAX_ENTRIES, 0);
        SetupResult.Refused refused = assertInstanceOf(SetupResult.Refused.class, tooMany);
        assertEquals(Errno.EINVAL.code(), refused.failure().errno());
        assertTrue(refused.failure().message().startsWith("io_uring_setup refused: EINVAL ("),
                refused.failure().message());
        assertTrue(refused.failure().message().contains("IORING_SETUP_CLAMP"), refused.failure().message());

        try (IoUring clamped = IoUring.setup(2 * IoUring.MAX_ENTRIES, IORING_SETUP_CLAMP).orElseThrow()) {
            assertEquals(IoUring.MAX_ENTRIES, clamped.features().sqEntries());
        }
    }

    @Test
    void misuseIsRefusedBeforeTheKernelIsAsked() {
        assertThrows(IllegalArgumentException.class, () -> IoUring.setup(0, 0));
        assertThrows(IllegalArgumentException.class, () -> IoUring.setup(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> IoUring.setup(4, -1, 0));
        // IORING_SETUP_IOPOLL (1 << 0) and IORING_SETUP_CQE32 (1 << 11) change the model.
        IllegalArgumentException iopoll = assertThrows(IllegalArgumentException.class, () -> IoUring.setup(4, 1 << 0));
        assertTrue(iopoll.getMessage().contains("0x1"), iopoll.getMessage());
        assertThrows(IllegalArgumentException.class, () -> IoUring.setup(4, 1 << 11));
        assertThrows(IllegalArgumentException.class,
                () -> IoUring.setup(4, 0, dev.jaio.internal.ffi.IoUringAbi.IORING_SETUP_CQSIZE));
    }

    @Test
    void waitingWithGetEventsReturnsOnceACompletionIsThere() {
        try (IoUring ring = ring(2)) {
            SubmissionQueue sq = ring.submissionQueue();
            sq.prepareNop(sq.reserve(), 99);
            assertEquals(1, ring.submit());
            // Already complete: the wait returns at once with nothing to submit.
            assertEquals(0, ring.enter(0, 1, IORING_ENTER_GETEVENTS));
            assertEquals(1, ring.completionQueue().ready());
            assertEquals(99, ring.completionQueue().userData(0));
            ring.completionQueue().advance(1);
        }
    }

    private static Optional<String> target(Path link) throws IOException {
        try {
            return Optional.of(Files.readSymbolicLink(link).toString());
        } catch (NoSuchFileException gone) {
            return Optional.empty();
        }
    }

    /** Descriptors of this process that name an io_uring: other descriptors come and go with the JVM. */
    private static long openRings() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return target(fd).filter(t -> t.equals("anon_inode:[io_uring]")).isPresent();
                } catch (IOException e) {
                    return false; // the directory stream's own descriptor, gone by now
                }
            }).count();
        }
    }
}
