package dev.jaio.internal.uring;

import static dev.jaio.internal.ffi.IoUringAbi.IORING_REGISTER_PROBE;
import static dev.jaio.internal.ffi.IoUringAbi.IO_URING_OP_SUPPORTED;
import static dev.jaio.internal.ffi.IoUringAbi.PROBE_LAST_OP;
import static dev.jaio.internal.ffi.IoUringAbi.PROBE_OPS;
import static dev.jaio.internal.ffi.IoUringAbi.PROBE_OPS_LEN;
import static dev.jaio.internal.ffi.IoUringAbi.PROBE_OP_FLAGS;
import static dev.jaio.internal.ffi.IoUringAbi.PROBE_OP_OP;
import static dev.jaio.internal.ffi.IoUringAbi.PROBE_OP_SIZE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.jaio.internal.ffi.IoUringAbi;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.StringJoiner;

/**
 * Which io_uring opcodes the running kernel supports, from {@code IORING_REGISTER_PROBE}
 * (Linux 5.6). An engine checks the opcodes it needs (READ and WRITE are 5.6, READV, WRITEV and
 * FSYNC 5.1, ASYNC_CANCEL 5.5) before it trusts a ring: an unsupported opcode would only show up
 * as {@code -EINVAL} in a completion.
 *
 * <p>A kernel too old to answer (before 5.6, {@code EINVAL}), a refused ring, or a
 * {@code io_uring_register} that a security policy refuses gives a probe that
 * {@linkplain #answered() did not answer}, says why ({@link #refusal()}), and supports nothing:
 * conservative, since kernels too old to answer lack IORING_OP_READ and IORING_OP_WRITE too.
 *
 * <p>Immutable; any thread.
 */
public final class Probe {
    /** Opcodes are {@code __u8}: room for every one there can be. The kernel fills what it knows. */
    private static final int MAX_OPS = 256;

    private final BitSet supported;
    private final int lastOp;
    private final SetupFailure failure;

    private Probe(BitSet supported, int lastOp, SetupFailure failure) {
        this.supported = supported;
        this.lastOp = lastOp;
        this.failure = failure;
    }

    /**
     * Asks the kernel through {@code ring}. Any thread.
     *
     * @throws IllegalStateException if the ring is closed
     */
    public static Probe of(IoUring ring) {
        try (Arena arena = Arena.ofConfined()) {
            // Zeroed, as the kernel demands (EINVAL otherwise).
            MemorySegment probe = arena.allocate(PROBE_OPS + MAX_OPS * PROBE_OP_SIZE, 8);
            long r = ring.register(IORING_REGISTER_PROBE, probe, MAX_OPS);
            if (r < 0) {
                return new Probe(new BitSet(), -1, SetupFailure.ofRegister("IORING_REGISTER_PROBE", (int) -r));
            }
            int opsLen = Byte.toUnsignedInt(probe.get(JAVA_BYTE, PROBE_OPS_LEN));
            BitSet ops = new BitSet(MAX_OPS);
            for (int i = 0; i < Math.min(opsLen, MAX_OPS); i++) {
                long op = PROBE_OPS + i * PROBE_OP_SIZE;
                int flags = Short.toUnsignedInt(probe.get(JAVA_SHORT, op + PROBE_OP_FLAGS));
                if ((flags & IO_URING_OP_SUPPORTED) != 0) {
                    ops.set(Byte.toUnsignedInt(probe.get(JAVA_BYTE, op + PROBE_OP_OP)));
                }
            }
            return new Probe(ops, Byte.toUnsignedInt(probe.get(JAVA_BYTE, PROBE_LAST_OP)), null);
        }
    }

    /**
     * Asks the kernel through a small ring of its own, set up and closed here, as liburing's
     * {@code io_uring_get_probe}. If no ring can be had, the probe says why.
     */
    public static Probe ofKernel() {
        return switch (IoUring.setup(2, 0)) {
            case SetupResult.Ready(IoUring ring) -> {
                try (ring) {
                    yield of(ring);
                }
            }
            case SetupResult.Refused(SetupFailure why) -> new Probe(new BitSet(), -1, why);
        };
    }

    /** Whether the kernel answered; if not, {@link #failure()} says why and nothing is supported. */
    public boolean answered() {
        return failure == null;
    }

    /** Why the kernel did not answer, or {@code null} if it did. */
    public String failure() {
        return failure == null ? null : failure.message();
    }

    /** Why the kernel did not answer (the call, its errno and what it means), or {@code null} if it did. */
    public SetupFailure refusal() {
        return failure;
    }

    /** Whether the kernel supports {@code opcode} ({@code IORING_OP_*}). */
    public boolean supports(int opcode) {
        return opcode >= 0 && supported.get(opcode);
    }

    /** The kernel's {@code last_op}: its highest opcode, or -1 if it did not answer. */
    public int lastOp() {
        return lastOp;
    }

    @Override
    public String toString() {
        if (!answered()) {
            return "Probe[" + failure.message() + "]";
        }
        StringJoiner ops = new StringJoiner(", ");
        for (int op : new int[] {IoUringAbi.IORING_OP_NOP, IoUringAbi.IORING_OP_READV,
                IoUringAbi.IORING_OP_WRITEV, IoUringAbi.IORING_OP_FSYNC, IoUringAbi.IORING_OP_ASYNC_CANCEL,
                IoUringAbi.IORING_OP_READ, IoUringAbi.IORING_OP_WRITE}) {
            ops.add(IoUringAbi.opcodeName(op) + (supports(op) ? "" : " (unsupported)"));
        }
        return "Probe[last_op=" + lastOp + ", " + supported.cardinality() + " opcodes supported; " + ops + "]";
    }
}
