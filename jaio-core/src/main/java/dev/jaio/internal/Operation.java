package dev.jaio.internal;

import dev.jaio.AioCancelStat;
import dev.jaio.AioException;
import dev.jaio.AioFsyncMode;
import dev.jaio.Errno;
import dev.jaio.SigevNotify;
import dev.jaio.internal.ffi.Descriptors;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The engine-side state of one control block, and the one place where the POSIX life cycle of
 * a block is kept, for every engine:
 * <pre>
 *   IDLE --submit ok--&gt; IN_PROGRESS --(I/O completes: result set)--&gt; aioReturn --&gt; IDLE
 *     |  \--submit fails: idle, error() = why                                  |
 *     +--close / engine close / unreachable and done--&gt; CLOSED &lt;---------------+
 * </pre>
 * {@code IN_PROGRESS} lasts from a successful submit until {@link #aioReturn()}, as nix's
 * {@code in_progress} does; inside it, {@link #poll()} tells whether the I/O itself has
 * completed ({@link #PENDING} until then).
 *
 * <p>An engine subclasses this to hold its native state (an {@code aiocb}, iovecs) and implements
 * the hooks: {@link #startSingle()}, {@link #pollNative()}, {@link #cancelNative()},
 * {@link #freeNative()}. Engines that learn of completions in Java (io_uring, threads) call
 * {@link #complete(long)}; the posix engine asks libc in {@link #pollNative()}.
 *
 * <p>Threads: a block is driven by one thread at a time (like a C {@code aiocb}), but
 * {@link #error()}, {@link #inProgress()} and {@link #poll()} may be called from any thread,
 * and completions arrive on engine threads; the phase and the result are volatile, and the
 * transitions that must not race (submit, free) use a compare-and-set or a lock.
 *
 * <p>Closing races with submitting when a block's own notification reaps and resubmits it while
 * another thread closes it. The phase word settles it: {@link #close()} first flags it
 * {@code CLOSING}, after which no submission can start, and then waits for the one a submitter
 * may be making ({@code SUBMITTING}, set with the move into progress and cleared when the engine
 * has the submission) before it asks whether the I/O is over and frees anything.
 */
public abstract class Operation {
    /** {@link #poll()} while the I/O has not completed. */
    public static final long PENDING = Long.MIN_VALUE;

    /*
     * The phase word: the state in its two low bits, two flags, and from bit 4 up the number of
     * the submission that last moved it into progress (so that a flag is cleared only for the
     * submission that set it, never for a later one of another thread).
     */
    private static final int IDLE = 0, IN_PROGRESS = 1, CLOSED = 2;
    private static final int STATE = 3;
    /**
     * Added by {@link #close()} before anything else: from then on no submission can start
     * ({@code submit()} and lists move the phase from an idle word without flags), so the closer
     * frees nothing that a submission of another thread fills in or has handed to the engine.
     */
    private static final int CLOSING = 4;
    /**
     * Set with {@code IN_PROGRESS} by the submitting thread and cleared once the engine has the
     * submission ({@link #startSingle()} or the list call returned): until then the block's
     * result still belongs to the previous submission, so a {@link #close()} of another thread
     * waits for the flag to go before it asks whether the I/O is over.
     */
    private static final int SUBMITTING = 8;
    private static final int TAG_SHIFT = 4;
    private static final VarHandle PHASE;

    static {
        try {
            PHASE = MethodHandles.lookup().findVarHandle(Operation.class, "phase", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    protected final AbstractEngine engine;
    protected final OpKind kind;
    protected final int fd;
    protected final int priority;
    protected final AioFsyncMode fsyncMode;

    protected long offset;
    protected MemorySegment buffer;
    protected MemorySegment[] buffers;
    protected SigevNotify notify;

    private volatile int phase = IDLE;
    private volatile long result = PENDING;
    /**
     * Counts submissions (single or in a list), so that code holding on to one submission (a
     * {@code LIO_WAIT} list, a late poll) can tell it from the next, after the block's own
     * notification has reaped and resubmitted it.
     */
    private volatile int submissions;
    private volatile int idleErrno;
    private volatile String closedBecause;
    private boolean freed;
    /** Stamp of the last list call that saw this operation; finds duplicates without allocating. */
    long listStamp;
    /**
     * Stamp of the last list call that could not queue this operation. A list learns what it did
     * not queue from this, never from the queued blocks, whose notifications may already have
     * reaped, closed or resubmitted them.
     */
    long notQueuedBy;
    /** Engines that complete in Java: the thread parked waiting for this operation, if any. */
    volatile Thread waiter;
    /** Engines that complete in Java: the list whose notification this operation counts toward. */
    ListCompletion group;
    /** Told when the I/O ends, by engines that {@linkplain AbstractEngine#tellsCompletionListeners() tell}; or null. */
    CompletionListener listener;
    /** Data the block owns ({@code AioWrite.of}), freed with the operation. */
    private AutoCloseable owned;
    /** What the engine gives the kernel for {@link #buffer}/{@link #buffers}: see {@link #stageBuffers()}. */
    private MemorySegment ioBuffer;
    private MemorySegment[] ioBuffers;
    /** The block's own memory for buffers of closeable arenas; null until one is used. */
    private StagedBuffers staged;
    /** This submission reads into staged memory: completing it delivers the bytes to the user's buffers. */
    private boolean deliverOnCompletion;
    /**
     * {@link CallOrder#ask}'s answer for this block, kept once had (-1 until then). Written and
     * read by the thread that submits, one at a time, as all of a block's idle state.
     */
    private int callOrder = -1;

    protected Operation(AbstractEngine engine, OpKind kind, int fd, int priority, AioFsyncMode fsyncMode,
                        SigevNotify notify) {
        this.engine = engine;
        this.kind = kind;
        this.fd = fd;
        this.priority = priority;
        this.fsyncMode = fsyncMode;
        this.notify = notify == null ? SigevNotify.none() : notify;
    }

    // ---------------------------------------------------------------- accessors

    public final AbstractEngine engine() {
        return engine;
    }

    public final OpKind kind() {
        return kind;
    }

    public final int fd() {
        return fd;
    }

    public final int priority() {
        return priority;
    }

    public final AioFsyncMode fsyncMode() {
        return fsyncMode;
    }

    public final long offset() {
        return offset;
    }

    public final MemorySegment buffer() {
        return buffer;
    }

    public final MemorySegment[] buffers() {
        return buffers;
    }

    public final SigevNotify sigevNotify() {
        return notify;
    }

    /**
     * The memory the engine hands to the kernel for {@link #buffer()} in the current submission:
     * the buffer itself, or the block's staged copy of it (see {@link BufferLifetime}).
     */
    public final MemorySegment ioBuffer() {
        return ioBuffer;
    }

    /** Likewise for vectored buffer {@code i}. */
    public final MemorySegment ioBuffer(int i) {
        return ioBuffers[i];
    }

    /** Bytes asked for: the buffer's size, the sum of the vectored buffers, 0 for fsync. */
    public final long nbytes() {
        if (buffer != null) {
            return buffer.byteSize();
        }
        long n = 0;
        if (buffers != null) {
            for (MemorySegment b : buffers) {
                n += b.byteSize();
            }
        }
        return n;
    }

    /**
     * Whether this block's operations must keep call order on its descriptor (see
     * {@link CallOrder#ask}): asked of the kernel at the block's first submission, then kept, so
     * a reused block makes no system call for it. False when the descriptor could not be asked
     * (not open: the operation fails on its own). For the engines that keep the order themselves;
     * called by the submitting thread.
     */
    public final boolean inCallOrder() {
        int answer = callOrder;
        if (answer < 0) {
            answer = CallOrder.ask(fd, kind);
            if (answer < 0) {
                return false;
            }
            callOrder = answer;
        }
        return answer == CallOrder.IN_CALL_ORDER;
    }

    /** From a successful submit until {@link #aioReturn()}. */
    public final boolean inProgress() {
        return (phase & STATE) == IN_PROGRESS;
    }

    /** Whether the block was closed, by its owner or by its engine. */
    public final boolean isClosed() {
        return (phase & STATE) == CLOSED;
    }

    // ---------------------------------------------------------------- re-aiming (idle only)

    public final void setOffset(long offset) {
        requireIdle("setOffset");
        this.offset = offset;
    }

    public final void setBuffer(MemorySegment buffer) {
        requireIdle("setBuffer");
        this.buffer = buffer;
    }

    public final void setBuffers(MemorySegment[] buffers) {
        requireIdle("setBuffers");
        this.buffers = buffers;
    }

    public final void setNotify(SigevNotify notify) {
        requireIdle("setSigevNotify");
        SigevNotify old = this.notify;
        this.notify = notify == null ? SigevNotify.none() : notify;
        onNotifyChanged(old);
    }

    /**
     * Sets who is told when this operation's I/O ends (see {@link CompletionListener}); only
     * engines whose {@link AbstractEngine#tellsCompletionListeners()} is true call it.
     */
    public final void setCompletionListener(CompletionListener listener) {
        requireIdle("setCompletionListener");
        this.listener = listener;
    }

    /** Lets the operation own memory (such as {@code AioWrite.of}'s copy) until it is freed. */
    public final void own(AutoCloseable resource) {
        this.owned = resource;
    }

    // ---------------------------------------------------------------- the life cycle

    /** {@code aio_read}/{@code aio_write}/{@code aio_fsync}...: see {@code Aio.submit()}. */
    public final void submit() throws AioException {
        submit(false);
    }

    /**
     * {@link #submit()}, where the engine may leave the operation among its deferred submissions,
     * handed to the kernel together with later ones (see {@link #startSingleDeferrable()}); for
     * callers that flush with {@link #flushDeferred()} before they wait for it (the channel).
     */
    public final void submitDeferrable() throws AioException {
        submit(true);
    }

    private void submit(boolean deferrable) throws AioException {
        requireOpen();
        if (kind.vectored() && !engine.supportsVectored()) {
            throw engine.vectoredUnsupported();
        }
        requireLiveBuffers();
        if (!validPriority()) {
            if ((phase & STATE) == IN_PROGRESS) {
                throw alreadyInProgress();
            }
            idleErrno = Errno.EINVAL.code();
            throw Failures.operation(this, Errno.EINVAL.code(), "priority " + priority + " is outside 0.."
                    + AbstractEngine.AIO_PRIO_DELTA_MAX + " (AIO_PRIO_DELTA_MAX)");
        }
        // The whole submission, from the moment the block is in progress, happens inside the
        // engine's gate: an engine that closes meanwhile waits for it to end (submitted, then
        // drained; or refused, the block idle again) instead of freeing native state that this
        // thread is still filling in, or waiting for an operation that was never submitted.
        engine.enter();
        int r;
        try {
            int submission = enterProgress();
            if (submission == 0) {
                throw notIdle();
            }
            try {
                stageBuffers();
                r = deferrable ? startSingleDeferrable() : startSingle();
            } catch (RuntimeException | Error e) {
                backToIdle();
                throw e;
            }
            endSubmitting(submission);
        } finally {
            engine.exit();
        }
        if (r < 0) {
            backToIdle();
            idleErrno = -r;
            throw Failures.operation(this, -r, null);
        }
    }

    /** Why a block could not move from idle into progress: it is in progress, or being closed. */
    private IllegalStateException notIdle() {
        int p = phase;
        return (p & STATE) == CLOSED || (p & CLOSING) != 0 ? closed() : alreadyInProgress();
    }

    /**
     * Idle to in progress, flagged {@link #SUBMITTING}, for a new submission whose number it
     * returns; 0 if the block is not idle or is being closed. The result is reset for the new
     * submission while the flag keeps a closer from reading it.
     */
    private int enterProgress() {
        int p = phase;
        if ((p & (STATE | CLOSING | SUBMITTING)) != IDLE) {
            return 0;
        }
        int submission = submissions + 1;
        if (submission == 0) {
            submission = 1; // 0 means "refused" here; a wrapped count skips it
        }
        if (!PHASE.compareAndSet(this, p, IN_PROGRESS | SUBMITTING | (submission << TAG_SHIFT))) {
            return 0;
        }
        submissions = submission;
        result = PENDING;
        return submission;
    }

    /**
     * The engine has submission {@code submission}: clears its {@link #SUBMITTING} flag, unless
     * the phase moved on meanwhile (reaped by a notification, perhaps resubmitted, or closed).
     */
    final void endSubmitting(int submission) {
        int tag = submission << TAG_SHIFT;
        while (true) {
            int p = phase;
            if ((p & SUBMITTING) == 0 || (p & ~(STATE | CLOSING | SUBMITTING)) != tag) {
                return;
            }
            if (PHASE.compareAndSet(this, p, p & ~SUBMITTING)) {
                return;
            }
        }
    }

    private IllegalStateException alreadyInProgress() {
        return new IllegalStateException(describe() + " is already in progress: wait for it (Aio.aioSuspend or"
                + " error() until not EINPROGRESS), then call aioReturn() before submitting it again");
    }


    /** {@code aio_error}: see {@code Aio.error()}. */
    public final Errno error() {
        int p = phase & STATE;
        if (p == CLOSED) {
            throw closed();
        }
        if (p == IDLE) {
            return Errno.of(idleErrno);
        }
        long r = poll();
        if (r == PENDING) {
            return Errno.EINPROGRESS;
        }
        return r >= 0 ? Errno.SUCCESS : Errno.of((int) -r);
    }

    /** {@code aio_return}: see {@code Aio.aioReturn()}. */
    public final long aioReturn() throws AioException {
        int p = phase & STATE;
        if (p == CLOSED) {
            throw closed();
        }
        if (p == IDLE) {
            throw new IllegalStateException(describe() + " is not in progress: aioReturn() finishes a submitted"
                    + " operation once, and this one " + (idleErrno == 0 ? "was never submitted or was already returned"
                    : "failed to submit with " + Errno.of(idleErrno) + "; fix it and submit() again"));
        }
        long r = poll();
        if (r == PENDING) {
            throw new IllegalStateException(describe() + " is still in progress: wait until error() is no longer"
                    + " EINPROGRESS (or use Aio.aioSuspend) before calling aioReturn()");
        }
        if (returnTouchesNativeState()) {
            engine.enter();
            try {
                onReturned();
            } finally {
                engine.exit();
            }
        } else {
            // Nothing native to touch, so no gate: two atomic updates fewer per read (and none on
            // a stripe another thread may share). A closed engine still refuses, as the gate would.
            engine.requireOpen();
        }
        idleErrno = r < 0 ? (int) -r : 0;
        result = PENDING;
        backToIdle();
        if (r < 0) {
            throw Failures.operation(this, (int) -r, null);
        }
        return r;
    }

    /**
     * {@code aio_cancel(fd, this)}: see {@code Aio.cancel()}. Like glibc, it first checks that the
     * block's descriptor is open ({@code EBADF} if not, whatever the block's state), so that every
     * engine answers a cancel on a closed descriptor as the posix engine does.
     */
    public final AioCancelStat cancel() throws AioException {
        int p = phase & STATE;
        if (p == CLOSED) {
            throw closed();
        }
        int r;
        engine.enter();
        try {
            r = Descriptors.checkOpen(fd);
            if (r == 0) {
                if (p == IDLE || poll() != PENDING) {
                    return AioCancelStat.AIO_ALLDONE;
                }
                r = cancelNative();
            }
        } finally {
            engine.exit();
        }
        if (r < 0) {
            throw Failures.call("aio_cancel(fd=" + fd + ", " + describe() + ")", -r);
        }
        return AbstractEngine.cancelStat(r);
    }

    /**
     * The I/O's outcome: {@link #PENDING}, bytes transferred ({@code >= 0}), or {@code -errno}.
     * Only meaningful while {@link #inProgress()}.
     */
    public final long poll() {
        long r = result;
        if (r != PENDING || (phase & STATE) != IN_PROGRESS) {
            return r;
        }
        engine.enter();
        try {
            return pollNative();
        } finally {
            engine.exit();
        }
    }

    /** The result without asking the engine: what {@link #complete(long)} or a poll stored. */
    protected final long storedResult() {
        return result;
    }

    /**
     * Records the I/O's outcome ({@code >= 0} bytes or {@code -errno}), after delivering what a
     * read brought into staged memory; the engine then wakes whoever waits for it. Called once per
     * submission, by the engine that learns of completions itself, from any thread.
     *
     * @return the outcome recorded: {@code r}, or {@code -EFAULT} when a staged read's bytes could
     *         not be delivered because the arena of its buffer was closed meanwhile
     */
    protected final long complete(long r) {
        long outcome = deliverOnCompletion ? deliver(r) : r;
        result = outcome;
        return outcome;
    }

    /** The submission now in progress (or last made), for {@link #completeIfCurrent}. */
    protected final int submission() {
        return submissions;
    }

    /**
     * {@link #complete(long)} for engines that learn of a completion by asking (posix, where any
     * thread's {@code error()} may ask at once): records {@code r} only if submission
     * {@code submission} is still the current one and has no outcome yet, so that a late answer
     * never lands on the next submission and a read is delivered once.
     *
     * @return the outcome now recorded for the current submission
     */
    protected final long completeIfCurrent(long r, int submission) {
        synchronized (this) {
            if (submissions != submission || (phase & STATE) != IN_PROGRESS || result != PENDING) {
                return result;
            }
            return complete(r);
        }
    }

    /**
     * {@code close()}: if the I/O is still running, cancel it and wait for it, uninterruptibly,
     * then free; afterwards nothing touches the block's memory or buffers again. A submission
     * another thread starts meanwhile is refused ({@link #CLOSING}); one it started before is
     * waited for like any I/O in flight.
     */
    public final void close() {
        int p = markClosing();
        if ((p & STATE) == CLOSED) {
            return;
        }
        p = awaitSubmitted(p) & STATE;
        if (p == IN_PROGRESS && engine.isClosed()) {
            // The engine is closing: it cancels, drains and frees every operation it still holds,
            // this one included. Freeing it here could free what the kernel or libc still writes
            // (and the caller would then free the buffers): wait for the engine instead.
            engine.awaitDrained();
        } else if (p == IN_PROGRESS) {
            try {
                if (poll() == PENDING) {
                    engine.enter();
                    try {
                        cancelNative();
                    } finally {
                        engine.exit();
                    }
                    engine.awaitUninterruptibly(this);
                }
                engine.enter();
                try {
                    onReturned();
                } finally {
                    engine.exit();
                }
            } catch (IllegalStateException engineClosedMeanwhile) {
                // The engine began to close while we waited: it drains and frees this one too.
                engine.awaitDrained();
            }
        }
        closeAs("it was closed");
    }

    /** Adds {@link #CLOSING} to the phase word (unless closed); returns the word it left. */
    private int markClosing() {
        while (true) {
            int p = phase;
            if ((p & STATE) == CLOSED || (p & CLOSING) != 0) {
                return p;
            }
            if (PHASE.compareAndSet(this, p, p | CLOSING)) {
                return p | CLOSING;
            }
        }
    }

    /**
     * Waits until a submission that another thread was making when {@code seen} was read has
     * reached the engine (or failed); returns the phase word then. It takes microseconds: the
     * submitter is inside the engine's submit call.
     */
    private int awaitSubmitted(int seen) {
        int p = seen;
        for (int spins = 0; (p & SUBMITTING) != 0; spins++) {
            if (spins < 100) {
                Thread.onSpinWait();
            } else if (spins < 200) {
                Thread.yield();
            } else {
                java.util.concurrent.locks.LockSupport.parkNanos(50_000);
            }
            p = phase;
        }
        return p;
    }

    /**
     * Cleaner action for a block that became unreachable: free now if nothing runs, else hand
     * the operation to the engine, which keeps it (and so its buffers) alive until the I/O ends.
     */
    final void unreachable() {
        int p = phase & STATE;
        if (p == CLOSED) {
            return;
        }
        if (p == IN_PROGRESS && engine.isClosed()) {
            return; // the closing engine drains and frees it
        }
        if (p == IN_PROGRESS && poll() == PENDING) {
            engine.adoptOrphan(this);
            return;
        }
        closeAs("it became unreachable");
    }

    /**
     * In progress to idle, unless the block was closed meanwhile by another thread (a
     * {@code close()} racing with the block's own notification that reaps it): a closed block
     * stays closed, its native state freed, whatever the other thread was in the middle of.
     */
    private void backToIdle() {
        while (true) {
            int p = phase;
            // (A close() that began meanwhile keeps its CLOSING; the submission's tag stays.)
            if ((p & STATE) != IN_PROGRESS || PHASE.compareAndSet(this, p, p & ~(STATE | SUBMITTING) | IDLE)) {
                return;
            }
        }
    }

    /** Marks the operation closed and frees its native state, exactly once. */
    final void closeAs(String because) {
        synchronized (this) {
            if (freed) {
                return;
            }
            freed = true;
            closedBecause = because;
            phase = CLOSED;
        }
        try {
            freeNative();
        } finally {
            engine.forget(this);
            if (staged != null) {
                staged.free();
            }
            if (owned != null) {
                try {
                    owned.close();
                } catch (Exception e) {
                    throw new IllegalStateException("freeing the data of " + describe() + " failed", e);
                }
            }
        }
    }

    // ---------------------------------------------------------------- helpers for the shared list code

    /**
     * Refuses buffers whose arena was closed: their memory may already belong to someone else.
     * (The block keeps its segments reachable, so only an explicitly closed arena can get here.)
     */
    final void requireLiveBuffers() {
        if (buffer != null && !buffer.scope().isAlive()) {
            throw deadBuffer();
        }
        if (buffers != null) {
            for (MemorySegment b : buffers) {
                if (!b.scope().isAlive()) {
                    throw deadBuffer();
                }
            }
        }
    }

    private IllegalStateException deadBuffer() {
        return new IllegalStateException(describe() + ": the arena of its buffer was closed; keep the arena open"
                + " until aioReturn(), or setBuffer() to a live segment");
    }

    final boolean validPriority() {
        return priority >= 0 && priority <= AbstractEngine.AIO_PRIO_DELTA_MAX;
    }

    /**
     * Moves an idle operation into progress for a list and stages its buffers; false if it was
     * not idle. A buffer that cannot be staged (its arena was just closed) leaves it idle and
     * throws.
     */
    final boolean beginForList() {
        if (enterProgress() == 0) {
            return false;
        }
        try {
            stageBuffers();
        } catch (RuntimeException e) {
            backToIdle();
            throw e;
        }
        return true;
    }

    /** Marks a list member that the engine could not queue: idle again, error() says why. */
    final void notQueued(int errno) {
        idleErrno = errno;
        notQueuedBy = listStamp;
        backToIdle();
    }

    /** A list member that was never handed to the engine (it failed validation). */
    final void rejected(int errno) {
        idleErrno = errno;
        notQueuedBy = listStamp;
    }

    /** Whether the list call with {@code stamp} could not queue this operation. */
    final boolean notQueuedBy(long stamp) {
        return notQueuedBy == stamp;
    }

    /**
     * Whether submission {@code submission} is over as far as a waiter is concerned: it
     * completed, or it was already reaped (and perhaps resubmitted, or closed) by someone else.
     */
    final boolean finished(int submission) {
        return submissions != submission || (phase & STATE) != IN_PROGRESS || poll() != PENDING;
    }

    /**
     * The outcome of submission {@code submission} ({@code >= 0} or {@code -errno}), or
     * {@link #PENDING} when it is not known any more because someone else reaped it.
     */
    final long outcomeOf(int submission) {
        long r = poll();
        return submissions == submission ? r : PENDING;
    }

    // ---------------------------------------------------------------- buffers and their lifetime

    /**
     * Chooses, for the submission about to start, the memory the kernel gets for each buffer
     * ({@link BufferLifetime}): a buffer kept alive by reachability, or owned by the block, is
     * handed over as it is; a buffer of a closeable arena goes through the block's own staged
     * memory (a write's data is copied now; a read's is delivered by {@link #complete(long)}).
     * Runs on the submitting thread once the block is in progress, so nobody re-aims it meanwhile.
     *
     * @throws IllegalStateException if the arena of a buffer was closed (nothing was started)
     * @throws IllegalArgumentException for a buffer of a thread-confined arena
     */
    private void stageBuffers() {
        boolean reads = kind == OpKind.READ || kind == OpKind.READV;
        deliverOnCompletion = false;
        if (buffer != null) {
            ioBuffer = stage(0, buffer, reads);
        } else if (buffers != null) {
            if (ioBuffers == null || ioBuffers.length != buffers.length) {
                ioBuffers = new MemorySegment[buffers.length];
            }
            for (int i = 0; i < buffers.length; i++) {
                ioBuffers[i] = stage(i, buffers[i], reads);
            }
        }
    }

    private MemorySegment stage(int index, MemorySegment user, boolean reads) {
        BufferLifetime lifetime = BufferLifetime.of(user);
        if (lifetime == BufferLifetime.REACHABILITY || ownsMemoryOf(user)) {
            return user;
        }
        if (lifetime == BufferLifetime.CONFINED) {
            throw new IllegalArgumentException(describe() + ": " + BufferLifetime.confinedRefusal());
        }
        if (staged == null) {
            staged = new StagedBuffers();
        }
        MemorySegment area = staged.area(index, user.byteSize());
        if (reads) {
            deliverOnCompletion = true;
        } else {
            try {
                MemorySegment.copy(user, 0, area, 0, user.byteSize());
            } catch (IllegalStateException closedMeanwhile) {
                throw deadBuffer();
            }
        }
        return area;
    }

    private boolean ownsMemoryOf(MemorySegment segment) {
        return owned instanceof java.lang.foreign.Arena a && a.scope().equals(segment.scope());
    }

    /**
     * Copies the {@code r} bytes a staged read brought in to the user's buffers (in order, for a
     * vectored read). The arena of a buffer may have been closed meanwhile: the bytes are then
     * dropped, and the read fails with {@code EFAULT} (the errno of a read into memory that is not
     * the caller's any more); the kernel only ever wrote the block's own memory.
     */
    private long deliver(long r) {
        if (r <= 0) {
            return r;
        }
        try {
            if (buffer != null) {
                MemorySegment.copy(ioBuffer, 0, buffer, 0, Math.min(r, buffer.byteSize()));
            } else {
                long left = r;
                for (int i = 0; i < buffers.length && left > 0; i++) {
                    long n = Math.min(left, buffers[i].byteSize());
                    if (ioBuffers[i] != buffers[i]) {
                        MemorySegment.copy(ioBuffers[i], 0, buffers[i], 0, n);
                    }
                    left -= n;
                }
            }
            return r;
        } catch (IllegalStateException arenaClosed) {
            return -Errno.EFAULT.code();
        }
    }

    final void requireIdle(String what) {
        int p = phase;
        if ((p & STATE) == CLOSED || (p & CLOSING) != 0) {
            throw closed();
        }
        if ((p & STATE) == IN_PROGRESS) {
            throw new IllegalStateException(what + " is not allowed while " + describe() + " is in progress:"
                    + " call it after aioReturn()");
        }
    }

    final void requireOpen() {
        if ((phase & STATE) == CLOSED) {
            throw closed();
        }
    }

    private IllegalStateException closed() {
        String because = closedBecause;
        return new IllegalStateException(describe() + (because == null ? " is being closed by another thread"
                : " is closed (" + because + ")") + "; create a new control block");
    }

    /** {@code "aio_read(fd=5, offset=2, nbytes=4)"}: how messages name this operation. */
    public final String describe() {
        StringBuilder s = new StringBuilder(kind.cName()).append("(fd=").append(fd);
        if (kind.transfers()) {
            s.append(", offset=").append(offset).append(", nbytes=").append(nbytes());
        } else {
            s.append(", mode=").append(fsyncMode);
        }
        if (priority != 0) {
            s.append(", priority=").append(priority);
        }
        return s.append(')').toString();
    }

    @Override
    public String toString() {
        return describe();
    }

    // ---------------------------------------------------------------- engine hooks

    /** Starts this one operation: 0, or {@code -errno} if it could not be queued. */
    protected abstract int startSingle();

    /**
     * Like {@link #startSingle()}, but an engine that submits with a system call may defer the
     * call: the operation then waits, queued in the engine, until a later submission, a
     * {@link #flushDeferred()} or the engine's own deadline gives it to the kernel. The default
     * starts it at once.
     */
    protected int startSingleDeferrable() {
        return startSingle();
    }

    /**
     * Gives the kernel at once whatever this operation's engine deferred on the rings this
     * operation may wait for; a caller about to wait for the operation calls it first. Returns
     * without doing anything when nothing is deferred, or when the calling thread holds one of the
     * engine's locks. The default does nothing.
     */
    public void flushDeferred() {
    }

    /**
     * Whether this operation may be among its engine's deferred submissions (see
     * {@link #startSingleDeferrable()}), so that {@link #flushDeferred()} may have something to
     * do for it: a cheap check, which spares a waiter the flush's bookkeeping. The default: false.
     */
    public boolean mayBeDeferred() {
        return false;
    }

    /**
     * Asks the engine whether the I/O completed: {@link #PENDING}, or the result, which the
     * implementation also records with {@link #complete(long)}. Called only while in progress and
     * no result is stored yet.
     */
    protected abstract long pollNative();

    /** {@code aio_cancel} for this operation: 0 canceled, 1 not canceled, 2 all done, or {@code -errno}. */
    protected abstract int cancelNative();

    /** The operation was returned (or is being closed after completing); libc wants {@code aio_return}. */
    protected void onReturned() {
    }

    /**
     * Whether {@link #onReturned()} touches native state, so that {@code aioReturn()} must call it
     * inside the engine's gate. False (the default) for engines whose {@code onReturned()} does
     * nothing; an engine that overrides {@code onReturned()} returns true.
     */
    protected boolean returnTouchesNativeState() {
        return false;
    }

    /** The notification changed while idle; an engine that encodes it natively re-encodes it. */
    protected void onNotifyChanged(SigevNotify old) {
    }

    /** Frees the native state; called once, when no I/O can touch it any more. */
    protected abstract void freeNative();
}
