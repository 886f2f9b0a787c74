package dev.jaio;

import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;

/**
 * The {@code MemorySegment}s through which an {@link AioFileChannel} hands direct
 * {@code ByteBuffer}s to the engine, remembered per buffer so that a buffer used again (the
 * usual case: a program reads into the same buffers over and over) costs neither a new view nor
 * the arena check of {@link ControlBlock#checkBuffer}: a transfer of the whole buffer reuses the
 * view as it is, any other range slices it.
 *
 * <p>A table indexed by the buffer's identity hash, in pairs (a buffer may sit in either slot of
 * its pair), of {@link #INITIAL_SIZE} entries at first, doubled (up to {@link #MAX_SIZE}) when a
 * buffer finds both slots of its pair taken by others: a program that keeps a buffer per virtual
 * thread, a thousand of them, has them all remembered. An entry is held
 * only weakly (the view keeps its buffer's memory alive, and the channel must not), so the
 * garbage collector empties the table at each collection and a buffer dropped by the program is
 * never kept. A miss costs what every operation cost before: {@code MemorySegment.ofBuffer}, plus
 * the entry. Thread-safe: threads may race on a slot; each entry is immutable, and a lost race
 * only costs a miss.
 */
final class BufferViews {
    private static final int INITIAL_SIZE = 64;
    private static final int MAX_SIZE = 8192;

    /** {@code whole}: the buffer from 0 to its capacity, checked by {@link ControlBlock#checkBuffer}. */
    private record View(ByteBuffer buffer, MemorySegment whole) {
    }

    /** Replaced whole when it grows; a store racing a growth may be lost, which costs a miss. */
    private volatile WeakReference<View>[] table = newTable(INITIAL_SIZE);

    @SuppressWarnings("unchecked")
    private static WeakReference<View>[] newTable(int size) {
        return new WeakReference[size];
    }

    /**
     * The bytes of direct buffer {@code buffer} from its position to its limit.
     *
     * @throws IllegalArgumentException if the engine cannot take the buffer's memory (a
     *         thread-confined arena), as {@link ControlBlock#checkBuffer} says
     */
    MemorySegment of(ByteBuffer buffer) {
        WeakReference<View>[] t = table;
        int slot = System.identityHashCode(buffer) & (t.length - 1);
        View v = at(t, slot);
        if (v == null || v.buffer != buffer) {
            int other = slot ^ 1; // the pair's other slot: two buffers whose hashes collide both stay
            View w = at(t, other);
            if (w != null && w.buffer == buffer) {
                v = w;
            } else {
                MemorySegment whole = MemorySegment.ofBuffer(buffer.duplicate().clear());
                ControlBlock.checkBuffer(whole, false);
                View fresh = new View(buffer, whole);
                if (v != null && w != null && t.length < MAX_SIZE) {
                    t = grown(t);
                    slot = System.identityHashCode(buffer) & (t.length - 1);
                    v = at(t, slot);
                    w = at(t, slot ^ 1);
                }
                t[v == null || w != null ? slot : slot ^ 1] = new WeakReference<>(fresh);
                v = fresh;
            }
        }
        int position = buffer.position();
        int length = buffer.limit() - position;
        return position == 0 && length == v.whole.byteSize() ? v.whole : v.whole.asSlice(position, length);
    }

    private static View at(WeakReference<View>[] t, int slot) {
        WeakReference<View> ref = t[slot];
        return ref == null ? null : ref.get();
    }

    /** A table twice the size of {@code t} holding its live entries, now the channel's. */
    private WeakReference<View>[] grown(WeakReference<View>[] t) {
        WeakReference<View>[] bigger = newTable(2 * t.length);
        for (WeakReference<View> ref : t) {
            View e = ref == null ? null : ref.get();
            if (e != null) {
                int slot = System.identityHashCode(e.buffer) & (bigger.length - 1);
                bigger[bigger[slot] == null ? slot : slot ^ 1] = ref;
            }
        }
        table = bigger;
        return bigger;
    }
}
