package dev.jaio.internal;

import java.lang.foreign.MemorySegment;

/**
 * Who decides when a buffer's memory is freed, which decides how an engine may hand it to the
 * kernel, glibc or a worker thread that uses it after {@code submit()} has returned.
 *
 * <ul>
 *   <li>{@link #REACHABILITY}: the memory lives as long as the segment is reachable
 *       ({@code Arena.global()}, {@code Arena.ofAuto()}, {@code MemorySegment.ofAddress},
 *       direct {@code ByteBuffer}s). A control block holds its segments strongly until
 *       {@code aioReturn()}, and its engine holds a block in flight, so the engine may give the
 *       segment's own address to the kernel: zero copy.</li>
 *   <li>{@link #CLOSEABLE}: a shared arena ({@code Arena.ofShared()}) that any thread may close at
 *       any moment. The JDK's asynchronous channels hold such a session while the kernel uses the
 *       memory, through an internal API ({@code sun.nio.ch.IOUtil.acquireScope}) that a library
 *       cannot call. jaio instead moves the bytes through memory of the control block's own
 *       ({@link StagedBuffers}): a write copies its data at submit, a read copies what the kernel
 *       read when the operation completes. Closing the arena meanwhile is then harmless: the
 *       kernel only ever writes jaio's memory, and a read whose arena closed before its data
 *       could be delivered fails with {@code EFAULT}.</li>
 *   <li>{@link #CONFINED}: a thread-confined arena ({@code Arena.ofConfined()}). Its owner may
 *       close it while I/O runs, and no other thread (a worker, the completion reaper) may touch
 *       it to copy data in or out, so it is refused when the block is made or aimed, as the JDK
 *       refuses confined sessions for asynchronous I/O.</li>
 * </ul>
 *
 * <p>The public API gives no way to ask whether a session can be closed; the kind is told from
 * the class of {@code segment.scope()} (the JDK's {@code GlobalSession} and {@code ImplicitSession},
 * and their subclasses, are never closed by a user), cached per class. A scope class this does not
 * know counts as {@link #CLOSEABLE}: the safe side, at the cost of a copy. {@code BufferLifetimeTest}
 * holds the classification against every kind of segment of the running JDK.
 *
 * <p>Thread-safe, allocation-free after the first segment of each scope class.
 */
public enum BufferLifetime {
    REACHABILITY, CLOSEABLE, CONFINED;

    /** Never started: no segment of a confined arena is accessible by it. */
    private static final Thread NOBODY = Thread.ofPlatform().unstarted(() -> { });

    /**
     * The scope classes seen so far, each with whether it is never closed: a small array replaced
     * whole when a class is added (a handful of classes exist), read without a lock. Not a
     * {@code ClassValue}: its lookups fall back to a synchronized map when its per-class cache
     * misses, and a thousand virtual threads aiming buffers at once queued there.
     */
    private static volatile Object[] known = new Object[0];

    /** The lifetime of {@code segment}'s memory (a native segment). */
    public static BufferLifetime of(MemorySegment segment) {
        if (neverClosed(segment.scope().getClass())) {
            return REACHABILITY;
        }
        return segment.isAccessibleBy(NOBODY) ? CLOSEABLE : CONFINED;
    }

    private static boolean neverClosed(Class<?> scopeClass) {
        Object[] k = known;
        for (int i = 0; i < k.length; i += 2) {
            if (k[i] == scopeClass) {
                return (Boolean) k[i + 1];
            }
        }
        boolean never = false;
        for (Class<?> c = scopeClass; c != null; c = c.getSuperclass()) {
            String name = c.getName();
            if (name.equals("jdk.internal.foreign.GlobalSession") || name.equals("jdk.internal.foreign.ImplicitSession")) {
                never = true;
                break;
            }
        }
        synchronized (BufferLifetime.class) {
            Object[] bigger = java.util.Arrays.copyOf(known, known.length + 2);
            bigger[bigger.length - 2] = scopeClass;
            bigger[bigger.length - 1] = never;
            known = bigger; // a class added twice by racing threads is only an extra entry
        }
        return never;
    }

    /**
     * The message for a segment of a thread-confined arena given as an I/O buffer.
     */
    public static String confinedRefusal() {
        return "a segment of a thread-confined arena (Arena.ofConfined()) cannot be an asynchronous I/O buffer:"
                + " its owner could close it while the kernel or a worker thread still uses it, and no other thread"
                + " may touch it (the JDK's asynchronous channels refuse it too); allocate I/O buffers from"
                + " Arena.ofAuto() or Arena.global() (zero copy), or from Arena.ofShared() (jaio then moves the"
                + " data through memory of its own)";
    }
}
