package dev.jaio.internal.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

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
}
