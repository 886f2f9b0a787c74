package dev.jaio.internal;

import dev.jaio.Aio;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Per-thread arrays for the blocks of one list or wait, so that submitting and waiting allocate
 * nothing in the steady state. Cleared after each use, so that they never keep operations (and
 * their buffers) alive.
 */
final class WaitScratch {
    private static final ThreadLocal<WaitScratch> CURRENT = ThreadLocal.withInitial(WaitScratch::new);
    /**
     * List stamps (see {@link #nextListStamp()}) are handed out to each scratch in blocks of this
     * many, so that threads submitting lists do not update one shared counter per list.
     */
    private static final long STAMP_BLOCK = 1L << 16;
    /** The first stamp of the next block; stamps start at 1, as 0 is an operation's "no list". */
    private static final AtomicLong NEXT_STAMP_BLOCK = new AtomicLong(1);

    /** The non-null blocks of the list, in order, and their operations and positions in the list. */
    Aio[] blocks = new Aio[64];
    Operation[] ops = new Operation[64];
    int[] positions = new int[64];
    /** The operations a list submitted, and which submission of each it made. */
    Operation[] queued = new Operation[64];
    int[] submissions = new int[64];
    private boolean inUse;
    /** The next stamp of this scratch's block, and the end of the block. */
    private long nextStamp;
    private long stampLimit;

    static WaitScratch current(int n) {
        WaitScratch s = CURRENT.get();
        if (s.inUse) {
            // Re-entered on this thread (a notification callback that submits a list): use a fresh one.
            s = new WaitScratch();
        }
        if (s.ops.length < n) {
            int size = Math.max(n, 2 * s.ops.length);
            s.blocks = new Aio[size];
            s.ops = new Operation[size];
            s.positions = new int[size];
            s.queued = new Operation[size];
            s.submissions = new int[size];
        }
        s.inUse = true;
        return s;
    }

    /**
     * A stamp for one {@code lio_listio} call, never handed out before in this process: a list
     * marks its operations with it (duplicates, and the ones it could not queue).
     */
    long nextListStamp() {
        if (nextStamp == stampLimit) {
            nextStamp = NEXT_STAMP_BLOCK.getAndAdd(STAMP_BLOCK);
            stampLimit = nextStamp + STAMP_BLOCK;
        }
        return nextStamp++;
    }

    void clear(int n) {
        Arrays.fill(blocks, 0, Math.min(n, blocks.length), null);
        Arrays.fill(ops, 0, Math.min(n, ops.length), null);
        Arrays.fill(queued, 0, Math.min(n, queued.length), null);
        inUse = false;
    }
}
