package dev.jaio.internal;

import dev.jaio.SigevNotify;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the operations of one {@code LIO_NOWAIT} list that still run, for engines that complete
 * in Java, and fires the list's notification once, when the last one completes.
 *
 * <p>The count starts at one extra "submission guard", released after the submitter has queued
 * what it could, so that a list whose operations all complete while it is still being submitted
 * (or whose operations could not be queued at all) fires exactly once, and only after submission.
 *
 * <p>Engines hold it as an opaque, typed handle between {@code JavaCompletingEngine.beginList}
 * and {@code listSubmitted}; only this package counts with it.
 */
public final class ListCompletion {
    private final JavaCompletingEngine engine;
    private final SigevNotify notify;
    private final AtomicInteger remaining = new AtomicInteger(1);

    ListCompletion(JavaCompletingEngine engine, SigevNotify notify) {
        this.engine = engine;
        this.notify = notify;
    }

    /** One more operation belongs to the list. */
    void add() {
        remaining.incrementAndGet();
    }

    /** One operation completed, or was not queued after all. */
    void arrive() {
        if (remaining.decrementAndGet() == 0) {
            engine.fire(notify);
        }
    }
}
