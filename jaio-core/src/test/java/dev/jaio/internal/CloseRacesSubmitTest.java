package dev.jaio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.AioFsyncMode;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A block's {@code close()} racing a {@code submit()} of the same block on another thread (a
 * notification callback that reaps and resubmits its block while the owner closes it) never frees
 * the block's native state while the submission fills it in or while its I/O runs: either the
 * submission is refused, or the close waits for its I/O. Without that, the posix engine freed an
 * aiocb that glibc was then given, and glibc's writes into it corrupted the C heap (the misuse
 * fuzzer's SIGSEGV in {@code free()} on one of glibc's threads).
 *
 * <p>The engine here is a stand-in whose operations record, in Java, what a real engine would do
 * to native memory: a submission that starts on freed state, a free while a submission runs or
 * while its I/O is in flight.
 */
class CloseRacesSubmitTest {
    /** Rounds of the race; the unguarded close lost it a few times per thousand rounds here. */
    private static final int ROUNDS = 20_000;

    @Test
    void closeNeverFreesWhatASubmissionOfAnotherThreadUses() throws Exception {
        try (RecordingEngine engine = new RecordingEngine()) {
            AtomicInteger submitted = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicReference<RecordingOperation> current = new AtomicReference<>();
            AtomicInteger go = new AtomicInteger(-1);
            AtomicInteger done = new AtomicInteger(-1);
            Thread submitter = Thread.ofPlatform().daemon().start(() -> {
                for (int round = 0; round < ROUNDS; round++) {
                    while (go.get() < round) {
                        Thread.onSpinWait();
                    }
                    try {
                        current.get().submit();
                        submitted.incrementAndGet();
                    } catch (IllegalStateException closedFirst) {
                        refused.incrementAndGet();
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                    done.set(round);
                }
            });
            for (int round = 0; round < ROUNDS; round++) {
                RecordingOperation op = (RecordingOperation) engine.create(OpKind.FSYNC, 0, 0, AioFsyncMode.O_SYNC,
                        SigevNotify.none());
                if (round % 2 == 1) {
                    // A block that ran and was reaped before: its stored result is the old
                    // submission's until the racing submission resets it.
                    op.submit();
                    while (op.poll() == Operation.PENDING) {
                        Thread.onSpinWait();
                    }
                    op.aioReturn();
                }
                current.set(op);
                go.set(round);
                long until = System.nanoTime() + (round / 2 % 8) * 100L; // so that either side may win
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                op.close();
                assertTrue(op.freed, "close() returned before the block was freed");
                while (done.get() < round) {
                    Thread.onSpinWait();
                }
                if (failure.get() != null) {
                    throw new AssertionError("submit() failed with an undocumented exception", failure.get());
                }
                int r = round;
                assertEquals(0, op.violations.get(), () -> "round " + r + ": " + op.trace);
            }
            submitter.join();
            assertEquals(ROUNDS, submitted.get() + refused.get());
            System.out.println("close raced submit " + ROUNDS + " times: " + submitted.get() + " submissions"
                    + " ran before the close (and were waited for), " + refused.get() + " were refused");
        }
    }

    @Test
    void aSubmissionRefusedBecauseOfAClosingBlockSaysSo() throws Exception {
        try (RecordingEngine engine = new RecordingEngine()) {
            RecordingOperation op = (RecordingOperation) engine.create(OpKind.FSYNC, 0, 0, AioFsyncMode.O_SYNC,
                    SigevNotify.none());
            op.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, op::submit);
            assertTrue(e.getMessage().contains("is closed (it was closed)"), e.getMessage());
        }
    }

    /** An engine whose operations "complete" five microseconds after submission, as a poll finds. */
    private static final class RecordingEngine extends AbstractEngine {
        RecordingEngine() {
            super("recording", false);
        }

        @Override
        protected Operation newOperation(OpKind kind, int fd, int priority, AioFsyncMode mode, SigevNotify notify) {
            return new RecordingOperation(this, kind, fd, priority, mode, notify);
        }

        @Override
        protected boolean supportsVectored() {
            return false;
        }

        @Override
        protected int startList(Operation[] ops, int n, LioMode mode, SigevNotify notify) {
            throw new UnsupportedOperationException("not used by this test");
        }

        @Override
        protected void awaitSlice(Operation[] ops, int from, int count, long nanos) {
            Thread.onSpinWait();
        }

        @Override
        protected int cancelAllNative(int fd) {
            return 2;
        }

        @Override
        protected void closeNative() {
        }
    }

    /**
     * Records misuse of "native" state: {@code freed} stands for the freed aiocb, {@code inFlight}
     * for the kernel or libc still using it.
     */
    private static final class RecordingOperation extends Operation {
        final AtomicInteger violations = new AtomicInteger();
        final StringBuffer trace = new StringBuffer();
        volatile boolean freed;
        volatile boolean submitting;
        volatile boolean inFlight;
        volatile long ioEnds;
        /** The submission the engine was last handed. */
        volatile int engineSubmission;

        RecordingOperation(AbstractEngine engine, OpKind kind, int fd, int priority, AioFsyncMode mode,
                           SigevNotify notify) {
            super(engine, kind, fd, priority, mode, notify);
        }

        @Override
        protected int startSingle() {
            submitting = true;
            if (freed) {
                violation("a submission started on freed state");
            }
            long until = System.nanoTime() + 2_000; // filling in the aiocb, calling into libc
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            if (freed) {
                violation("the state was freed while a submission filled it in");
            }
            ioEnds = System.nanoTime() + 5_000; // the I/O
            inFlight = true;
            engineSubmission = submission();
            submitting = false;
            return 0;
        }

        /**
         * Asks "the engine" about the block's current submission, as the posix engine asks glibc
         * about the aiocb: pending until the submitter has handed it over, then done once its I/O
         * time has passed.
         */
        @Override
        protected long pollNative() {
            int submission = submission();
            if (submission != engineSubmission) {
                return PENDING; // not handed to the engine yet
            }
            if (System.nanoTime() - ioEnds >= 0) {
                inFlight = false;
                return completeIfCurrent(0, submission);
            }
            return PENDING;
        }

        @Override
        protected int cancelNative() {
            return 1; // AIO_NOTCANCELED: the close must wait for the I/O
        }

        @Override
        protected void freeNative() {
            if (submitting || inFlight) {
                violation("freed while " + (submitting ? "a submission filled it in" : "its I/O was in flight"));
            }
            freed = true;
        }

        private void violation(String what) {
            violations.incrementAndGet();
            trace.append(what).append("; ");
        }
    }
}
