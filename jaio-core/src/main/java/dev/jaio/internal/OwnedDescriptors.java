package dev.jaio.internal;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntConsumer;

/**
 * The descriptors jaio itself opened ({@code dev.jaio.AioFile}) and has not closed yet, and who
 * must hear of their closing before it happens.
 *
 * <p>Why: io_uring's registered files hold the <em>file</em>, not the descriptor number. A table
 * that maps descriptor 7 to a slot is wrong the moment 7 is closed and the number is given to
 * another file by the next {@code open}: the slot would still serve the old file. jaio cannot see
 * a raw descriptor being closed, but it closes its own: so only descriptors marked here get a
 * slot, and {@link #closing(int)} (called by {@code AioFile.close()} before {@code close(2)})
 * first clears the mark, then tells every listener (each io_uring engine with registered files,
 * which empties the descriptor's slots), and only then does the caller close the descriptor.
 * A listener that gives a slot checks the mark under the same lock in which it forgets one, so a
 * slot is never given to a descriptor whose closing has begun.
 *
 * <p>Thread-safe. Marks are set and cleared under this class's lock; {@link #isOwned(int)} reads
 * without it. Listeners run on the closing thread, holding no lock of this class.
 */
public final class OwnedDescriptors {
    /** One bit per descriptor number; replaced by a larger copy, under the lock, when a higher one comes. */
    private static volatile AtomicLongArray marks = new AtomicLongArray(16);
    private static final Object LOCK = new Object();
    private static final CopyOnWriteArrayList<IntConsumer> LISTENERS = new CopyOnWriteArrayList<>();

    private OwnedDescriptors() {
    }

    /** {@code fd} was just opened by jaio. */
    public static void opened(int fd) {
        if (fd < 0) {
            return;
        }
        synchronized (LOCK) {
            AtomicLongArray m = marks;
            if ((fd >>> 6) >= m.length()) {
                AtomicLongArray bigger = new AtomicLongArray(Math.max(2 * m.length(), (fd >>> 6) + 1));
                for (int i = 0; i < m.length(); i++) {
                    bigger.set(i, m.get(i));
                }
                marks = bigger;
                m = bigger;
            }
            m.set(fd >>> 6, m.get(fd >>> 6) | (1L << fd));
        }
    }

    /**
     * {@code fd}, opened by jaio, is about to be closed: unmarks it, then tells every listener,
     * on this thread. Call before {@code close(2)}.
     */
    public static void closing(int fd) {
        if (fd < 0) {
            return;
        }
        synchronized (LOCK) {
            AtomicLongArray m = marks;
            if ((fd >>> 6) < m.length()) {
                m.set(fd >>> 6, m.get(fd >>> 6) & ~(1L << fd));
            }
        }
        for (IntConsumer listener : LISTENERS) {
            listener.accept(fd);
        }
    }

    /** Whether {@code fd} was opened by jaio and its closing has not begun. Any thread, no lock. */
    public static boolean isOwned(int fd) {
        AtomicLongArray m = marks;
        return fd >= 0 && (fd >>> 6) < m.length() && (m.get(fd >>> 6) & (1L << fd)) != 0;
    }

    /** {@code listener} hears of every closing from now on, with the descriptor's number. */
    public static void addListener(IntConsumer listener) {
        LISTENERS.add(listener);
    }

    /** {@code listener} hears of no closing any more. */
    public static void removeListener(IntConsumer listener) {
        LISTENERS.remove(listener);
    }
}
