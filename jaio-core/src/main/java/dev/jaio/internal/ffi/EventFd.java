package dev.jaio.internal.ffi;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * {@code eventfd(2)}: a kernel counter a thread can block on. The io_uring engine registers one
 * with its ring; the kernel adds to it whenever it posts completions, and the engine's reaper
 * thread sleeps in {@link #await} until then, so an idle engine costs no CPU.
 *
 * <p>Callable from any thread; {@link #await} blocks.
 */
public final class EventFd {
    /** {@code EFD_CLOEXEC}: the same value as {@code O_CLOEXEC} on Linux. */
    public static final int EFD_CLOEXEC = 02000000;

    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final int EINTR = 4;
    private static final MethodHandle EVENTFD = Libc.downcall("eventfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    /** {@code read}/{@code write} of the 8-byte counter; the buffer passed as an address (long). */
    private static final MethodHandle READ = Libc.downcall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO);
    private static final MethodHandle WRITE = Libc.downcall("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO);

    private static final ThreadLocal<MemorySegment> COUNTER =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(JAVA_LONG));

    private EventFd() {
    }

    /** {@code eventfd(0, EFD_CLOEXEC)}: the descriptor or {@code -errno}. */
    public static int create() {
        CallState state = CallState.current();
        try {
            int fd = (int) EVENTFD.invokeExact(state.capture, 0, EFD_CLOEXEC);
            return fd >= 0 ? fd : -state.errno();
        } catch (Throwable t) {
            throw Downcalls.unexpected("eventfd", t);
        }
    }

    /**
     * Blocks until the counter is non-zero, then resets it: the counter's value (how many signals
     * arrived since the last call) or {@code -errno}. EINTR is retried.
     */
    public static long await(int fd) {
        CallState state = CallState.current();
        MemorySegment counter = COUNTER.get();
        try {
            long r;
            do {
                r = (long) READ.invokeExact(state.capture, fd, counter.address(), 8L);
            } while (r < 0 && state.errno() == EINTR);
            return r == 8 ? counter.get(JAVA_LONG, 0) : r < 0 ? -state.errno() : -5; // -EIO: a short read
        } catch (Throwable t) {
            throw Downcalls.unexpected("read(eventfd)", t);
        }
    }

    /** Adds 1 to the counter, waking a thread in {@link #await}: 0 or {@code -errno}. */
    public static long signal(int fd) {
        CallState state = CallState.current();
        MemorySegment counter = COUNTER.get();
        counter.set(JAVA_LONG, 0, 1L);
        try {
            long r;
            do {
                r = (long) WRITE.invokeExact(state.capture, fd, counter.address(), 8L);
            } while (r < 0 && state.errno() == EINTR);
            return r == 8 ? 0 : r < 0 ? -state.errno() : -5;
        } catch (Throwable t) {
            throw Downcalls.unexpected("write(eventfd)", t);
        }
    }
}
