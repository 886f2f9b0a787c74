package dev.jaio;

import dev.jaio.internal.CompletionListener;
import java.lang.foreign.Arena;
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
    /** Under this op's monitor. */
    int generation;
    boolean inFlight;
    /** The submitter's submit() returned. */
    boolean submitted;
    byte canceledBy;

    // ---- the completer's
    ChannelOp nextReady;
    boolean endSeen;
    // ---- the pool's
    ChannelOp nextFree;

    ChannelOp(AioFileChannel channel, byte kind, Aio aio) {
        this.channel = channel;
        this.kind = kind;
        this.aio = aio;
    }

    /** The engine tells us the I/O ended (io_uring, threads): see {@link InlineCompletions#ended}. */
    @Override
    public void ioCompleted() {
        InlineCompletions.ended(this);
    }

    /** Marks the submission begun (not yet handed to the engine); returns its generation, the name cancels use. */
    synchronized int begin() {
        inFlight = true;
        submitted = false;
        canceledBy = NOT_CANCELED;
        return generation;
    }

    /**
     * The submitter's {@code submit()} of generation {@code gen} returned: a cancel asked for
     * meanwhile is carried out now, by the submitter. (A block is driven by one thread at a
     * time: nobody calls {@code cancel()} on it while its submitter is inside {@code submit()}.)
     */
    synchronized void submittedNow(int gen) {
        if (!inFlight || gen != generation) {
            return; // already ended
        }
        submitted = true;
        if (canceledBy != NOT_CANCELED) {
            cancelInEngine();
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
        if (submitted) {
            cancelInEngine();
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
}
