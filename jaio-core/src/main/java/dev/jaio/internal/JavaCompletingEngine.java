package dev.jaio.internal;

import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.internal.ffi.Libc;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.LockSupport;

/**
 * The half of an engine that is the same for every engine that learns of completions in Java
 * (io_uring from its completion queue, threads from its workers): recording a result, waking the
 * threads that wait for it, and carrying out the notifications POSIX would have libc carry out.
 *
 * <p><b>Waking without losing a wake-up.</b> A waiter publishes itself in the operation's
 * {@code waiter} field, re-checks the result, then parks; a completer stores the result, then
 * reads {@code waiter} and unparks it. Both fields are volatile, so one of the two always sees
 * the other (the store-then-load order of a Dekker handshake). A second waiter on the same
 * operation may overwrite the first; the first then wakes at the end of its slice
 * ({@link AbstractEngine#WAIT_SLICE_NANOS}) and sees the result, so sharing costs latency, never
 * correctness. Nothing here allocates for an operation without a notification.
 *
 * <p><b>Notifications.</b> {@code SigevNotify.signal}: {@code sigqueue(getpid(), signo, value)},
 * as libc does for {@code SIGEV_SIGNAL}. {@code SigevNotify.thread}: the callback runs on a
 * notification thread of the engine (never the submitter's, never an I/O thread, which must not be
 * held up by user code), one task per notification, like libc's thread per notification but with
 * threads reused.
 */
public abstract class JavaCompletingEngine extends AbstractEngine {
    private final ExecutorService notifier;

    protected JavaCompletingEngine(String name, boolean processWide) {
        super(name, processWide);
        this.notifier = Executors.newCachedThreadPool(Thread.ofPlatform().daemon().name("jaio-" + name + "-notify-", 0)
                .factory());
    }

    /**
     * Records {@code result} ({@code >= 0} bytes or {@code -errno}) for {@code op}, fires its
     * notification, counts it toward its list, and wakes its waiter. Called once per submission,
     * from any engine thread.
     */
    protected final void completed(Operation op, long result) {
        // Everything this submission needs is read before its result is published: from then on
        // the block's owner (its own notification, a waiter) may reap it, re-aim it and submit it
        // into another list, and the fields would describe that submission instead.
        SigevNotify n = op.notify;
        ListCompletion group = op.group;
        CompletionListener listener = op.listener;
        op.group = null;
        op.complete(result);
        if (!(n instanceof SigevNotify.SigevNone)) {
            fire(n);
        }
        if (group != null) {
            group.arrive();
        }
        Thread w = op.waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
        if (listener != null) {
            try {
                listener.ioCompleted();
            } catch (RuntimeException | Error e) {
                Callbacks.report(e);
            }
        }
    }

    /** True: {@link #completed} tells the operation's {@link CompletionListener}. */
    @Override
    public final boolean tellsCompletionListeners() {
        return true;
    }

    /** Carries out a notification now. */
    final void fire(SigevNotify notify) {
        switch (notify) {
            case SigevNotify.SigevNone none -> {
            }
            case SigevNotify.SigevSignal s -> {
                int r = Libc.sigqueueSelf(s.signal().number(), s.value());
                if (r < 0) {
                    Callbacks.report(new IllegalStateException("sigqueue(" + s.signal() + ") for a completion failed: "
                            + Failures.text(-r)));
                }
            }
            case SigevNotify.SigevThread t -> {
                try {
                    notifier.execute(() -> Callbacks.run(t.callback(), t.value()));
                } catch (java.util.concurrent.RejectedExecutionException closed) {
                    // The engine is closing: run it here rather than lose it.
                    Callbacks.run(t.callback(), t.value());
                }
            }
        }
    }

    /**
     * The list bookkeeping for a {@code LIO_NOWAIT} list with a notification, or null when
     * nothing has to be counted. The engine calls {@link #joinList} for each operation before
     * queuing it and {@link #listSubmitted} after the last.
     */
    protected final ListCompletion beginList(LioMode mode, SigevNotify notify, int n) {
        if (mode != LioMode.LIO_NOWAIT || notify instanceof SigevNotify.SigevNone) {
            return null;
        }
        return new ListCompletion(this, notify);
    }

    /** Counts {@code op} toward {@code list} (from {@link #beginList}); before it is queued. */
    protected static void joinList(ListCompletion list, Operation op) {
        if (list != null) {
            list.add();
            op.group = list;
        }
    }

    /** {@code op} joined the list but could not be queued: it will never complete. */
    protected static void leaveList(ListCompletion list, Operation op) {
        if (list != null && op.group == list) {
            op.group = null;
            list.arrive();
        }
    }

    /** Every operation of the list was offered; releases the submission guard. */
    protected static void listSubmitted(ListCompletion list) {
        if (list != null) {
            list.arrive();
        }
    }

    /** Parks until one of the operations completes or {@code nanos} pass. */
    @Override
    protected final void awaitSlice(Operation[] ops, int from, int count, long nanos) {
        Thread me = Thread.currentThread();
        for (int i = from; i < from + count; i++) {
            ops[i].waiter = me;
        }
        try {
            for (int i = from; i < from + count; i++) {
                if (ops[i].storedResult() != Operation.PENDING || !ops[i].inProgress()) {
                    return;
                }
            }
            reap(ops, from, count);
            for (int i = from; i < from + count; i++) {
                if (ops[i].storedResult() != Operation.PENDING) {
                    return;
                }
            }
            LockSupport.parkNanos(this, nanos);
        } finally {
            for (int i = from; i < from + count; i++) {
                if (ops[i].waiter == me) {
                    ops[i].waiter = null;
                }
            }
        }
    }

    /**
     * A chance for the engine to collect completions on the waiting thread before it parks
     * (io_uring reaps its completion queue here); the default does nothing.
     */
    protected void reap(Operation[] ops, int from, int count) {
    }

    /** Stops the notification threads after the last notification was handed to them. */
    protected final void closeNotifier() {
        notifier.shutdown();
    }
}
