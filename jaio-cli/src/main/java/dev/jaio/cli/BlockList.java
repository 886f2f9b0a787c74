package dev.jaio.cli;

import dev.jaio.Aio;
import java.util.AbstractList;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * A fixed-capacity list of control blocks, each with the index of its slot in the job, that the
 * I/O loop of {@link JaioJob} fills and empties without allocating: it is handed to
 * {@link dev.jaio.Aio#lioListio} and {@link dev.jaio.Aio#aioSuspend} as it is. Removal moves the
 * last element into the hole, so order is not kept.
 *
 * <p>Used by one thread.
 */
final class BlockList extends AbstractList<Aio> implements RandomAccess {
    private final Aio[] blocks;
    private final int[] slots;
    private int size;

    BlockList(int capacity) {
        blocks = new Aio[capacity];
        slots = new int[capacity];
    }

    @Override
    public Aio get(int index) {
        Objects.checkIndex(index, size);
        return blocks[index];
    }

    @Override
    public int size() {
        return size;
    }

    /** The slot of element {@code index}. */
    int slot(int index) {
        Objects.checkIndex(index, size);
        return slots[index];
    }

    void add(Aio block, int slot) {
        blocks[size] = block;
        slots[size] = slot;
        size++;
    }

    /** Removes element {@code index}, moving the last one into its place. */
    void removeSwap(int index) {
        Objects.checkIndex(index, size);
        size--;
        blocks[index] = blocks[size];
        slots[index] = slots[size];
        blocks[size] = null;
    }

    @Override
    public void clear() {
        java.util.Arrays.fill(blocks, 0, size, null);
        size = 0;
    }
}
