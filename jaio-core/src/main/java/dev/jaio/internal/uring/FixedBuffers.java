package dev.jaio.internal.uring;

import static dev.jaio.internal.ffi.IoUringAbi.IORING_REGISTER_BUFFERS;

import dev.jaio.Errno;
import dev.jaio.internal.ffi.FileIo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The io_uring engine's registered buffers ({@code IORING_REGISTER_BUFFERS}): {@code count}
 * buffers of {@code size} bytes, each starting on a page (so O_DIRECT can use them), in one
 * region of jaio's, pinned by the kernel once per ring. A read or write whose buffer lies inside
 * buffer {@code i} goes as {@code IORING_OP_READ_FIXED}/{@code WRITE_FIXED} with
 * {@code buf_index = i}: the kernel skips pinning and unpinning the user pages at each request.
 *
 * <p><b>Lifetime.</b> The region comes from an automatic arena: it is freed when neither the
 * engine nor any slice handed out is reachable. A control block holds its buffer until
 * {@code aio_return}, so the memory outlives every operation that uses it, and a slice used after
 * the engine closed is ordinary memory (it goes as a plain read or write on another engine). The
 * kernel's pin ends when the ring closes (the engine closes its rings after every operation
 * completed). Such memory is never closed by a user, so the engine gives its address to the kernel
 * directly, without staging a copy.
 *
 * <p>Immutable after construction; any thread.
 */
final class FixedBuffers {
    /** The kernel's limit on one registered buffer: 1 GiB ({@code SZ_1G} in io_uring/rsrc.c). */
    static final long MAX_SIZE = 1L << 30;
    /** {@code IORING_MAX_REG_BUFFERS} since Linux 5.13 (1024, {@code UIO_MAXIOV}, before). */
    static final int MAX_COUNT = 1 << 14;
    /** Each buffer starts on a page: what O_DIRECT wants, whatever the size asked for. */
    static final long ALIGNMENT = 4096;

    private final int count;
    private final long size;
    private final long stride;
    private final long base;
    private final MemorySegment region;
    /** The iovec array handed to IORING_REGISTER_BUFFERS, one per buffer; kept for later rings. */
    private final MemorySegment iovecs;
    private final List<MemorySegment> buffers;

    /**
     * Allocates the region (zeroed).
     *
     * @throws IllegalArgumentException for a count or size the kernel would refuse
     */
    FixedBuffers(int count, long size) {
        if (count < 1 || count > MAX_COUNT || size < 1 || size > MAX_SIZE) {
            throw new IllegalArgumentException("registered buffers: 1 to " + MAX_COUNT + " buffers of 1 byte to 1 GiB"
                    + " each (the kernel's limits), not " + count + " of " + size + " bytes");
        }
        this.count = count;
        this.size = size;
        this.stride = (size + ALIGNMENT - 1) & -ALIGNMENT;
        Arena auto = Arena.ofAuto();
        this.region = auto.allocate(stride * count, ALIGNMENT);
        this.base = region.address();
        this.iovecs = auto.allocate(FileIo.IOVEC_SIZE * count, 8);
        List<MemorySegment> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            MemorySegment buffer = region.asSlice(i * stride, size);
            list.add(buffer);
            iovecs.set(ValueLayout.ADDRESS, i * FileIo.IOVEC_SIZE + FileIo.IOV_BASE, buffer);
            iovecs.set(ValueLayout.JAVA_LONG, i * FileIo.IOVEC_SIZE + FileIo.IOV_LEN, size);
        }
        this.buffers = List.copyOf(list);
    }

    /** The buffers, in {@code buf_index} order. */
    List<MemorySegment> buffers() {
        return buffers;
    }

    /**
     * Pins every buffer for {@code ring}: 0, or {@code -errno}. The indexes are the same on every
     * ring, so an SQE's {@code buf_index} does not depend on the ring it goes to.
     */
    long register(IoUring ring) {
        return ring.register(IORING_REGISTER_BUFFERS, iovecs, count);
    }

    /**
     * The {@code buf_index} of the registered buffer that holds all of {@code buffer}, or -1: the
     * request goes as a plain read or write. Address arithmetic only; nothing allocated.
     */
    int indexOf(MemorySegment buffer) {
        long offset = buffer.address() - base;
        if (!buffer.isNative() || offset < 0 || offset >= stride * count) {
            return -1;
        }
        long i = offset / stride;
        return offset - i * stride + buffer.byteSize() <= size ? (int) i : -1;
    }

    /** Why the kernel refused {@link #register}, and what to do about it. */
    SetupFailure refusal(int errno) {
        String asked = count + " buffers of " + size + " bytes";
        String why = switch (Errno.of(errno)) {
            case ENOMEM -> "the kernel counts registered buffers against the locked-memory limit RLIMIT_MEMLOCK, "
                    + memlockLimit() + ", once per ring of the engine; " + asked + " do not fit: raise the limit"
                    + " (ulimit -l, systemd LimitMEMLOCK=, docker run --ulimit memlock=), run with CAP_IPC_LOCK, or ask"
                    + " for fewer or smaller buffers (AioEngineOptions.withFixedBuffers)";
            case EINVAL -> "this kernel does not take " + asked + " (before Linux 5.13 at most 1024 buffers): ask for"
                    + " fewer (AioEngineOptions.withFixedBuffers)";
            case EPERM, EACCES -> "a seccomp filter or security policy forbids registering buffers: open the engine"
                    + " without AioEngineOptions.withFixedBuffers";
            default -> Errno.of(errno).description();
        };
        return new SetupFailure("io_uring_register(IORING_REGISTER_BUFFERS)", errno, why);
    }

    /** "8388608 bytes (8192 KiB)" from /proc/self/limits, or "unknown here". */
    static String memlockLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max locked memory")) {
                    String[] words = line.substring("Max locked memory".length()).trim().split("\\s+");
                    return words[0].equals("unlimited") ? "unlimited" : words[0] + " bytes now";
                }
            }
        } catch (IOException | SecurityException e) {
            // only words the message
        }
        return "of unknown size here";
    }

    @Override
    public String toString() {
        return "FixedBuffers[" + count + " x " + size + " bytes]";
    }
}
