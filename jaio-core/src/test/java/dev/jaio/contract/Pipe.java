package dev.jaio.contract;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * An anonymous pipe made with {@code pipe(2)}, for contract tests that need an operation which
 * stays in flight: a read of its read end blocks until something is written to the write end
 * (or the write end is closed, which makes it return 0, end of file).
 *
 * <p>Why a pipe works on every engine: glibc's AIO worker falls back from {@code pread} to
 * {@code read} on {@code ESPIPE}, io_uring arms a poll on the empty pipe, and the thread engine
 * blocks in {@code read}. Tests hand {@link #readFd()} to jaio as a raw descriptor, which the API
 * accepts wherever it takes one.
 *
 * <p>Closing order matters for tests: {@link #closeWriteEnd()} first, so that every read still
 * waiting on the pipe completes (with end of file), then the blocks, then {@link #close()}.
 *
 * <p>Thread safety: every method is {@code synchronized}; a test may write from another thread.
 */
public final class Pipe implements AutoCloseable {
    private static final Linker LINKER = Linker.nativeLinker();
    /** {@code int pipe(int pipefd[2])} */
    private static final MethodHandle PIPE = downcall("pipe", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    /** {@code ssize_t write(int fd, const void *buf, size_t count)} */
    private static final MethodHandle WRITE =
            downcall("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    /** {@code ssize_t read(int fd, void *buf, size_t count)} */
    private static final MethodHandle READ =
            downcall("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    /** {@code int close(int fd)} */
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    /** {@code int fcntl(int fd, int cmd, ...)}, called with one {@code int} argument. */
    private static final MethodHandle FCNTL = downcall("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    /** {@code F_GETPIPE_SZ} from {@code <linux/fcntl.h>} ({@code F_LINUX_SPECIFIC_BASE + 8}). */
    private static final int F_GETPIPE_SZ = 1032;

    private final int readFd;
    private final int writeFd;
    private boolean writeEndOpen = true;
    private boolean readEndOpen = true;

    private Pipe(int readFd, int writeFd) {
        this.readFd = readFd;
        this.writeFd = writeFd;
    }

    @SuppressWarnings("restricted")
    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("libc has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** Makes a new pipe; both ends are open and nothing is in it. */
    public static Pipe open() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int rc = (int) PIPE.invokeExact(fds);
            if (rc != 0) {
                throw new IllegalStateException("pipe() returned " + rc);
            }
            return new Pipe(fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("pipe() failed", t);
        }
    }

    /** The read end, to be read asynchronously by the test. */
    public int readFd() {
        return readFd;
    }

    /** The write end, for tests that write to the pipe asynchronously. */
    public int writeFd() {
        return writeFd;
    }

    /** How many bytes the pipe holds before a write blocks ({@code fcntl(F_GETPIPE_SZ)}). */
    public int capacity() {
        int size;
        try {
            size = (int) FCNTL.invokeExact(writeFd, F_GETPIPE_SZ, 0);
        } catch (Throwable t) {
            throw new IllegalStateException("fcntl(F_GETPIPE_SZ) failed", t);
        }
        if (size <= 0) {
            throw new IllegalStateException("fcntl(F_GETPIPE_SZ) returned " + size);
        }
        return size;
    }

    /** Reads exactly {@code n} bytes from the read end, blocking until they are there. */
    public byte[] read(int n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(1, n));
            long done = 0;
            while (done < n) {
                long got = (long) READ.invokeExact(readFd, buf.asSlice(done), (long) n - done);
                if (got <= 0) {
                    throw new IllegalStateException("read() from pipe returned " + got + " after " + done
                            + " of " + n + " bytes");
                }
                done += got;
            }
            return buf.asSlice(0, n).toArray(JAVA_BYTE);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("read() from pipe failed", t);
        }
    }

    /** Writes all of {@code data} to the write end (blocking if the pipe is full). */
    public synchronized void write(byte[] data) {
        if (!writeEndOpen) {
            throw new IllegalStateException("write end already closed");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocateFrom(JAVA_BYTE, data);
            long done = 0;
            while (done < data.length) {
                long n = (long) WRITE.invokeExact(writeFd, buf.asSlice(done), (long) data.length - done);
                if (n <= 0) {
                    throw new IllegalStateException("write() to pipe returned " + n);
                }
                done += n;
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("write() to pipe failed", t);
        }
    }

    /** Closes the write end: reads waiting on the pipe see end of file. Idempotent. */
    public synchronized void closeWriteEnd() {
        if (writeEndOpen) {
            writeEndOpen = false;
            closeFd(writeFd);
        }
    }

    /** Closes both ends (the write end first). Idempotent. */
    @Override
    public synchronized void close() {
        closeWriteEnd();
        if (readEndOpen) {
            readEndOpen = false;
            closeFd(readFd);
        }
    }

    private static void closeFd(int fd) {
        int rc;
        try {
            rc = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException("close(" + fd + ") failed", t);
        }
        if (rc != 0) {
            throw new IllegalStateException("close(" + fd + ") returned " + rc);
        }
    }
}
