package dev.jaio;

import dev.jaio.internal.CompletionListener;
import dev.jaio.internal.ffi.FileIo;
import java.lang.foreign.Arena;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.CompletionHandler;
import java.util.concurrent.Future;

/**
 * One pooled control block of an {@link AioFileChannel} and what its current submission needs
 * when it ends: the future, the handler, the user's buffer and the bounce buffer. A channel keeps
 * idle ones in a pool per kind and re-aims them, so an operation allocates only its future.
 *
 * <p>Threads: filled by the submitting thread while idle; from the submit on, owned by the
 * completer, which finishes it and gives it back to the pool. {@link #cancel(int, byte)} may come
 * from any thread and is serialized with the end of the submission by the op's monitor: a cancel
 * names the submission it means ({@link #generation}), so a late timer never cancels the next
 * submission of a reused block.
 *
 * <p><b>Who finishes a submission</b> (on the engines that tell listeners: io_uring, threads) is
 * decided in one word, {@link #route}: the submission's generation in the high 32 bits and the
 * flags {@link #SUBMITTED}, {@link #WAITING}, {@link #HANDED}, {@link #TO_WAITER} in the low ones
 * (and {@link #CANCEL_ASKED}, which hands a cancel to the submitter),
 * each change a CAS. A thread that waits for the future ({@code get}, {@code join}) of a
 * submission the engine has ({@code SUBMITTED}) marks itself {@code WAITING} (one at a time; the
 * others wait on the future). When the engine reports the I/O over, {@link #ioCompleted()} either
 * finds that waiter, marks {@code TO_WAITER} and unparks it, so that the waiter finishes the
 * operation on its own thread (no hop through the completion thread, one wake-up), or marks
 * {@code HANDED} and gives it to the submitting thread or the {@link ChannelCompleter}. A waiter
 * that stops waiting (a timeout, an interrupt) takes its mark back with a CAS, or, if the
 * listener came first, finishes the operation before it leaves. So each submission is finished
 * exactly once, and only after the engine's listener ran.
 */
final class ChannelOp implements CompletionListener {
    static final byte READ = 0, WRITE = 1, FSYNC_DATA = 2, FSYNC_ALL = 3;
    /** What the future gets: an {@code Integer} count (ByteBuffer), a {@code Long} (MemorySegment), nothing (force). */
    static final byte INT_RESULT = 0, LONG_RESULT = 1, VOID_RESULT = 2;
    /** Why a submission was canceled (if it was). */
    static final byte NOT_CANCELED = 0, BY_USER = 1, BY_DEADLINE = 2;

    /** A one-byte buffer idle blocks point at, so that they hold no user memory between submissions. */
    static final MemorySegment NO_BUFFER = Arena.global().allocate(1);

    final AioFileChannel channel;
    final byte kind;
    final Aio aio;
    ChannelCompleter completer;

    // ---- the current submission; written by the submitter before submit, read by the completer
    AioFuture<Object> future;
    byte resultType;
    ByteBuffer byteBuffer;
    /** A heap ByteBuffer's native stand-in, from the channel's {@link BounceBuffers}; or null. */
    MemorySegment bounce;
    long requested;
    CompletionHandler<Object, Object> handler;
    Object attachment;
    /** The deadline's timer task, canceled when the submission ends first; or null. */
    java.util.concurrent.Future<?> deadline;
    /**
     * {@code generation}, {@code inFlight}, {@code canceledBy}: under this op's monitor, except in
     * {@link #begin()}, which no cancel of the generation it begins can overlap.
     */
    int generation;
    boolean inFlight;
    byte canceledBy;

    /** Native scratch of a read served from the page cache ({@link PageCacheReads}); made on first use. */
    private FileIo.NowaitScratch nowaitScratch;

    /** See the class comment: generation (high 32 bits) and the flags below. */
    private volatile long route;
    /** The submitter's submit() returned with the submission in the engine. */
    static final long SUBMITTED = 1;
    /** A thread waits for the submission, to finish it itself: {@link #waiter}. */
    static final long WAITING = 2;
    /** The listener ran with nobody waiting: the submitting thread or the completer finishes it. */
    static final long HANDED = 4;
    /** The listener ran while {@link #waiter} waited: that thread finishes it. */
    static final long TO_WAITER = 8;
    /**
     * A cancel came before {@link #SUBMITTED}: the submitter carries it out in
     * {@link #submittedNow} (set by {@link #cancel}, under the monitor).
     */
    static final long CANCEL_ASKED = 16;
    private static final VarHandle ROUTE;
    private static final VarHandle WAITER;
    /** The thread marked {@link #WAITING}; set before the mark, cleared by that thread when it stops waiting. */
    private volatile Thread waiter;
    /** The last count given to a future ({@link #boxed}): reads of one size box nothing after the first. */
    private Integer lastCount;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ROUTE = l.findVarHandle(ChannelOp.class, "route", long.class);
            WAITER = l.findVarHandle(ChannelOp.class, "waiter", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // ---- the completer's
    ChannelOp nextReady;
    boolean endSeen;
    // ---- the pool's
    /** Its number in its channel, for the channel's free stacks. */
    final int index;
    /** The index of the next idle block below it in its free stack, or -1; written before it is pushed. */
    int nextFreeIndex = -1;

    ChannelOp(AioFileChannel channel, byte kind, Aio aio, int index) {
        this.channel = channel;
        this.kind = kind;
        this.aio = aio;
        this.index = index;
    }

    /** The engine tells us the I/O ended (io_uring, threads): see {@link InlineCompletions#ended}. */
    @Override
    public void ioCompleted() {
        while (true) {
            long r = route;
            if ((r & WAITING) != 0) {
                if (ROUTE.compareAndSet(this, r, r | TO_WAITER)) {
                    Thread w = waiter;
                    if (w != Thread.currentThread()) {
                        java.util.concurrent.locks.LockSupport.unpark(w);
                    }
                    return;
                }
            } else if (ROUTE.compareAndSet(this, r, r | HANDED)) {
                InlineCompletions.ended(this);
                return;
            }
        }
    }

    /**
     * Marks the calling thread as the one that finishes submission {@code gen} when the engine
     * reports it over; false if it may not (the submission is not in the engine yet, already
     * reported, another thread waits for it, or it is over): then it waits on the future.
     */
    boolean enterWait(int gen) {
        long r = route;
        if (r != (((long) gen << 32) | SUBMITTED) || !completer.told) {
            return false;
        }
        Thread me = Thread.currentThread();
        if (!WAITER.compareAndSet(this, null, me)) {
            return false;
        }
        if (ROUTE.compareAndSet(this, r, r | WAITING)) {
            return true;
        }
        waiter = null;
        return false;
    }

    /** Whether the listener handed submission {@code gen} to its waiter (the caller, after {@link #enterWait}). */
    boolean handedToWaiter(int gen) {
        long r = route;
        return (r & TO_WAITER) != 0 && (int) (r >>> 32) == gen;
    }

    /**
     * The waiter of submission {@code gen} stops waiting before it was handed the submission (a
     * timeout, an interrupt). Returns false if the listener handed it the submission meanwhile:
     * then the caller must finish it ({@link #finishAsWaiter}).
     */
    boolean leaveWait(int gen) {
        while (true) {
            long r = route;
            if ((r & TO_WAITER) != 0) {
                return false;
            }
            if (ROUTE.compareAndSet(this, r, r & ~WAITING)) {
                waiter = null;
                return true;
            }
        }
    }

    /**
     * Has the engine give the kernel what it deferred (see {@code Operation#flushDeferred}), this
     * submission included, before the calling thread waits for it. Completions reaped meanwhile
     * are finished on this thread, as they are after a submission.
     */
    void flushDeferred() {
        dev.jaio.internal.Operation o = ((ControlBlock) aio).op;
        if (!o.mayBeDeferred()) {
            return;
        }

        InlineCompletions inline = InlineCompletions.current();
        inline.beforeSubmit();
        try {
            o.flushDeferred();
        } finally {
            inline.afterSubmit();
        }
    }

    /** The waiter finishes the submission the listener handed it. */
    void finishAsWaiter() {
        waiter = null;
        try {
            channel.finish(this);
        } catch (Throwable t) {
            dev.jaio.internal.Callbacks.report(t);
        }
    }

    /** {@code n} boxed for a future, reusing the previous box of the same count. */
    Integer boxed(int n) {
        Integer b = lastCount;
        if (b == null || b != n) {
            b = n;
            lastCount = b;
        }
        return b;
    }

    /**
     * Marks the submission begun (not yet handed to the engine); returns its generation, the name
     * cancels use.
     *
     * <p>Without the monitor: the block is idle, taken from the pool by the calling thread (the
     * pool's CAS orders this after the previous submission's {@link #returnAndEnd}). The only
     * other threads that can reach it now are late cancels of an earlier generation (a timer, a
     * stale future), and those find {@code gen != generation} under the monitor and do nothing,
     * whatever they read of the fields written here. A cancel of this generation needs its
     * future or its timer, and both are handed out after this returns.
     */
    int begin() {
        inFlight = true;
        canceledBy = NOT_CANCELED;
        route = (long) generation << 32;
        return generation;
    }

    /**
     * The submitter's {@code submit()} of generation {@code gen} returned: a cancel asked for
     * meanwhile ({@link #CANCEL_ASKED}) is carried out now, by the submitter. One CAS on
     * {@link #route}, and the monitor only for such a cancel: if the submission already ended
     * (and its block may have begun another), the generation in {@code route} or under the
     * monitor says so, and nothing is done.
     */
    void submittedNow(int gen) {
        long r;
        do {
            r = route;
            if ((int) (r >>> 32) != gen) {
                return; // ended, and the block begun again
            }
        } while (!ROUTE.compareAndSet(this, r, r | SUBMITTED)); // waiters may now wait to finish it (enterWait)
        if ((r & CANCEL_ASKED) != 0) {
            synchronized (this) {
                if (inFlight && gen == generation) {
                    cancelInEngine();
                }
            }
        }
    }

    /**
     * The submission ended: {@code aioReturn()} it (under this op's monitor, so that no cancel
     * runs at the same time) and make later cancels of it do nothing.
     *
     * @return the byte count
     * @throws AioException how the operation failed
     */
    synchronized long returnAndEnd() throws AioException {
        try {
            return aio.aioReturn();
        } finally {
            inFlight = false;
            generation++;
        }
    }

    /** The submission never reached the engine. */
    synchronized void end() {
        inFlight = false;
        generation++;
    }

    /**
     * Asks the engine to cancel submission {@code gen}, if it is still the one in flight
     * ({@code aio_cancel}); whether it worked shows in how the operation ends. Before the
     * submitter's {@code submit()} returned, the cancel is left to the submitter.
     *
     * @return whether the submission was still in flight
     */
    synchronized boolean cancel(int gen, byte why) {
        if (!inFlight || gen != generation) {
            return false;
        }
        if (canceledBy == NOT_CANCELED) {
            canceledBy = why;
        }
        while (true) {
            long r = route;
            if ((r & SUBMITTED) != 0) {
                cancelInEngine();
                break;
            }
            if (ROUTE.compareAndSet(this, r, r | CANCEL_ASKED)) {
                break; // the submitter carries it out when its submit() returns (submittedNow)
            }
        }
        return true;
    }

    private void cancelInEngine() {
        try {
            aio.cancel();
        } catch (AioException | IllegalStateException e) {
            // EBADF (the channel closed meanwhile) or a closed engine: the operation ends anyway.
        }
    }

    /** The scratch a {@link PageCacheReads} read of the thread that took this block from the pool uses. */
    FileIo.NowaitScratch nowaitScratch() {
        FileIo.NowaitScratch s = nowaitScratch;
        if (s == null) {
            s = new FileIo.NowaitScratch();
            nowaitScratch = s;
        }
        return s;
    }
}
