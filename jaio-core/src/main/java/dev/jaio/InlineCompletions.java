package dev.jaio;

/**
 * Completions that the engine reports on a thread that is submitting for an
 * {@link AioFileChannel} (io_uring completes a read of the page cache inside the submitting
 * system call, and reaps other threads' completions there too): that thread finishes them itself
 * once its submission has returned and it is out of the engine's locks, saving the two thread
 * switches through the completion thread. Any other thread (the engine's reaper or workers)
 * hands them to the {@link ChannelCompleter}.
 *
 * <p>One per thread ({@link ThreadLocal}); only its thread touches it. Finishing runs user code (a
 * handler, dependent stages) that may submit again: the nesting is bounded by
 * {@link #MAX_DEPTH}, beyond which completions go to the completion thread.
 */
final class InlineCompletions {
    private static final ThreadLocal<InlineCompletions> OF_THREAD = ThreadLocal.withInitial(InlineCompletions::new);
    private static final int MAX_DEPTH = 16;

    /** Submissions of this thread under way (nested through handlers). */
    private int submitting;
    /** Completions gathered while submitting, latest first, linked through {@link ChannelOp#nextReady}. */
    private ChannelOp gathered;
    /** Nesting of {@link #afterSubmit()} finishing. */
    private int depth;

    /** The calling thread's; call {@link #beforeSubmit()} and, in a finally, {@link #afterSubmit()} on it. */
    static InlineCompletions current() {
        return OF_THREAD.get();
    }

    /** The engine reported {@code op} over, on the calling thread. */
    static void ended(ChannelOp op) {
        InlineCompletions mine = OF_THREAD.get();
        if (mine.submitting > 0) {
            op.nextReady = mine.gathered;
            mine.gathered = op;
        } else {
            op.completer.ready(op);
        }
    }

    void beforeSubmit() {
        submitting++;
    }

    /**
     * Whether the submission this thread just began may be deferred by the engine (see
     * {@code Operation#submitDeferrable}): only a plain submission, not one made while this
     * thread finishes operations (a handler or a dependent stage, whose thread then goes on to
     * finish others instead of waiting), nor one on the completion thread.
     */
    boolean mayDefer() {
        return submitting == 1 && depth == 0 && !ChannelCompleter.isCompleterThread();
    }

    /** The submission returned: finishes what was gathered (or hands it on, too deep). */
    void afterSubmit() {
        submitting--;
        while (gathered != null && submitting == 0) {
            ChannelOp list = gathered;
            gathered = null;
            ChannelOp inOrder = null;
            while (list != null) {
                ChannelOp next = list.nextReady;
                list.nextReady = inOrder;
                inOrder = list;
                list = next;
            }
            while (inOrder != null) {
                ChannelOp next = inOrder.nextReady;
                inOrder.nextReady = null;
                if (depth >= MAX_DEPTH) {
                    inOrder.completer.ready(inOrder);
                } else {
                    depth++;
                    try {
                        inOrder.channel.finish(inOrder);
                    } catch (Throwable t) {
                        dev.jaio.internal.Callbacks.report(t);
                    } finally {
                        depth--;
                    }
                }
                inOrder = next;
            }
        }
    }
}
