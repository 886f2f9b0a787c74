package dev.jaio.internal;

import dev.jaio.Aio;
import dev.jaio.AioCancelStat;
import dev.jaio.AioEngine;
import dev.jaio.AioException;
import dev.jaio.AioFsyncMode;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.internal.ffi.Descriptors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * What every engine shares: validation of lists, partial submission, waiting with interrupts and
 * timeouts, orphaned operations, and closing. An engine adds only how to start, poll, cancel and
 * wait for its operations (the abstract methods here and in {@link Operation}).
 *
 * <p><b>The gate.</b> Native state of operations is freed when the engine closes, so every call
 * that touches it runs between {@link #enter()} and {@link #exit()}; {@link #close()} shuts the
 * gate, waits until nobody is inside, cancels and drains what is in flight, and only then frees.
 * The gate is striped by thread ({@link EngineGate}), so that threads on different cores do not
 * pass one counter's cache line between them on every call.
 *
 * <p><b>Waiting.</b> Waits run in slices of at most {@link #WAIT_SLICE_NANOS}: between slices the
 * waiter checks {@code Thread.interrupt()} and its deadline. An engine that waits in native code
 * (posix: {@code aio_suspend}) therefore notices an interrupt within one slice; engines that park
 * in Java are woken at once.
 *
 * <p>Thread-safe: any number of threads may submit and wait at once.
 */
public abstract class AbstractEngine implements AioEngine {
    /** POSIX {@code AIO_PRIO_DELTA_MAX} on Linux: priorities are {@code 0..20}. */
    public static final int AIO_PRIO_DELTA_MAX = 20;
    /** Longest uninterrupted wait; bounds how late an interrupt or a closing engine is noticed. */
    protected static final long WAIT_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private static final System.Logger LOG = System.getLogger("dev.jaio");
    /** How messages name the calls; constants, so that the success path builds no string. */
    private static final String LIO_WAIT_CALL = "lio_listio(LIO_WAIT)";
    private static final String LIO_NOWAIT_CALL = "lio_listio(LIO_NOWAIT)";
    private static final String AIO_SUSPEND_CALL = "aio_suspend";

    private final String name;
    private final boolean processWide;
    private final EngineGate gate = new EngineGate();
    private volatile boolean closed;
    private final Set<Operation> live = ConcurrentHashMap.newKeySet();
    private final List<Operation> orphans = new ArrayList<>();
    /** Opened when {@link #close()} has drained and freed every operation. */
    private final java.util.concurrent.CountDownLatch drained = new java.util.concurrent.CountDownLatch(1);
    private Thread orphanReaper;

    protected AbstractEngine(String name, boolean processWide) {
        this.name = name;
        this.processWide = processWide;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public String toString() {
        return "AioEngine[" + name + (processWide ? ", default" : "") + (closed ? ", closed" : "") + "]";
    }

    // ---------------------------------------------------------------- creating operations

    /** Creates the operation for a new control block; {@code IllegalStateException} once closed. */
    public final Operation create(OpKind kind, int fd, int priority, AioFsyncMode mode, SigevNotify notify) {
        requireOpen();
        Operation op = newOperation(kind, fd, priority, mode, notify);
        live.add(op);
        if (closed) {
            op.closeAs("its engine was closed");
            requireOpen();
        }
        return op;
    }

    final void forget(Operation op) {
        live.remove(op);
    }

    // ---------------------------------------------------------------- the gate

    /** Enters the gate before touching native state; {@code IllegalStateException} once closed. */
    protected final void enter() {
        if (!gate.enter()) {
            throw closedException();
        }
    }

    /** Leaves the gate. */
    protected final void exit() {
        gate.exit();
    }

    public final boolean isClosed() {
        return closed;
    }

    /**
     * Waits, ignoring interrupts (kept for the caller), until {@link #close()} has drained and
     * freed every operation. For a block closed while its engine closes: the engine frees it once
     * its I/O has ended, and the block's {@code close()} must not return before that; and for
     * {@code AioFileChannel}, whose completer sees a closing engine's refusal before the end of
     * the I/O. Must not be called by the thread that closes the engine.
     */
    public final void awaitDrained() {
        boolean interrupted = false;
        while (true) {
            try {
                drained.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    final void requireOpen() {
        if (closed) {
            throw closedException();
        }
    }

    private IllegalStateException closedException() {
        return new IllegalStateException("the " + name + " engine is closed; blocks created for it cannot be used"
                + " any more: create blocks for an open engine");
    }

    // ---------------------------------------------------------------- lio_listio

    /**
     * {@code lio_listio}. Null entries of {@code list} are ignored, wherever they are, as POSIX
     * ignores null pointers in the list (a list of nulls is an empty list).
     *
     * <p>What was queued is learnt from the submission itself: the engine marks the operations it
     * could not queue ({@link Operation#notQueued(int)}, stamped with this call), and nothing
     * afterwards asks a queued block anything (its own notification may already have reaped,
     * closed or resubmitted it). {@code LIO_WAIT} waits for the submission this call made of each
     * block, and counts as failed only the outcomes it could still see.
     */
    @Override
    public final void lioListio(LioMode mode, List<? extends Aio> list, SigevNotify notify) throws AioException {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(list, "list");
        SigevNotify listNotify = notify == null ? SigevNotify.none() : notify;
        requireOpen();
        int size = list.size();
        WaitScratch scratch = WaitScratch.current(size);
        int n = 0;
        try {
            n = collect(list, size, scratch, "lioListio");
            long stamp = validateList(scratch, n);
            Operation[] ops = scratch.ops;
            Operation[] queued = scratch.queued;
            int[] submissions = scratch.submissions;
            int good = 0;
            int rejected = 0;
            int r;
            // From the first block put in progress to the end of the submission, inside the
            // gate: an engine closing meanwhile waits for this list instead of freeing what it
            // is filling in (see Operation.submit()).
            enter();
            try {
                for (int i = 0; i < n; i++) {
                    Operation op = ops[i];
                    if (!op.validPriority()) {
                        op.rejected(Errno.EINVAL.code());
                        rejected++;
                        continue;
                    }
                    if (!op.beginForList()) {
                        throw new IllegalStateException(op.describe() + " was submitted or closed by another"
                                + " thread while this list was being submitted; nothing of the list was submitted");
                    }
                    submissions[good] = op.submission();
                    queued[good++] = op;
                }
                r = startList(queued, good, mode, listNotify);
                for (int i = 0; i < good; i++) {
                    queued[i].endSubmitting(submissions[i]);
                }
            } catch (RuntimeException | Error e) {
                undo(queued, good);
                throw e;
            } finally {
                exit();
            }
            int stillQueued = keepQueued(queued, submissions, good, stamp);
            boolean partial = rejected > 0 || stillQueued < good || r < 0;
            // Built only when a message needs it: a list that succeeds allocates nothing.
            String call = mode == LioMode.LIO_WAIT ? LIO_WAIT_CALL : LIO_NOWAIT_CALL;
            if (mode == LioMode.LIO_NOWAIT) {
                if (partial) {
                    int errno = rejected > 0 ? Errno.EINVAL.code() : r < 0 ? -r : Errno.EAGAIN.code();
                    throw Failures.list(describeList(n), errno, notQueuedDetail(scratch, n, stamp),
                            notQueued(scratch, n, stamp));
                }
                return;
            }
            try {
                awaitAll(queued, submissions, stillQueued, call);
            } catch (AioException interrupted) {
                if (!partial) {
                    throw interrupted;
                }
                // An interrupted wait leaves the list partly submitted, as EAGAIN does: the caller
                // must still learn which blocks were never queued (AioException.notQueued), or it
                // would wait for them for ever.
                throw Failures.list(describeList(n), Errno.EINTR.code(),
                        "interrupted while waiting, the queued operations go on; " + notQueuedDetail(scratch, n, stamp),
                        notQueued(scratch, n, stamp));
            }
            int failed = 0;
            String firstFailure = null;
            for (int i = 0; i < stillQueued; i++) {
                long res = queued[i].outcomeOf(submissions[i]);
                if (res < 0 && res != Operation.PENDING) {
                    failed++;
                    if (firstFailure == null) {
                        firstFailure = queued[i].describe() + ": " + Failures.text((int) -res);
                    }
                }
            }
            if (partial || failed > 0) {
                String detail = notQueuedDetail(scratch, n, stamp);
                if (failed > 0) {
                    detail = failed + " operation" + (failed == 1 ? "" : "s") + " failed (first: " + firstFailure
                            + "); check error() of each" + (detail.isEmpty() ? "" : "; " + detail);
                }
                throw Failures.list(describeList(n), Errno.EIO.code(), detail, notQueued(scratch, n, stamp));
            }
        } finally {
            scratch.clear(Math.max(n, 0));
        }
    }

    private static String describeList(int n) {
        return "lio_listio of " + n + (n == 1 ? " operation" : " operations");
    }

    /**
     * Copies the non-null blocks of {@code list} into {@code scratch} (blocks, operations and
     * their positions in the list), checking that each belongs to this engine; returns how many.
     */
    private int collect(List<? extends Aio> list, int size, WaitScratch scratch, String call) {
        int n = 0;
        for (int i = 0; i < size; i++) {
            Aio block = list.get(i);
            if (block == null) {
                continue; // POSIX: null entries are ignored
            }
            Operation op = OperationAccess.of(block);
            if (op.engine != this) {
                throw new IllegalArgumentException(call + ": list element " + i + " (" + op.describe() + ") belongs"
                        + " to the " + op.engine.name + " engine, not to " + name + ": blocks of one list must share"
                        + " one engine");
            }
            scratch.blocks[n] = block;
            scratch.ops[n] = op;
            scratch.positions[n] = i;
            n++;
        }
        return n;
    }

    /** Checks every operation of a list before anything is submitted; returns the list's stamp. */
    private long validateList(WaitScratch scratch, int n) {
        long stamp = scratch.nextListStamp();
        for (int k = 0; k < n; k++) {
            Operation op = scratch.ops[k];
            int i = scratch.positions[k];
            if (op.kind == OpKind.FSYNC) {
                throw new IllegalArgumentException("list element " + i + " is an AioFsync: POSIX lio_listio has no"
                        + " fsync opcode; submit() it on its own after the writes it must cover");
            }
            if (op.kind.vectored() && !supportsVectored()) {
                throw vectoredUnsupported();
            }
            op.requireOpen();
            op.requireLiveBuffers();
            if (op.inProgress()) {
                throw new IllegalStateException("list element " + i + " (" + op.describe() + ") is already in"
                        + " progress: aioReturn() it first; nothing of the list was submitted");
            }
            if (op.listStamp == stamp) {
                throw new IllegalArgumentException("list element " + i + " (" + op.describe() + ") appears twice in"
                        + " the list; a control block can be queued only once at a time");
            }
            op.listStamp = stamp;
        }
        return stamp;
    }

    /** Returns operations that were begun but never handed to the engine to idle. */
    private static void undo(Operation[] queued, int n) {
        for (int j = 0; j < n; j++) {
            queued[j].notQueued(0);
        }
    }

    /**
     * Drops the operations the engine marked not queued by the list call {@code stamp}, keeping
     * order (and each one's submission number); returns how many remain.
     */
    private static int keepQueued(Operation[] queued, int[] submissions, int n, long stamp) {
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (!queued[i].notQueuedBy(stamp)) {
                submissions[k] = submissions[i];
                queued[k++] = queued[i];
            }
        }
        for (int i = k; i < n; i++) {
            queued[i] = null;
        }
        return k;
    }

    private static List<Aio> notQueued(WaitScratch scratch, int n, long stamp) {
        List<Aio> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            if (scratch.ops[k].notQueuedBy(stamp)) {
                out.add(scratch.blocks[k]);
            }
        }
        return out;
    }

    private static String notQueuedDetail(WaitScratch scratch, int n, long stamp) {
        StringBuilder s = new StringBuilder();
        int count = 0;
        for (int k = 0; k < n; k++) {
            Operation op = scratch.ops[k];
            if (op.notQueuedBy(stamp)) {
                if (count++ < 3) {
                    // A block not queued is idle and still the caller's: asking it is safe.
                    s.append(count == 1 ? "" : ", ").append(op.describe()).append(": ").append(op.error());
                }
            }
        }
        if (count == 0) {
            return "";
        }
        return count + " not queued (" + s + (count > 3 ? ", ..." : "")
                + "): fix them and submit AioException.notQueued() again";
    }

    // ---------------------------------------------------------------- aio_suspend and waiting

    /**
     * {@code aio_suspend}. Null entries of {@code list} are ignored, wherever they are, as POSIX
     * ignores null pointers in the list; a list with no block at all is an
     * {@code IllegalArgumentException} (nothing could ever end the wait).
     */
    @Override
    public final boolean aioSuspend(List<? extends Aio> list, Duration timeout) throws AioException {
        Objects.requireNonNull(list, "list");
        int size = list.size();
        long deadline = deadline(timeout);
        WaitScratch scratch = WaitScratch.current(size);
        int n = 0;
        try {
            n = collect(list, size, scratch, "aioSuspend");
            if (n == 0) {
                throw new IllegalArgumentException("aioSuspend needs at least one control block to wait for"
                        + (size == 0 ? "" : " (null entries are ignored)"));
            }
            return awaitAny(scratch.ops, 0, n, deadline, true, AIO_SUSPEND_CALL);
        } finally {
            scratch.clear(n);
        }
    }

    private static long deadline(Duration timeout) {
        if (timeout == null) {
            return Long.MAX_VALUE;
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout " + timeout + " is negative; use Duration.ZERO to poll");
        }
        long now = System.nanoTime();
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
        return now + nanos < now ? Long.MAX_VALUE : now + nanos;
    }

    /**
     * Waits until one of {@code ops[from..from+count)} is complete (or not in progress); false at
     * the deadline. Throws EINTR on interrupt when {@code interruptible}.
     */
    final boolean awaitAny(Operation[] ops, int from, int count, long deadline, boolean interruptible,
                           String call) throws AioException {
        while (true) {
            for (int i = from; i < from + count; i++) {
                if (!ops[i].inProgress() || ops[i].poll() != Operation.PENDING) {
                    return true;
                }
            }
            if (interruptible && Thread.currentThread().isInterrupted()) {
                throw Failures.interrupted(call);
            }
            long left = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            enter();
            try {
                awaitSlice(ops, from, count, Math.min(left, WAIT_SLICE_NANOS));
            } finally {
                exit();
            }
        }
    }

    /**
     * Waits until submission {@code submissions[i]} of every {@code ops[i]}, {@code i < n}, is
     * over: completed, or reaped by someone else (a block's own notification may reap and
     * resubmit it; the wait is for this submission, not the next). It waits for the last one
     * first (operations of one descriptor usually finish in submission order), and waits before
     * it looks: right after a submission the answer is almost always "not yet", and on the posix
     * engine each look takes libc's AIO mutex, which the worker threads need at that moment.
     */
    final void awaitAll(Operation[] ops, int[] submissions, int n, String call) throws AioException {
        if (n == 0) {
            return;
        }
        enter();
        try {
            awaitSlice(ops, n - 1, 1, WAIT_SLICE_NANOS);
        } finally {
            exit();
        }
        for (int last = n - 1; last >= 0; ) {
            if (ops[last].finished(submissions[last])) {
                last--;
                continue;
            }
            if (Thread.currentThread().isInterrupted()) {
                throw Failures.interrupted(call);
            }
            enter();
            try {
                awaitSlice(ops, last, 1, WAIT_SLICE_NANOS);
            } finally {
                exit();
            }
        }
    }

    /** Waits for one operation to complete, ignoring interrupts (they are kept for the caller). */
    final void awaitUninterruptibly(Operation op) {
        Operation[] one = {op};
        boolean interrupted = Thread.interrupted();
        try {
            while (op.inProgress() && op.poll() == Operation.PENDING) {
                enter();
                try {
                    awaitSlice(one, 0, 1, WAIT_SLICE_NANOS);
                } finally {
                    exit();
                }
                if (Thread.interrupted()) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- cancel

    /**
     * {@code aio_cancel(fd, NULL)}. A descriptor that is not open is {@code EBADF} on every engine,
     * checked here first, as glibc's {@code aio_cancel} does with {@code fcntl} before it looks
     * for requests: the io_uring and threads engines would otherwise find nothing queued on it
     * and answer {@code AIO_ALLDONE}.
     */
    @Override
    public final AioCancelStat aioCancelAll(int fd) throws AioException {
        int r;
        enter();
        try {
            r = Descriptors.checkOpen(fd);
            if (r == 0) {
                r = cancelAllNative(fd);
            }
        } finally {
            exit();
        }
        if (r < 0) {
            throw Failures.call("aio_cancel(fd=" + fd + ", NULL)", -r);
        }
        return cancelStat(r);
    }

    static AioCancelStat cancelStat(int r) {
        return switch (r) {
            case 0 -> AioCancelStat.AIO_CANCELED;
            case 1 -> AioCancelStat.AIO_NOTCANCELED;
            case 2 -> AioCancelStat.AIO_ALLDONE;
            default -> throw new IllegalStateException("aio_cancel returned " + r + ", which POSIX does not define");
        };
    }

    // ---------------------------------------------------------------- orphans

    /**
     * Keeps an operation whose block became unreachable while its I/O runs, until the I/O ends;
     * then frees it. A reaper thread exists only while there are orphans.
     */
    final void adoptOrphan(Operation op) {
        synchronized (orphans) {
            orphans.add(op);
            if (orphanReaper == null) {
                orphanReaper = Thread.ofPlatform().daemon().name("jaio-" + name + "-orphans").start(this::reapOrphans);
            }
        }
    }

    private void reapOrphans() {
        while (true) {
            Operation[] pending;
            synchronized (orphans) {
                orphans.removeIf(op -> {
                    if (closed) {
                        return true; // the closing engine drains and frees it with the others
                    }
                    if (!op.inProgress() || op.poll() != Operation.PENDING) {
                        op.closeAs("it became unreachable");
                        return true;
                    }
                    return false;
                });
                if (orphans.isEmpty()) {
                    orphanReaper = null;
                    return;
                }
                pending = orphans.toArray(Operation[]::new);
            }
            try {
                enter();
            } catch (IllegalStateException engineClosed) {
                continue;
            }
            try {
                awaitSlice(pending, 0, pending.length, TimeUnit.MILLISECONDS.toNanos(100));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "jaio: waiting for unreachable operations failed", e);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            } finally {
                exit();
            }
        }
    }

    // ---------------------------------------------------------------- close

    /**
     * Cancels every operation in flight, waits for all of them, frees every block's native state,
     * then releases the engine's own resources. Blocks of a closed engine throw
     * {@code IllegalStateException}. The default engine cannot be closed.
     */
    @Override
    public final void close() {
        if (processWide) {
            throw new IllegalStateException("the default engine (" + name + ") lives as long as the process and"
                    + " cannot be closed; close only engines you opened with AioEngine.open");
        }
        synchronized (this) {
            if (closed) {
                awaitDrained(); // another thread closes it: return, as it will, once all is freed
                return;
            }
            closed = true;
        }
        try {
            drainAndFree();
        } finally {
            drained.countDown();
        }
    }

    private void drainAndFree() {
        gate.shutAndAwaitEmpty();
        List<Operation> inFlight = new ArrayList<>();
        for (Operation op : live) {
            if (op.inProgress() && op.storedResult() == Operation.PENDING && pollUnguarded(op) == Operation.PENDING) {
                inFlight.add(op);
                cancelNativeUnguarded(op);
            }
        }
        Operation[] one = new Operation[1];
        for (Operation op : inFlight) {
            one[0] = op;
            while (pollUnguarded(op) == Operation.PENDING) {
                awaitSlice(one, 0, 1, WAIT_SLICE_NANOS);
            }
        }
        for (Operation op : live) {
            op.closeAs("its engine was closed");
        }
        closeNative();
    }

    private static long pollUnguarded(Operation op) {
        long r = op.storedResult();
        return r != Operation.PENDING ? r : op.pollNative();
    }

    private static void cancelNativeUnguarded(Operation op) {
        op.cancelNative();
    }

    // ---------------------------------------------------------------- engine hooks

    /**
     * Whether this engine calls an operation's {@link CompletionListener} when its I/O ends
     * (the engines that learn of completions in Java); false here: the owner must ask.
     */
    public boolean tellsCompletionListeners() {
        return false;
    }

    /** The operation for a new block of this engine. */
    protected abstract Operation newOperation(OpKind kind, int fd, int priority, AioFsyncMode mode,
                                              SigevNotify notify);

    /** Whether {@code AioReadv}/{@code AioWritev} work here. */
    protected abstract boolean supportsVectored();

    /** The exception for vectored I/O on an engine without it. */
    protected UnsupportedOperationException vectoredUnsupported() {
        return new UnsupportedOperationException("the " + name + " engine has no vectored I/O (AioReadv/AioWritev);"
                + " use AioEngine.open(\"io_uring\") or AioEngine.open(\"threads\")");
    }

    /**
     * Starts {@code ops[0..n)} (all validated and in progress) as one list; {@code notify} must
     * fire once when all queued ones completed (at once when none was queued, even with
     * {@code n == 0}). Operations that could not be queued are marked with
     * {@link Operation#notQueued(int)}. Returns 0 or the list call's {@code -errno}.
     */
    protected abstract int startList(Operation[] ops, int n, LioMode mode, SigevNotify notify);

    /**
     * Waits up to {@code nanos} or until one of {@code ops[from..from+count)} may have completed,
     * whichever comes first; may return early. Called inside the gate, or by {@link #close()}.
     */
    protected abstract void awaitSlice(Operation[] ops, int from, int count, long nanos);

    /** {@code aio_cancel(fd, NULL)}: 0, 1, 2 as {@link AioCancelStat}'s order, or {@code -errno}. */
    protected abstract int cancelAllNative(int fd);

    /** Frees the engine's own resources after every operation was drained and freed. */
    protected abstract void closeNative();

    protected static void markNotQueued(Operation op, int errno) {
        op.notQueued(errno);
    }
}
