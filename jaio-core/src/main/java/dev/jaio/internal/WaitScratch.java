package dev.jaio.internal;

/**
 * Per-thread arrays for the operations of one list or wait, so that submitting and waiting
 * allocate nothing in the steady state. Cleared after each use, so that they never keep
 * operations (and their buffers) alive.
 */
final class WaitScratch {
    private static final ThreadLocal<WaitScratch> CURRENT = ThreadLocal.withInitial(WaitScratch::new);

    Operation[] ops = new Operation[64];
    Operation[] queued = new Operation[64];
    private boolean inUse;

    static WaitScratch current(int n) {
        WaitScratch s = CURRENT.get();
        if (s.inUse) {
            // Re-entered on this thread (a notification callback that submits a list): use a fresh one.
            s = new WaitScratch();
        }
        if (s.ops.length < n) {
            s.ops = new Operation[Math.max(n, 2 * s.ops.length)];
            s.queued = new Operation[s.ops.length];
        }
        s.inUse = true;
        return s;
    }

    void clear(int n) {
        java.util.Arrays.fill(ops, 0, Math.min(n, ops.length), null);
        java.util.Arrays.fill(queued, 0, Math.min(n, queued.length), null);
        inUse = false;
    }
}
