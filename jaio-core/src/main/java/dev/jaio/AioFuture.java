package dev.jaio;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The future of one {@link AioFileChannel} operation. Its {@link #cancel(boolean)} asks the engine
 * to cancel the I/O and returns only once the engine reports the operation over, so that a
 * buffer is never reused while the kernel may still write it. Stages derived from it are
 * {@link CompletableFuture}s whose waits submit what the engine deferred ({@link Stage}).
 *
 * <p>A thread that waits for it ({@link #join()}, {@link #get()}, {@link #get(long, TimeUnit)})
 * while the engine has the operation finishes the operation itself when the engine reports it
 * over (see {@link ChannelOp}'s "Who finishes a submission"): the engine's thread unparks it
 * directly, and stages added with the non-{@code Async} methods run on the waiting thread.
 *
 * <p>The engine may have deferred the operation's system call to share it with the next ones
 * (io_uring, a thread submitting in a burst: see "Submission" in {@link AioFileChannel}): waiting
 * on this future, or on a stage derived from it ({@link #newIncompleteFuture()}), first gives the
 * kernel what is deferred.
 */
final class AioFuture<T> extends CompletableFuture<T> {
    /** The operation and its submission; set once, before the I/O is submitted (volatile: cancel reads them anywhere). */
    private volatile ChannelOp op;
    private volatile int generation;

    /** A future not tied to an operation yet (a batch's, until it is submitted; or completed at once). */
    AioFuture() {
    }

    /** The submission it is tied to. */
    int generation() {
        return generation;
    }

    /** Ties the future to submission {@code generation} of {@code op}, before it is submitted. */
    void bind(ChannelOp op, int generation) {
        this.generation = generation;
        this.op = op;
    }

    /**
     * Asks the engine to cancel the operation ({@code aio_cancel}), then waits until the engine
     * reports it over. If the cancel took effect the future completes with a
     * {@link java.util.concurrent.CancellationException} and this returns true; an operation
     * that completed first (or that the engine could not stop, and that ran to its end) keeps its
     * result and this returns false. Called on the channel's completion thread (from a handler or
     * a dependent stage) it does not wait, and returns whether the future is canceled already.
     * {@code mayInterruptIfRunning} is ignored: jaio never closes the channel to cancel.
     */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        ChannelOp o = op;
        if (o == null) {
            return super.cancel(false); // not submitted (a batch not submitted yet): nothing runs
        }
        if (isDone()) {
            return isCancelled();
        }
        o.cancel(generation, ChannelOp.BY_USER);
        if (ChannelCompleter.isCompleterThread()) {
            return isCancelled();
        }
        boolean interrupted = false;
        while (!isDone()) {
            try {
                get();
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException | java.util.concurrent.CancellationException done) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return isCancelled();
    }

    @Override
    public T join() {
        if (!isDone() && !flushDeferred()) {
            awaitAsWaiter(false, 0);
        }
        return super.join();
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        if (!isDone() && !flushDeferred() && awaitAsWaiter(true, 0) == INTERRUPTED) {
            throw new InterruptedException();
        }
        return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        if (!isDone() && !flushDeferred()) {
            long nanos = Math.max(1, unit.toNanos(timeout));
            int outcome = awaitAsWaiter(true, nanos);
            if (outcome == INTERRUPTED) {
                throw new InterruptedException();
            }
            if (outcome == TIMED_OUT) {
                throw new TimeoutException();
            }
        }
        return super.get(timeout, unit);
    }

    /**
     * Has the engine submit what it deferred, before this thread waits; true if that finished the
     * operation (a read of the page cache completes inside the submitting call).
     */
    private boolean flushDeferred() {
        ChannelOp o = op;
        if (o != null) {
            o.flushDeferred();
        }
        return isDone();
    }

    /** What {@link #awaitAsWaiter} found. */
    private static final int FINISHED = 0, NOT_WAITER = 1, INTERRUPTED = 2, TIMED_OUT = 3;

    /**
     * Waits as the operation's waiter until the engine hands it the operation, then finishes it
     * here. {@link #NOT_WAITER}: it may not (no engine listener, not in the engine yet, reported
     * already, another thread waits): the caller waits on the future as usual. On an interrupt
     * (when {@code interruptible}) or after {@code nanos} (unless 0) it stops waiting; if the
     * engine handed it the operation meanwhile, it finishes it first, so nothing is left behind.
     * {@code join} keeps an interrupt for after the wait, as {@code CompletableFuture} does.
     */
    private int awaitAsWaiter(boolean interruptible, long nanos) {
        ChannelOp o = op;
        int gen = generation;
        if (o == null || !o.enterWait(gen)) {
            return NOT_WAITER;
        }
        long deadline = nanos == 0 ? 0 : System.nanoTime() + nanos;
        boolean interrupted = false;
        int outcome = FINISHED;
        while (!o.handedToWaiter(gen)) {
            if (Thread.interrupted()) {
                if (interruptible) {
                    outcome = INTERRUPTED;
                    break;
                }
                interrupted = true;
            }
            if (deadline != 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    outcome = TIMED_OUT;
                    break;
                }
                LockSupport.parkNanos(this, left);
            } else {
                LockSupport.park(this);
            }
        }
        if (outcome == FINISHED || !o.leaveWait(gen)) {
            o.finishAsWaiter(); // handed to this thread: finished here, whatever made it stop
            // The result is there after all: returned, with the interrupt kept for later.
            interrupted |= outcome == INTERRUPTED;
            outcome = FINISHED;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return outcome;
    }

    /** The engine reported the operation canceled at the user's request. */
    void canceled() {
        super.cancel(false);
    }

    /** Stages derived from it: {@link Stage}s, whose waits submit what the engine deferred. */
    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new Stage<>(op);
    }

    /**
     * A stage derived from a channel future ({@code thenApply}, {@code thenCompose}, ...): a plain
     * {@link CompletableFuture}, except that a thread about to wait on it ({@code join},
     * {@code get}) first has the engine submit what it deferred, so that waiting on a derived stage
     * never waits for the engine's flusher.
     */
    static final class Stage<U> extends CompletableFuture<U> {
        private final ChannelOp source;

        Stage(ChannelOp source) {
            this.source = source;
        }

        private void flushDeferred() {
            if (source != null && !isDone()) {
                source.flushDeferred();
            }
        }

        @Override
        public U join() {
            flushDeferred();
            return super.join();
        }

        @Override
        public U get() throws InterruptedException, ExecutionException {
            flushDeferred();
            return super.get();
        }

        @Override
        public U get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
            flushDeferred();
            return super.get(timeout, unit);
        }

        @Override
        public <V> CompletableFuture<V> newIncompleteFuture() {
            return new Stage<>(source);
        }
    }
}
