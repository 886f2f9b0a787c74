package dev.jaio.internal.uring;

import dev.jaio.internal.ffi.IoUringAbi;
import java.lang.foreign.MemorySegment;

/**
 * One io_uring request as plain values (opcode, descriptor, address, length, offset, the
 * opcode's flags), the way liburing's {@code io_uring_prep_*} helpers take them;
 * {@link SubmissionQueue#prepare(int, UringRequest, long)} turns it into an SQE. It knows nothing
 * of engines or control blocks.
 *
 * <p>Mutable and reused: each control block of the engine owns one and describes its current
 * submission into it, so submitting allocates nothing. Checks what the SQE fields cannot carry
 * (a heap or read-only buffer, a length over {@code __u32}) when it is set, before any SQE is
 * reserved. Used by one thread at a time (the block's submitter).
 */
final class UringRequest {
    /** The largest buffer length an SQE can carry: {@code __u32 len}. */
    static final long MAX_LEN = 0xFFFF_FFFFL;

    private int opcode = IoUringAbi.IORING_OP_NOP;
    private int fd = -1;
    private long address;
    private int length;
    private long offset;
    private int opFlags;
    /** {@code sqe->buf_index}: the registered buffer of a READ_FIXED or WRITE_FIXED, else 0. */
    private int bufIndex;

    /** {@code IORING_OP_READ} (5.6): {@code pread(fd, buffer, buffer.byteSize(), offset)}. */
    UringRequest read(int fd, MemorySegment buffer, long offset) {
        if (buffer.isReadOnly()) {
            throw new IllegalArgumentException("a read needs a writable buffer, not a read-only segment");
        }
        return set(IoUringAbi.IORING_OP_READ, fd, address(buffer), length(buffer), offset, 0);
    }

    /** {@code IORING_OP_WRITE} (5.6): {@code pwrite(fd, buffer, buffer.byteSize(), offset)}. */
    UringRequest write(int fd, MemorySegment buffer, long offset) {
        return set(IoUringAbi.IORING_OP_WRITE, fd, address(buffer), length(buffer), offset, 0);
    }

    /** {@code IORING_OP_READV} (5.1) over {@code iovcnt} {@code struct iovec}s at {@code iovecs}. */
    UringRequest readv(int fd, MemorySegment iovecs, int iovcnt, long offset) {
        return set(IoUringAbi.IORING_OP_READV, fd, iovecArray(iovecs, iovcnt), iovcnt, offset, 0);
    }

    /** {@code IORING_OP_WRITEV} (5.1); see {@link #readv}. */
    UringRequest writev(int fd, MemorySegment iovecs, int iovcnt, long offset) {
        return set(IoUringAbi.IORING_OP_WRITEV, fd, iovecArray(iovecs, iovcnt), iovcnt, offset, 0);
    }

    /**
     * {@code IORING_OP_FSYNC} (5.1) of the whole file; {@code fsyncFlags} 0 or
     * {@link IoUringAbi#IORING_FSYNC_DATASYNC}. The kernel starts it at once, unordered with
     * earlier writes: ordering is the engine's business.
     */
    UringRequest fsync(int fd, int fsyncFlags) {
        return set(IoUringAbi.IORING_OP_FSYNC, fd, 0L, 0, 0L, fsyncFlags);
    }

    /**
     * Turns this READ or WRITE into {@code IORING_OP_READ_FIXED} or {@code WRITE_FIXED} (5.1) of
     * registered buffer {@code index}, which holds the whole of its address and length.
     *
     * @throws IllegalStateException for any other opcode: only plain reads and writes have a
     *         fixed form here
     */
    UringRequest inFixedBuffer(int index) {
        opcode = switch (opcode) {
            case IoUringAbi.IORING_OP_READ -> IoUringAbi.IORING_OP_READ_FIXED;
            case IoUringAbi.IORING_OP_WRITE -> IoUringAbi.IORING_OP_WRITE_FIXED;
            default -> throw new IllegalStateException(IoUringAbi.opcodeName(opcode) + " has no registered-buffer form");
        };
        bufIndex = index;
        return this;
    }

    private UringRequest set(int opcode, int fd, long address, int length, long offset, int opFlags) {
        this.bufIndex = 0;
        this.opcode = opcode;
        this.fd = fd;
        this.address = address;
        this.length = length;
        this.offset = offset;
        this.opFlags = opFlags;
        return this;
    }

    int opcode() {
        return opcode;
    }

    int fd() {
        return fd;
    }

    long address() {
        return address;
    }

    /** {@code sqe->len}: bytes, or the number of iovecs; an unsigned {@code __u32}. */
    int length() {
        return length;
    }

    long offset() {
        return offset;
    }

    /** {@code sqe->buf_index}, a {@code __u16}: the registered buffer of a READ_FIXED or WRITE_FIXED. */
    int bufIndex() {
        return bufIndex;
    }

    /** {@code sqe->rw_flags} and its union mates ({@code fsync_flags}, ...). */
    int opFlags() {
        return opFlags;
    }

    /** The address of a native buffer, for {@code sqe->addr}; a heap segment is refused. */
    static long address(MemorySegment buffer) {
        if (!buffer.isNative()) {
            throw new IllegalArgumentException("the kernel needs a native buffer; a heap segment moves with the"
                    + " GC: allocate it from an Arena");
        }
        return buffer.address();
    }

    /** The buffer's length as the {@code __u32 len} field holds it. */
    static int length(MemorySegment buffer) {
        long size = buffer.byteSize();
        if (size > MAX_LEN) {
            throw new IllegalArgumentException("an SQE carries at most 2^32-1 bytes (__u32 len), not " + size);
        }
        return (int) size;
    }

    /** The address of an array of at least {@code iovcnt} {@code struct iovec}s (16 bytes each). */
    static long iovecArray(MemorySegment iovecs, int iovcnt) {
        if (iovcnt < 0 || iovecs.byteSize() < 16L * iovcnt) {
            throw new IllegalArgumentException("iovcnt " + iovcnt + " does not fit an iovec array of "
                    + iovecs.byteSize() + " bytes");
        }
        return address(iovecs);
    }
}
