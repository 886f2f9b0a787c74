package dev.jaio.internal.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.jaio.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

/**
 * Synchronous positional I/O from {@code <unistd.h>} and {@code <sys/uio.h>}: what the threads
 * engine's workers call. Each returns the byte count (or 0) or {@code -errno}, and retries
 * {@code EINTR} itself, in {@link #retry}: a signal that interrupts a positional transfer before
 * any byte moved leaves nothing to undo, so the same call is simply made again.
 *
 * <p>Callable from any thread; blocking.
 */
public final class FileIo {
    /**
     * <pre>{@code struct iovec { void *iov_base; size_t iov_len; };}</pre>
     */
    public static final StructLayout IOVEC = MemoryLayout.structLayout(
            ADDRESS.withName("iov_base"), JAVA_LONG.withName("iov_len")).withName("iovec");
    public static final long IOVEC_SIZE = IOVEC.byteSize();
    public static final long IOV_BASE = IOVEC.byteOffset(MemoryLayout.PathElement.groupElement("iov_base"));
    public static final long IOV_LEN = IOVEC.byteOffset(MemoryLayout.PathElement.groupElement("iov_len"));

    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final int EINTR = 4;

    /**
     * {@code ssize_t pread(int fd, void *buf, size_t count, off_t offset)}, and pwrite alike. The
     * buffer is passed as its address, a {@code long} (the same register on LP64): the segment may
     * be confined to the submitting thread, and FFM would refuse it on a worker thread. The block
     * keeps the segment reachable until the operation is returned.
     */
    private static final MethodHandle PREAD = Libc.downcall("pread",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), ERRNO);
    private static final MethodHandle PWRITE = Libc.downcall("pwrite",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), ERRNO);
    /** {@code ssize_t read(int fd, void *buf, size_t count)}: for descriptors without offsets (pipes). */
    private static final MethodHandle READ = Libc.downcall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO);
    private static final MethodHandle WRITE = Libc.downcall("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO);
    private static final MethodHandle READV = Libc.downcall("readv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), ERRNO);
    private static final MethodHandle WRITEV = Libc.downcall("writev",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), ERRNO);
    private static final int ESPIPE = 29;
    /** {@code ssize_t preadv(int fd, const struct iovec *iov, int iovcnt, off_t offset)}, and pwritev alike. */
    private static final MethodHandle PREADV = Libc.downcall("preadv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG), ERRNO);
    private static final MethodHandle PWRITEV = Libc.downcall("pwritev",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG), ERRNO);
    /**
     * {@code ssize_t preadv2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags)}
     * (glibc 2.26, Linux 4.6; {@code RWF_NOWAIT} 4.14): null where the C library lacks it.
     */
    private static final MethodHandle PREADV2 = Libc.downcallIfPresent("preadv2",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT), ERRNO);
    /** {@code RWF_NOWAIT}: fail with {@code EAGAIN} rather than wait for the device or a lock. */
    private static final int RWF_NOWAIT = 0x8;
    private static final MethodHandle FSYNC = Libc.downcall("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle FDATASYNC = Libc.downcall("fdatasync",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);

    private FileIo() {
    }

    /**
     * {@code pread}: bytes read or {@code -errno}. On a descriptor without offsets (a pipe, a
     * socket: {@code ESPIPE}) it reads with {@code read}, ignoring {@code offset}, as glibc's AIO
     * does, so every engine treats such descriptors alike.
     */
    public static long pread(int fd, MemorySegment buf, long offset) {
        CallState state = CallState.current();
        long address = buf.address();
        long count = buf.byteSize();
        try {
            long r;
            do {
                r = (long) PREAD.invokeExact(state.capture, fd, address, count, offset);
            } while (retry(r, state));
            if (r < 0 && state.errno() == ESPIPE) {
                do {
                    r = (long) READ.invokeExact(state.capture, fd, address, count);
                } while (retry(r, state));
            }
            return r >= 0 ? r : -state.errno();
        } catch (Throwable t) {
            throw Downcalls.unexpected("pread", t);
        }
    }

    /**
     * {@code preadv2(fd, {buf}, 1, offset, RWF_NOWAIT)}: reads what the page cache holds of
     * {@code buf}'s range without ever waiting for the device: the count (short when only the
     * start of the range is cached, 0 at the end of the file), or {@code -errno}: {@code EAGAIN}
     * when the data is not cached (or a lock is taken), {@code EOPNOTSUPP} where the file system
     * or kernel cannot promise not to wait, or {@code ENOSYS} where the C library has no
     * {@code preadv2}. {@code scratch}, the caller's alone during the call, holds the iovec and
     * the captured errno, so that the call allocates nothing and needs no per-thread state (a
     * virtual thread may be new for each read).
     */
    public static long readNowait(int fd, MemorySegment buf, long offset, NowaitScratch scratch) {
        if (PREADV2 == null) {
            return -Errno.ENOSYS.code();
        }
        MemorySegment iov = scratch.iovec;
        MemorySegment capture = scratch.capture;
        iov.set(JAVA_LONG, IOV_BASE, buf.address());
        iov.set(JAVA_LONG, IOV_LEN, buf.byteSize());
        try {
            long r;
            do {
                r = (long) PREADV2.invokeExact(capture, fd, iov, 1, offset, RWF_NOWAIT);
            } while (r < 0 && CallState.errno(capture) == EINTR);
            return r >= 0 ? r : -CallState.errno(capture);
        } catch (Throwable t) {
            throw Downcalls.unexpected("preadv2", t);
        }
    }

    /** {@code pwrite}: bytes written or {@code -errno}; {@code write} on ESPIPE, like {@link #pread}. */
    public static long pwrite(int fd, MemorySegment buf, long offset) {
        CallState state = CallState.current();
        long address = buf.address();
        long count = buf.byteSize();
        try {
            long r;
            do {
                r = (long) PWRITE.invokeExact(state.capture, fd, address, count, offset);
            } while (retry(r, state));
            if (r < 0 && state.errno() == ESPIPE) {
                do {
                    r = (long) WRITE.invokeExact(state.capture, fd, address, count);
                } while (retry(r, state));
            }
            return r >= 0 ? r : -state.errno();
        } catch (Throwable t) {
            throw Downcalls.unexpected("pwrite", t);
        }
    }

    /** {@code preadv} over {@code iovcnt} iovecs at {@code iov}: bytes read or {@code -errno}. */
    public static long preadv(int fd, MemorySegment iov, int iovcnt, long offset) {
        CallState state = CallState.current();
        try {
            long r;
            do {
                r = (long) PREADV.invokeExact(state.capture, fd, iov, iovcnt, offset);
            } while (retry(r, state));
            if (r < 0 && state.errno() == ESPIPE) {
                do {
                    r = (long) READV.invokeExact(state.capture, fd, iov, iovcnt);
                } while (retry(r, state));
            }
            return r >= 0 ? r : -state.errno();
        } catch (Throwable t) {
            throw Downcalls.unexpected("preadv", t);
        }
    }

    /** {@code pwritev} over {@code iovcnt} iovecs at {@code iov}: bytes written or {@code -errno}. */
    public static long pwritev(int fd, MemorySegment iov, int iovcnt, long offset) {
        CallState state = CallState.current();
        try {
            long r;
            do {
                r = (long) PWRITEV.invokeExact(state.capture, fd, iov, iovcnt, offset);
            } while (retry(r, state));
            if (r < 0 && state.errno() == ESPIPE) {
                do {
                    r = (long) WRITEV.invokeExact(state.capture, fd, iov, iovcnt);
                } while (retry(r, state));
            }
            return r >= 0 ? r : -state.errno();
        } catch (Throwable t) {
            throw Downcalls.unexpected("pwritev", t);
        }
    }

    /** {@code fsync} ({@code dataOnly}: {@code fdatasync}): 0 or {@code -errno}. */
    public static long fsync(int fd, boolean dataOnly) {
        CallState state = CallState.current();
        try {
            int r;
            do {
                r = dataOnly ? (int) FDATASYNC.invokeExact(state.capture, fd) : (int) FSYNC.invokeExact(state.capture, fd);
            } while (retry(r, state));
            return r == 0 ? 0 : -state.errno();
        } catch (Throwable t) {
            throw Downcalls.unexpected(dataOnly ? "fdatasync" : "fsync", t);
        }
    }

    /** The one EINTR loop: retry while the call failed with EINTR. */
    private static boolean retry(long r, CallState state) {
        return r < 0 && state.errno() == EINTR;
    }

    /**
     * The native memory one {@link #readNowait} at a time needs: an iovec and the errno capture,
     * from an automatic arena (freed by the GC with this object). Not thread-safe: one user at a
     * time.
     */
    public static final class NowaitScratch {
        final MemorySegment iovec;
        final MemorySegment capture;

        public NowaitScratch() {
            Arena arena = Arena.ofAuto();
            this.iovec = arena.allocate(IOVEC);
            this.capture = arena.allocate(CallState.CAPTURE_LAYOUT);
        }
    }
}
