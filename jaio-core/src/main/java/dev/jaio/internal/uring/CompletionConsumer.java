package dev.jaio.internal.uring;

/**
 * Receives completions from {@link CompletionQueue#reap}: one call per CQE, with its fields
 * unpacked so that reaping allocates nothing. An engine keeps one long-lived consumer, not a
 * lambda per call.
 *
 * <p>Called on the thread that reaps. It must not call back into the same completion queue.
 */
@FunctionalInterface
public interface CompletionConsumer {
    /**
     * One completion.
     *
     * @param userData the SQE's {@code user_data}, unchanged
     * @param res      {@code cqe->res}: {@code >= 0} the result (bytes for reads and writes),
     *                 {@code < 0} is {@code -errno}
     * @param flags    {@code cqe->flags} ({@code IORING_CQE_F_*}), a {@code __u32} bit set
     */
    void onCompletion(long userData, int res, int flags);
}
