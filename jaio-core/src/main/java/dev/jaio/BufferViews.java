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
 * <p>A table of {@link #SIZE} entries indexed by the buffer's identity hash, in pairs (a buffer
 * may sit in either slot of its pair); an entry is held
 * only weakly (the view keeps its buffer's memory alive, and the channel must not), so the
 * garbage collector empties the table at each collection and a buffer dropped by the program is
 * never kept. A miss costs what every operation cost before: {@code MemorySegment.ofBuffer}, plus
 * the entry. Thread-safe: threads may race on a slot; each entry is immutable, and a lost race
 * only costs a miss.
 */
final class BufferViews {
    private static final int SIZE = 256;

    /** {@code whole}: the buffer from 0 to its capacity, checked by {@link ControlBlock#checkBuffer}. */
    private record View(ByteBuffer buffer, MemorySegment whole) {
    }

    @SuppressWarnings("unchecked")
    private final WeakReference<View>[] table = new WeakReference[SIZE];

    /**
     * The bytes of direct buffer {@code buffer} from its position to its limit.
     *
     * @throws IllegalArgumentException if the engine cannot take the buffer's memory (a
     *         thread-confined arena), as {@link ControlBlock#checkBuffer} says
     */
    MemorySegment of(ByteBuffer buffer) {
        int slot = System.identityHashCode(buffer) & (SIZE - 1);
        View v = at(slot);
        if (v == null || v.buffer != buffer) {
            int other = slot ^ 1; // the pair's other slot: two buffers whose hashes collide both stay
            View w = at(other);
            if (w != null && w.buffer == buffer) {
                v = w;
            } else {
                MemorySegment whole = MemorySegment.ofBuffer(buffer.duplicate().clear());
                ControlBlock.checkBuffer(whole, false);
                View fresh = new View(buffer, whole);
                table[v == null || w != null ? slot : other] = new WeakReference<>(fresh);
                v = fresh;
            }
        }
        int position = buffer.position();
        int length = buffer.limit() - position;
        return position == 0 && length == v.whole.byteSize() ? v.whole : v.whole.asSlice(position, length);
    }

    private View at(int slot) {
        WeakReference<View> ref = table[slot];
        return ref == null ? null : ref.get();
    }
}
