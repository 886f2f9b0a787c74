package dev.jaio;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The future of one {@link AioFileChannel} operation. Its {@link #cancel(boolean)} asks the engine
 * to cancel the I/O and returns only once the engine reports the operation over, so that a
 * buffer is never reused while the kernel may still write it. Stages derived from it are plain
 * {@link CompletableFuture}s.
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

    /** The engine reported the operation canceled at the user's request. */
    void canceled() {
        super.cancel(false);
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>();
    }
}
