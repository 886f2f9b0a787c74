package dev.jaio.internal.uring;

import static dev.jaio.internal.ffi.IoUringAbi.FILES_UPDATE_FDS;
import static dev.jaio.internal.ffi.IoUringAbi.FILES_UPDATE_OFFSET;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_REGISTER_FILES;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_REGISTER_FILES_UPDATE;
import static dev.jaio.internal.ffi.IoUringAbi.IO_URING_FILES_UPDATE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.jaio.internal.OwnedDescriptors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One ring's registered-file table ({@code IORING_REGISTER_FILES}): which descriptor has which
 * slot, so that an SQE can name the slot ({@code IOSQE_FIXED_FILE}) and the kernel skips looking
 * the descriptor up and taking a reference to its file at each request.
 *
 * <p><b>Which descriptors.</b> Only those jaio opened itself ({@code AioFile}, see
 * {@link OwnedDescriptors}), given a slot lazily, by the first operation that uses them on this
 * ring. A slot holds the file, not the number: a raw descriptor closed behind jaio's back and its
 * number reused would leave a slot serving the old file, so raw descriptors go as they always did.
 * {@code AioFile.close()} empties the descriptor's slot ({@link #forget}) before it closes it.
 *
 * <p><b>A full table</b> is not an error: the operation names its descriptor as usual.
 *
 * <p><b>Reusing an emptied slot.</b> An SQE names its slot until the kernel consumes it (the
 * kernel looks the file up when it issues the request, inside the {@code io_uring_enter} that
 * consumes it; jaio sets neither {@code IOSQE_ASYNC} nor a drain or link, which would defer that).
 * An emptied slot is therefore given to another descriptor only while the ring holds no
 * unconsumed SQE, so that no SQE prepared for the old descriptor can reach the new file.
 * Requests already issued keep their file until they complete, whatever happens to the slot.
 *
 * <p>Threads: {@link #slotFor} under the ring's submit lock (it reads the submission queue);
 * {@link #forget} from any thread. Both take this object's monitor, and {@link #slotFor} checks
 * {@link OwnedDescriptors#isOwned} inside it: a descriptor whose closing began never gets a slot.
 */
final class RegisteredFiles {
    /** Descriptors at or above this number are not tracked: they go as plain descriptors. */
    static final int MAX_TRACKED_FD = 1 << 20;
    private static final int NONE = -1;

    private final IoUring ring;
    /** The table's size, as registered. */
    private final int slots;
    /** By descriptor: its slot, or NONE. Grown on demand. */
    private int[] slotOfFd = new int[64];
    /** Slots never given out are {@code [fresh, slots)}. */
    private int fresh;
    /** Emptied slots, to give out again (see the class comment). */
    private final int[] emptied;
    private int emptiedCount;
    /** Slots lost for good: emptying them failed, so the kernel may still hold their old file. */
    private int lost;

    private RegisteredFiles(IoUring ring, int slots) {
        this.ring = ring;
        this.slots = slots;
        this.emptied = new int[slots];
        Arrays.fill(slotOfFd, NONE);
    }

    /**
     * Registers a table of {@code slots} empty slots with {@code ring} (every entry -1, a sparse
     * table, Linux 5.5).
     *
     * @return the table, or null with {@code error[0]} set to the errno of the refusal
     */
    static RegisteredFiles register(IoUring ring, int slots, int[] error) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, slots);
            fds.fill((byte) -1);
            long r = ring.register(IORING_REGISTER_FILES, fds, slots);
            if (r < 0) {
                error[0] = (int) -r;
                return null;
            }
        }
        return new RegisteredFiles(ring, slots);
    }

    /** The table's size. */
    int slots() {
        return slots;
    }

    /**
     * The slot of {@code fd} on this ring, given now if it has none; or -1: the operation names
     * {@code fd} itself (not opened by jaio, closing, past {@link #MAX_TRACKED_FD}, table full, or
     * the kernel refused the update). Under the ring's submit lock.
     */
    synchronized int slotFor(int fd, SubmissionQueue sq) {
        if (fd < 0 || fd >= MAX_TRACKED_FD) {
            return NONE;
        }
        if (fd < slotOfFd.length && slotOfFd[fd] != NONE) {
            return slotOfFd[fd];
        }
        if (!OwnedDescriptors.isOwned(fd)) {
            return NONE;
        }
        int slot;
        boolean wasFresh;
        if (emptiedCount > 0 && sq.unpublished() == 0 && sq.pending() == 0) {
            slot = emptied[--emptiedCount];
            wasFresh = false;
        } else if (fresh < slots) {
            slot = fresh++;
            wasFresh = true;
        } else {
            return NONE;
        }
        if (update(slot, fd) != 1) {
            // EBADF (closed behind jaio's back), a refusal, ...: the slot is as it was, empty.
            if (wasFresh) {
                fresh--;
            } else {
                emptied[emptiedCount++] = slot;
            }
            return NONE;
        }
        if (fd >= slotOfFd.length) {
            int old = slotOfFd.length;
            slotOfFd = Arrays.copyOf(slotOfFd, Math.min(MAX_TRACKED_FD, Math.max(2 * old, fd + 1)));
            Arrays.fill(slotOfFd, old, slotOfFd.length, NONE);
        }
        slotOfFd[fd] = slot;
        return slot;
    }

    /**
     * Empties {@code fd}'s slot, if it has one, before {@code fd} is closed. If the kernel
     * refuses, the slot is never used again (it may still hold the file). Any thread.
     */
    synchronized void forget(int fd) {
        if (fd < 0 || fd >= slotOfFd.length || slotOfFd[fd] == NONE) {
            return;
        }
        int slot = slotOfFd[fd];
        slotOfFd[fd] = NONE;
        long r;
        try {
            r = update(slot, -1);
        } catch (IllegalStateException ringClosed) {
            return; // the table went with the ring
        }
        if (r == 1) {
            emptied[emptiedCount++] = slot;
        } else {
            lost++;
        }
    }

    /** How many descriptors have a slot now; for tests and {@code toString}. */
    synchronized int inUse() {
        return fresh - emptiedCount - lost;
    }

    /** {@code IORING_REGISTER_FILES_UPDATE} of one slot: 1 if replaced, else {@code -errno}. */
    private long update(int slot, int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocateFrom(JAVA_INT, fd);
            MemorySegment arg = arena.allocate(IO_URING_FILES_UPDATE);
            arg.set(JAVA_INT, FILES_UPDATE_OFFSET, slot);
            arg.set(JAVA_LONG, FILES_UPDATE_FDS, fds.address());
            return ring.register(IORING_REGISTER_FILES_UPDATE, arg, 1);
        }
    }

    @Override
    public synchronized String toString() {
        return "RegisteredFiles[" + inUse() + " of " + slots + " slots in use]";
    }
}
