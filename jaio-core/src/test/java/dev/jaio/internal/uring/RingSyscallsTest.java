package dev.jaio.internal.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.Errno;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The seam that makes {@code io_uring_enter} and {@code io_uring_register} fail on schedule. */
class RingSyscallsTest {

    @AfterEach
    void clearProperties() {
        System.clearProperty(IoUring.FAIL_ENTER_PROPERTY);
        System.clearProperty(IoUring.FAIL_REGISTER_PROPERTY);
    }

    private static List<Integer> firstCalls(ForcedErrno forced, int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(forced.nextCall());
        }
        return out;
    }

    @Test
    void theScheduleSaysWhichCallsFail() {
        int eperm = Errno.EPERM.code();
        assertEquals(List.of(eperm, eperm, eperm), firstCalls(ForcedErrno.parse("p", "EPERM"), 3));
        assertEquals(List.of(0, 0, eperm, eperm), firstCalls(ForcedErrno.parse("p", "EPERM,after=2"), 4));
        assertEquals(List.of(0, eperm, eperm, 0, 0),
                firstCalls(ForcedErrno.parse("p", " EPERM , after=1 , times=2 "), 5));
        assertEquals(List.of(Errno.EACCES.code()), firstCalls(ForcedErrno.parse("p", "13"), 1));
        assertNull(ForcedErrno.parse("p", null));
        assertNull(ForcedErrno.parse("p", " "));
    }

    @ParameterizedTest
    @ValueSource(strings = {"EPREM", "0", "-1", "EPERM,after=-1", "EPERM,times=0", "EPERM,after=x", "EPERM,later=1",
            "EPERM,", "99999999999"})
    void aMistypedPropertyIsAnErrorNotASilentSuccess(String value) {
        System.setProperty(IoUring.FAIL_ENTER_PROPERTY, value);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IoUring.setup(8, 0));
        assertTrue(e.getMessage().contains(IoUring.FAIL_ENTER_PROPERTY), e.getMessage());
    }

    @Test
    void withoutThePropertiesTheKernelIsCalled() {
        assertSame(RingSyscalls.KERNEL, RingSyscalls.current());
    }

    @Test
    void theRingReadsThePropertiesOnceAtSetup() {
        System.setProperty(IoUring.FAIL_ENTER_PROPERTY, "EPERM,after=1,times=1");
        System.setProperty(IoUring.FAIL_REGISTER_PROPERTY, "EACCES");
        try (IoUring ring = IoUring.setup(8, 0).orElseThrow()) {
            clearProperties(); // read at setup: clearing them now changes nothing for this ring
            SubmissionQueue sq = ring.submissionQueue();
            sq.prepareNop(sq.reserve(), 1);
            assertEquals(1, ring.submit(), "the first enter reaches the kernel");
            sq.prepareNop(sq.reserve(), 2);
            assertEquals(-Errno.EPERM.code(), ring.submit(), "the second is refused, and consumes nothing");
            assertEquals(1, ring.submit(), "the third reaches the kernel, which consumes the published SQE");
            assertEquals(-Errno.EACCES.code(), ring.register(0, java.lang.foreign.MemorySegment.NULL, 0));
        }
        try (IoUring ring = IoUring.setup(8, 0).orElseThrow()) {
            SubmissionQueue sq = ring.submissionQueue();
            sq.prepareNop(sq.reserve(), 1);
            assertEquals(1, ring.submit(), "a ring set up without the properties is not affected");
        }
    }

    /**
     * SQEs an io_uring_enter refused are taken back, not left in the ring for the next
     * io_uring_enter to submit stale.
     */
    @Test
    void refusedSqesAreWithdrawnNotLeftForTheNextSubmission() {
        System.setProperty(IoUring.FAIL_ENTER_PROPERTY, "EPERM,after=1,times=1");
        try (IoUring ring = IoUring.setup(4, 0).orElseThrow()) {
            SubmissionQueue sq = ring.submissionQueue();
            CompletionQueue cq = ring.completionQueue();
            sq.prepareNop(sq.reserve(), 10);
            assertEquals(1, ring.submit());
            for (long userData = 11; userData <= 13; userData++) {
                sq.prepareNop(sq.reserve(), userData);
            }
            assertEquals(-Errno.EPERM.code(), ring.submit());
            sq.prepareNop(sq.reserve(), 14); // reserved after the refusal, not yet published
            List<Long> withdrawn = new ArrayList<>();
            assertEquals(4, sq.withdrawUnconsumed(withdrawn::add));
            assertEquals(List.of(11L, 12L, 13L, 14L), withdrawn);
            assertEquals(0, sq.pending());
            assertEquals(0, sq.unpublished());
            assertEquals(4, sq.available());
            sq.prepareNop(sq.reserve(), 20);
            assertEquals(1, ring.submitAndWait(1));
            List<Long> reaped = new ArrayList<>();
            cq.reap((userData, res, flags) -> reaped.add(userData), 16);
            assertEquals(List.of(10L, 20L), reaped, "the withdrawn NOPs never reached the kernel");
            assertEquals(0, sq.withdrawUnconsumed(userData -> {
                throw new AssertionError("nothing left to withdraw");
            }));
        }
    }
}
