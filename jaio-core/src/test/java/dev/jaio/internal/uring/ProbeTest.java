package dev.jaio.internal.uring;

import static dev.jaio.internal.ffi.IoUringAbi.IORING_OP_ASYNC_CANCEL;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OP_FSYNC;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OP_NOP;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OP_READ;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OP_READV;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OP_WRITE;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OP_WRITEV;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** IORING_REGISTER_PROBE against the running kernel (6.x here: every opcode jaio needs). */
class ProbeTest {

    private static final int[] NEEDED = {IORING_OP_NOP, IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
        IORING_OP_ASYNC_CANCEL, IORING_OP_READ, IORING_OP_WRITE};

    @Test
    void theKernelSupportsEveryOpcodeTheEngineNeeds() {
        Probe probe = Probe.ofKernel();
        assertTrue(probe.answered(), probe.toString());
        assertNull(probe.failure());
        for (int op : NEEDED) {
            assertTrue(probe.supports(op), dev.jaio.internal.ffi.IoUringAbi.opcodeName(op) + ": " + probe);
        }
        // A kernel that has IORING_OP_WRITE knows at least that many opcodes.
        assertTrue(probe.lastOp() >= IORING_OP_WRITE, "last_op " + probe.lastOp());
        assertFalse(probe.supports(255), "no kernel has 255 opcodes yet");
        assertFalse(probe.supports(-1));
        assertTrue(probe.toString().contains("IORING_OP_READ,"), probe.toString());
    }

    @Test
    void aRingCanBeProbedAndAClosedOneCannot() {
        IoUring ring = RingTestSupport.ring(4);
        Probe probe;
        try (ring) {
            probe = Probe.of(ring);
        }
        assertTrue(probe.answered());
        assertEquals(Probe.ofKernel().lastOp(), probe.lastOp());
        assertThrows(IllegalStateException.class, () -> Probe.of(ring));
    }

    @Test
    void aRefusedRingGivesAProbeThatSaysWhy() {
        System.setProperty(IoUring.FAIL_SETUP_PROPERTY, "ENOSYS");
        try {
            Probe probe = Probe.ofKernel();
            assertFalse(probe.answered());
            assertEquals(-1, probe.lastOp());
            assertFalse(probe.supports(IORING_OP_READ));
            assertTrue(probe.failure().startsWith("io_uring_setup refused: ENOSYS"), probe.failure());
            assertTrue(probe.toString().contains("ENOSYS"), probe.toString());
        } finally {
            System.clearProperty(IoUring.FAIL_SETUP_PROPERTY);
        }
    }
}
