package dev.jaio.internal.uring;

import static dev.jaio.internal.ffi.IoUringAbi.IORING_ASYNC_CANCEL_FD;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OP_ASYNC_CANCEL;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OP_FSYNC;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OP_NOP;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OP_READ;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OP_READV;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OP_WRITE;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OP_WRITEV;
import static dev.jaio.internal.ffi.IoUringAbi.IOSQE_FIXED_FILE;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_ADDR;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_ADDR3;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_BUF_INDEX;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_FD;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_FILE_INDEX;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_FLAGS;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_IOPRIO;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_LEN;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_OFF;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_OPCODE;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_PAD2;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_PERSONALITY;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_RW_FLAGS;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_SIZE;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_USER_DATA;
import static dev.jaio.internal.ffi.IoUringAbi.SQ_OFF_ARRAY;
import static dev.jaio.internal.ffi.IoUringAbi.SQ_OFF_DROPPED;
import static dev.jaio.internal.ffi.IoUringAbi.SQ_OFF_FLAGS;
import static dev.jaio.internal.ffi.IoUringAbi.SQ_OFF_HEAD;
import static dev.jaio.internal.ffi.IoUringAbi.SQ_OFF_RING_ENTRIES;
import static dev.jaio.internal.ffi.IoUringAbi.SQ_OFF_RING_MASK;
import static dev.jaio.internal.ffi.IoUringAbi.SQ_OFF_TAIL;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * The submission side of one {@link IoUring}: the SQ ring (head, tail, flags, the index array)
 * and the SQE array, both shared with the kernel.
 *
 * <p>The protocol, one batch at a time:
 * {@snippet :
 * int slot = sq.reserve();
 * if (slot == SubmissionQueue.FULL) {
 *     // back-pressure: reap completions or submit what is queued, then try again
 * } else {
 *     sq.prepareRead(slot, fd, buffer, offset, userData);
 *     sq.setFlags(slot, IoUringAbi.IOSQE_IO_LINK); // optional, after prepare
 * }
 * // ... more reserve/prepare ...
 * long consumed = ring.submit(); // publish() the tail, then io_uring_enter
 * }
 * A slot stays the caller's from {@link #reserve()} until {@link #publish()}; after publishing,
 * the kernel owns it until it has consumed it (advanced the head past it), which for this
 * non-SQPOLL ring happens inside the {@code io_uring_enter} that submits it. An SQE that was
 * reserved but should not be submitted after all is given back with {@link #abandon(int)}.
 *
 * <p>Memory ordering, as in liburing: the SQE stores are plain; the tail store that publishes
 * them is a release ({@code io_uring_smp_store_release(sq->ktail, tail)}), which orders every
 * earlier store before it, and the kernel loads the tail with an acquire before it reads the
 * SQEs. The head, which the kernel advances as it consumes SQEs, is loaded with an acquire
 * ({@code io_uring_smp_load_acquire(sq->khead)}) before a consumed slot is reused, so the kernel's
 * reads of the old SQE happen before our writes of the new one.
 *
 * <p>Threads: <b>single producer</b>. One thread at a time may call any method here except
 * {@link #kernelFlags()} and {@link #droppedCount()} (any thread): the local tail is a plain
 * field and the SQ ring has exactly one writer of its tail. An engine with several submitting
 * threads guards this queue, and the {@code io_uring_enter} that submits, with one lock; the lock
 * also makes the plain fields visible to whichever thread holds it next. The completion side may
 * run at the same time on another thread.
 */
public final class SubmissionQueue {
    /** What {@link #reserve()} returns when every SQE is taken: back-pressure, not an error. */
    public static final int FULL = -1;

    /** Acquire/release access to a 32-bit ring word; exact types, so a wrong call fails fast. */
    private static final VarHandle WORD = ValueLayout.JAVA_INT.varHandle().withInvokeExactBehavior();

    /** The SQ ring: head, tail, mask, entries, flags, dropped, array. */
    private final MemorySegment ring;
    /** The SQE array, {@code entries} times 64 bytes. */
    private final MemorySegment sqes;
    private final long khead;
    private final long ktail;
    private final long kflags;
    private final long kdropped;
    private final int entries;
    private final int mask;

    /** The tail including reserved, unpublished SQEs; free-running, wraps at 2^32 like the kernel's. */
    private int sqeTail;
    /** The tail last stored into {@code *ktail}. */
    private int published;

    /**
     * @param ring   a segment over the SQ ring mapping
     * @param sqes   a segment over the SQE array mapping
     * @param sqOff  the kernel's {@code struct io_sqring_offsets} (a slice of the setup params)
     */
    SubmissionQueue(MemorySegment ring, MemorySegment sqes, MemorySegment sqOff) {
        this.ring = ring;
        this.sqes = sqes;
        this.khead = Integer.toUnsignedLong(sqOff.get(JAVA_INT, SQ_OFF_HEAD));
        this.ktail = Integer.toUnsignedLong(sqOff.get(JAVA_INT, SQ_OFF_TAIL));
        this.kflags = Integer.toUnsignedLong(sqOff.get(JAVA_INT, SQ_OFF_FLAGS));
        this.kdropped = Integer.toUnsignedLong(sqOff.get(JAVA_INT, SQ_OFF_DROPPED));
        // Written by the kernel before io_uring_setup returned and never changed.
        this.entries = ring.get(JAVA_INT, Integer.toUnsignedLong(sqOff.get(JAVA_INT, SQ_OFF_RING_ENTRIES)));
        this.mask = ring.get(JAVA_INT, Integer.toUnsignedLong(sqOff.get(JAVA_INT, SQ_OFF_RING_MASK)));
        if (entries <= 0 || Integer.bitCount(entries) != 1 || mask != entries - 1
                || sqes.byteSize() < entries * SQE_SIZE) {
            throw new IllegalStateException("inconsistent SQ ring: entries=" + entries + ", mask=" + mask
                    + ", SQE array of " + sqes.byteSize() + " bytes");
        }
        // The index array maps ring positions to SQEs. jaio fills it once with the identity, as
        // liburing does since 2.2, so position (tail & mask) always names SQE (tail & mask) and
        // the array is never written again. Plain stores: the first tail release publishes them.
        long array = Integer.toUnsignedLong(sqOff.get(JAVA_INT, SQ_OFF_ARRAY));
        for (int i = 0; i < entries; i++) {
            ring.set(JAVA_INT, array + 4L * i, i);
        }
        // A new ring starts at 0 (liburing simply assumes so); take the kernel's word for it.
        // io_uring_smp_load_acquire(sq->ktail)
        this.published = (int) WORD.getAcquire(ring, ktail);
        this.sqeTail = published;
    }

    /** The ring's size: at most this many SQEs are reserved or unconsumed at once. */
    public int entries() {
        return entries;
    }

    /**
     * How many SQEs {@link #reserve()} can hand out now, so a batch can check for room before it
     * takes any.
     */
    public int available() {
        // io_uring_smp_load_acquire(sq->khead), as in io_uring_sq_space_left
        int head = (int) WORD.getAcquire(ring, khead);
        return entries - (sqeTail - head);
    }

    /**
     * Takes the next free SQE.
     *
     * @return its slot index, for the {@code prepare*} methods, or {@link #FULL} when every SQE is
     *         reserved, published but not yet consumed by the kernel: back-pressure. Submitting
     *         what is published ({@link IoUring#submit()}) frees slots.
     */
    public int reserve() {
        // io_uring_smp_load_acquire(sq->khead), as in _io_uring_get_sqe. Unsigned distance: both
        // counters wrap at 2^32, and their difference never exceeds entries.
        int head = (int) WORD.getAcquire(ring, khead);
        if (sqeTail - head >= entries) {
            return FULL;
        }
        return sqeTail++ & mask;
    }

    /** How many SQEs were reserved since the last {@link #publish()}. */
    public int unpublished() {
        return sqeTail - published;
    }

    /**
     * Gives back the last {@code count} reserved, unpublished SQEs, for a batch that fails
     * validation half-way. Their contents are left as they are and overwritten by the next
     * reservations.
     *
     * @throws IllegalArgumentException if {@code count} is negative or more than {@link #unpublished()}
     */
    public void abandon(int count) {
        if (count < 0 || count > sqeTail - published) {
            throw new IllegalArgumentException("cannot abandon " + count + " SQEs: only " + (sqeTail - published)
                    + " are reserved and unpublished");
        }
        sqeTail -= count;
    }

    /**
     * Takes back every SQE the kernel has not consumed, published or only reserved, after an
     * {@code io_uring_enter} that refused them (an errno other than EAGAIN or EBUSY): left in the
     * ring, they would be submitted by the next {@code io_uring_enter}, stale, for requests their
     * owners were told had failed. The tail goes back to the kernel's head, published with a
     * release store; their contents are left as they are and overwritten by the next
     * reservations.
     *
     * <p>Lowering a published tail is sound only because nothing but the producer's own
     * {@code io_uring_enter} with {@code to_submit > 0} reads it (never call this on an SQPOLL
     * ring, whose poller thread reads the tail whenever it likes) and the producer is not inside one: the kernel loads the tail afresh at each such call and
     * consumes from its head, so it sees nothing to consume.
     *
     * @param userData receives the {@code user_data} of each withdrawn SQE, oldest first, before
     *                 the tail moves
     * @return how many SQEs were withdrawn
     */
    public int withdrawUnconsumed(LongConsumer userData) {
        // io_uring_smp_load_acquire(sq->khead): the kernel's reads of consumed SQEs are done.
        int head = (int) WORD.getAcquire(ring, khead);
        int count = sqeTail - head;
        for (int i = 0; i < count; i++) {
            userData.accept(sqes.get(JAVA_LONG, sqe((head + i) & mask) + SQE_USER_DATA));
        }
        sqeTail = head;
        if (published != head) {
            WORD.setRelease(ring, ktail, head);
            published = head;
        }
        return count;
    }

    /**
     * Makes every reserved SQE visible to the kernel by storing the tail with release semantics.
     * The kernel does not look at them until an {@code io_uring_enter} asks it to.
     *
     * @return how many published SQEs the kernel has not consumed yet: the {@code to_submit} for
     *         {@code io_uring_enter}
     */
    public int publish() {
        if (sqeTail != published) {
            // io_uring_smp_store_release(sq->ktail, tail), as in __io_uring_flush_sq: every SQE
            // store above happens-before the kernel's acquire load of the tail.
            WORD.setRelease(ring, ktail, sqeTail);
            published = sqeTail;
        }
        return pending();
    }

    /** How many published SQEs the kernel has not consumed yet. */
    public int pending() {
        // io_uring_smp_load_acquire(sq->khead), as in io_uring_sq_ready
        return published - (int) WORD.getAcquire(ring, khead);
    }

    /**
     * {@code sq_ring->flags}: {@code IORING_SQ_CQ_OVERFLOW} (the kernel holds completions the CQ
     * ring had no room for), {@code IORING_SQ_TASKRUN}. Any thread.
     */
    public int kernelFlags() {
        // IO_URING_READ_ONCE(*sq->kflags) in liburing; an acquire is at least as strong.
        return (int) WORD.getAcquire(ring, kflags);
    }

    /**
     * {@code sq_ring->dropped}: how many SQEs the kernel discarded as invalid (an index past the
     * ring; never expected here, since the index array is the identity). Any thread.
     */
    public long droppedCount() {
        // IO_URING_READ_ONCE(*sq->kdropped); __u32, widened unsigned
        return Integer.toUnsignedLong((int) WORD.getAcquire(ring, kdropped));
    }

    // -------------------------------------------------------------------------------------------
    // Filling an SQE. Each prepare writes all 64 bytes, so nothing of a slot's previous use
    // (flags, personality, buffer index) leaks into the next request.
    // -------------------------------------------------------------------------------------------

    /** {@code IORING_OP_NOP}: completes with res 0; for tests and for waking a waiting reaper. */
    public void prepareNop(int slot, long userData) {
        prepare(slot, IORING_OP_NOP, -1, 0L, 0, 0L, 0, userData);
    }

    /**
     * {@code IORING_OP_READ} (5.6): {@code pread(fd, buffer, buffer.byteSize(), offset)}.
     *
     * @param buffer a native, writable segment of at most 2^32-1 bytes; the kernel writes it until
     *               the CQE for {@code userData} has been reaped
     */
    public void prepareRead(int slot, int fd, MemorySegment buffer, long offset, long userData) {
        if (buffer.isReadOnly()) {
            throw new IllegalArgumentException("a read needs a writable buffer, not a read-only segment");
        }
        prepare(slot, IORING_OP_READ, fd, UringRequest.address(buffer), UringRequest.length(buffer), offset, 0, userData);
    }

    /**
     * {@code IORING_OP_WRITE} (5.6): {@code pwrite(fd, buffer, buffer.byteSize(), offset)}.
     *
     * @param buffer a native segment of at most 2^32-1 bytes; the kernel reads the data when the
     *               write runs, so it must stay unchanged until the CQE has been reaped
     */
    public void prepareWrite(int slot, int fd, MemorySegment buffer, long offset, long userData) {
        prepare(slot, IORING_OP_WRITE, fd, UringRequest.address(buffer), UringRequest.length(buffer), offset, 0, userData);
    }

    /**
     * {@code IORING_OP_READV} (5.1): {@code preadv(fd, iovecs, iovcnt, offset)}.
     *
     * @param iovecs a native array of at least {@code iovcnt} {@code struct iovec}s (16 bytes
     *               each on LP64); with IORING_FEAT_SUBMIT_STABLE (5.5) the kernel has copied the
     *               array once io_uring_enter returns, but it writes the buffers the array points
     *               to until the CQE has been reaped
     */
    public void prepareReadv(int slot, int fd, MemorySegment iovecs, int iovcnt, long offset, long userData) {
        prepare(slot, IORING_OP_READV, fd, UringRequest.iovecArray(iovecs, iovcnt), iovcnt, offset, 0, userData);
    }

    /** {@code IORING_OP_WRITEV} (5.1): {@code pwritev(fd, iovecs, iovcnt, offset)}; see {@link #prepareReadv}. */
    public void prepareWritev(int slot, int fd, MemorySegment iovecs, int iovcnt, long offset, long userData) {
        prepare(slot, IORING_OP_WRITEV, fd, UringRequest.iovecArray(iovecs, iovcnt), iovcnt, offset, 0, userData);
    }

    /**
     * {@code IORING_OP_FSYNC} (5.1) over the whole file ({@code off} and {@code len} zero).
     * io_uring starts it at once, unordered with earlier writes: for POSIX {@code aio_fsync}
     * semantics combine it with {@link dev.jaio.internal.ffi.IoUringAbi#IOSQE_IO_DRAIN} or a link.
     *
     * @param fsyncFlags 0 for {@code fsync}, {@link dev.jaio.internal.ffi.IoUringAbi#IORING_FSYNC_DATASYNC}
     *                   for {@code fdatasync}
     */
    public void prepareFsync(int slot, int fd, int fsyncFlags, long userData) {
        prepare(slot, IORING_OP_FSYNC, fd, 0L, 0, 0L, fsyncFlags, userData);
    }

    /**
     * {@code IORING_OP_ASYNC_CANCEL} (5.5) of the request whose user_data is {@code target}. Its
     * own CQE ({@code userData}) says 0 (found and canceled), {@code -ENOENT} (not found: done or
     * never submitted) or {@code -EALREADY} (running, cannot be stopped; its CQE follows).
     *
     * @param cancelFlags {@code IORING_ASYNC_CANCEL_*}, 0 for "the first match by user_data"
     */
    public void prepareCancel(int slot, long target, int cancelFlags, long userData) {
        prepare(slot, IORING_OP_ASYNC_CANCEL, -1, target, 0, 0L, cancelFlags, userData);
    }

    /**
     * {@code IORING_OP_ASYNC_CANCEL} of requests on descriptor {@code fd}
     * ({@code IORING_ASYNC_CANCEL_FD}, Linux 5.19; add {@code IORING_ASYNC_CANCEL_ALL} for every
     * match). Its CQE's res is the number canceled, or {@code -ENOENT}.
     */
    public void prepareCancelFd(int slot, int fd, int cancelFlags, long userData) {
        prepare(slot, IORING_OP_ASYNC_CANCEL, fd, 0L, 0, 0L, cancelFlags | IORING_ASYNC_CANCEL_FD, userData);
    }

    /**
     * Fills SQE {@code slot} with {@code request} (liburing's {@code io_uring_prep_rw}): opcode,
     * descriptor, address, length, offset, the opcode's flags and registered buffer, everything
     * else zero.
     *
     * @param fileSlot the request's descriptor's slot in the ring's registered-file table: the
     *                 SQE names it instead of the descriptor, with {@code IOSQE_FIXED_FILE}
     *                 ({@code io_uring_prep_rw} then {@code sqe->flags |= IOSQE_FIXED_FILE}, as
     *                 liburing's users do); -1 for none
     */
    void prepare(int slot, UringRequest request, long userData, int fileSlot) {
        boolean fixedFile = fileSlot >= 0;
        prepare(slot, request.opcode(), fixedFile ? fileSlot : request.fd(), request.address(), request.length(),
                request.offset(), request.opFlags(), userData);
        long sqe = sqe(slot);
        if (fixedFile) {
            sqes.set(JAVA_BYTE, sqe + SQE_FLAGS, (byte) IOSQE_FIXED_FILE);
        }
        // __u16 buf_index: at most IORING_MAX_REG_BUFFERS (2^14), so the narrowing keeps every bit.
        sqes.set(JAVA_SHORT, sqe + SQE_BUF_INDEX, (short) request.bufIndex());
    }

    /** {@code sqe->opcode} of a prepared slot, widened unsigned; for tests. */
    int opcode(int slot) {
        return Byte.toUnsignedInt(sqes.get(JAVA_BYTE, sqe(slot) + SQE_OPCODE));
    }

    /** {@code sqe->fd} of a prepared slot (a descriptor, or a file slot with IOSQE_FIXED_FILE); for tests. */
    int fd(int slot) {
        return sqes.get(JAVA_INT, sqe(slot) + SQE_FD);
    }

    /** {@code sqe->buf_index} of a prepared slot, widened unsigned; for tests. */
    int bufIndex(int slot) {
        return Short.toUnsignedInt(sqes.get(JAVA_SHORT, sqe(slot) + SQE_BUF_INDEX));
    }

    /** The slot of the SQE published last (the newest the kernel was given); for tests. */
    int lastPublishedSlot() {
        return (published - 1) & mask;
    }

    /**
     * Sets {@code sqe->flags} ({@code IOSQE_IO_DRAIN}, {@code IOSQE_IO_LINK}, ...). Call after the
     * {@code prepare*} method, which clears them.
     *
     * @param iosqeFlags a bit set of {@code IOSQE_*}; the field is a {@code __u8}
     * @throws IllegalArgumentException for bits the field cannot hold
     */
    public void setFlags(int slot, int iosqeFlags) {
        if ((iosqeFlags & ~0xFF) != 0) {
            throw new IllegalArgumentException("sqe->flags is a __u8: 0x" + Integer.toHexString(iosqeFlags)
                    + " does not fit");
        }
        sqes.set(JAVA_BYTE, sqe(slot) + SQE_FLAGS, (byte) iosqeFlags);
    }

    /** {@code sqe->flags} of a prepared slot, widened unsigned. */
    public int flags(int slot) {
        return Byte.toUnsignedInt(sqes.get(JAVA_BYTE, sqe(slot) + SQE_FLAGS));
    }

    private long sqe(int slot) {
        return Objects.checkIndex(slot, entries) * SQE_SIZE;
    }

    private void prepare(int slot, int opcode, int fd, long addr, int len, long off, int opFlags, long userData) {
        long sqe = sqe(slot);
        sqes.set(JAVA_BYTE, sqe + SQE_OPCODE, (byte) opcode);
        sqes.set(JAVA_BYTE, sqe + SQE_FLAGS, (byte) 0);
        sqes.set(JAVA_SHORT, sqe + SQE_IOPRIO, (short) 0);
        sqes.set(JAVA_INT, sqe + SQE_FD, fd);
        sqes.set(JAVA_LONG, sqe + SQE_OFF, off);
        sqes.set(JAVA_LONG, sqe + SQE_ADDR, addr);
        sqes.set(JAVA_INT, sqe + SQE_LEN, len);
        sqes.set(JAVA_INT, sqe + SQE_RW_FLAGS, opFlags);
        sqes.set(JAVA_LONG, sqe + SQE_USER_DATA, userData);
        sqes.set(JAVA_SHORT, sqe + SQE_BUF_INDEX, (short) 0);
        sqes.set(JAVA_SHORT, sqe + SQE_PERSONALITY, (short) 0);
        sqes.set(JAVA_INT, sqe + SQE_FILE_INDEX, 0);
        sqes.set(JAVA_LONG, sqe + SQE_ADDR3, 0L);
        sqes.set(JAVA_LONG, sqe + SQE_PAD2, 0L);
    }
}
