package dev.jaio.internal.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Per-thread native scratch memory for downcalls: the segment that receives errno
 * ({@code Linker.Option.captureCallState("errno")}), a pointer array for {@code lio_listio} and
 * {@code aio_suspend}, and a {@code struct timespec}.
 *
 * <p>Why per thread: a downcall needs these for the duration of the call only, and one reusable
 * set per thread means the hot path allocates nothing. The memory comes from
 * {@link Arena#ofAuto()}, so a thread's scratch is freed by the GC after the thread is gone.
 *
 * <p>A {@code CallState} belongs to one thread; get it with {@link #current()} and never hand it
 * to another thread.
 */
public final class CallState {
    /** The platform's capture-state layout; on Linux a struct with the int {@code errno}. */
    static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    /** {@code struct timespec { time_t tv_sec; long tv_nsec; }}: 16 bytes on LP64. */
    static final long TIMESPEC_SIZE = 16;

    private static final ThreadLocal<CallState> CURRENT = ThreadLocal.withInitial(CallState::new);

    private final Arena arena = Arena.ofAuto();
    final MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
    final MemorySegment timespec = arena.allocate(TIMESPEC_SIZE, 8);
    private MemorySegment pointers = arena.allocate(ValueLayout.ADDRESS, 64);

    private CallState() {
    }

    /** The calling thread's scratch. */
    public static CallState current() {
        return CURRENT.get();
    }

    /** errno as the last capturing downcall on this thread left it. */
    int errno() {
        return errno(capture);
    }

    /** errno as a capturing downcall left it in {@code capture} (laid out as {@link #CAPTURE_LAYOUT}). */
    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /**
     * A pointer array of at least {@code count} entries, reused across calls of this thread;
     * grows (allocates) only when a longer list than ever before is passed.
     */
    public MemorySegment pointers(int count) {
        if (pointers.byteSize() < count * ValueLayout.ADDRESS.byteSize()) {
            pointers = Arena.ofAuto().allocate(ValueLayout.ADDRESS, Math.max(count, 2 * pointers.byteSize() / 8));
        }
        return pointers;
    }

    /** Fills the scratch {@code struct timespec} with a relative timeout and returns it. */
    MemorySegment timespec(long nanos) {
        timespec.set(ValueLayout.JAVA_LONG, 0, nanos / 1_000_000_000L);
        timespec.set(ValueLayout.JAVA_LONG, 8, nanos % 1_000_000_000L);
        return timespec;
    }
}
