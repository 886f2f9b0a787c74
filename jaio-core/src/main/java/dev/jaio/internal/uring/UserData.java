package dev.jaio.internal.uring;

/**
 * The io_uring engine's {@code user_data}: the 64-bit value an SQE carries and its CQE gives back,
 * which tells the engine whose completion it is. Every encoding and decoding is here.
 *
 * <pre>
 *  bit 63      62 .. 32          31 .. 0
 *  0           generation (31)   block's index in the engine's table   an operation's submission
 *  1           internal request id (63 bits)                           a cancel, a wake-up NOP
 * </pre>
 *
 * <p>The generation is the block's submission count (modulo 2^31): a CQE whose generation is
 * not the block's current one belongs to an earlier submission, and is not taken for this one.
 * Never an address, so a stale CQE can never make the engine touch freed memory.
 *
 * <p>Pure functions; any thread.
 */
final class UserData {
    private static final long INTERNAL = 1L << 63;
    private static final int GENERATION_MASK = 0x7FFF_FFFF;

    private UserData() {
    }

    /** The {@code user_data} of submission {@code generation} of the block at {@code index}. */
    static long ofOperation(int index, int generation) {
        return ((long) (generation & GENERATION_MASK) << 32) | Integer.toUnsignedLong(index);
    }

    /** The {@code user_data} of internal request {@code id} (a cancel, a wake-up). */
    static long ofInternal(long id) {
        return INTERNAL | id;
    }

    /** Whether {@code userData} names an internal request rather than an operation. */
    static boolean isInternal(long userData) {
        return (userData & INTERNAL) != 0;
    }

    /** The internal request id of an {@link #isInternal} user_data. */
    static long internalId(long userData) {
        return userData & ~INTERNAL;
    }

    /** The block index of an operation's user_data. */
    static int index(long userData) {
        return (int) userData;
    }

    /** Whether an operation's user_data is submission {@code generation} of its block. */
    static boolean isGeneration(long userData, int generation) {
        return (int) (userData >>> 32) == (generation & GENERATION_MASK);
    }
}
