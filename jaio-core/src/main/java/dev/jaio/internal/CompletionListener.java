package dev.jaio.internal;

/**
 * Told, on the thread that learnt it, that an operation's I/O has ended and its result is
 * recorded ({@link Operation#poll()} no longer answers {@link Operation#PENDING}). Only engines
 * that learn of completions in Java call it ({@link AbstractEngine#tellsCompletionListeners()}):
 * io_uring from the thread that reaps the completion queue, threads from the worker that ran the
 * I/O. The posix engine learns of a completion only when asked, and never calls it.
 *
 * <p>It runs inside the engine's completion path (io_uring: under its reap lock), so it must be
 * short, must not block, must not submit, wait for or close anything of the engine, and must not
 * throw; the one implementation ({@code dev.jaio.AioFileChannel}'s operations) only hands the
 * operation to a thread of its own. It is set once, while the block is idle, and kept.
 */
public interface CompletionListener {
    /** The I/O of the operation this listener was given to has ended. */
    void ioCompleted();
}
