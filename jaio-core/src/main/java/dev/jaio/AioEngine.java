package dev.jaio;

import dev.jaio.internal.Engines;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;

/**
 * Turns submitted control blocks into completed I/O. Three engines keep one contract (the
 * semantics of POSIX AIO as this package documents them):
 * <ul>
 *   <li>{@code "io_uring"}: Linux io_uring; a list is one system call.</li>
 *   <li>{@code "posix"}: the C library's own {@code aio_*} functions (on glibc a user-space
 *       thread pool with one thread per descriptor).</li>
 *   <li>{@code "threads"}: positional reads and writes on a pool of Java threads.</li>
 * </ul>
 * Which names exist on this machine: {@link #names()}; why one cannot open: the exception of
 * {@link #open(String)}.
 *
 * <p>The {@linkplain #defaultEngine() default engine} is shared by the whole process and is what
 * the block constructors without an engine argument use. Engines are thread-safe: any number of
 * threads may submit and wait at once.
 *
 * <p><b>Virtual threads.</b> Waits ({@link Aio#aioSuspend}, {@link LioMode#LIO_WAIT}, a block's
 * {@code close()} while its I/O runs) never hold a virtual thread's carrier, on any engine: the
 * waiting virtual thread parks in Java and is unparked when an operation it waits for completes,
 * or at once by {@code Thread.interrupt()}. io_uring and threads learn of completions in Java
 * (io_uring's reaper and waiting threads, the pool's workers) and unpark the waiter; posix hands
 * a virtual thread's wait to a watcher thread of the engine, which waits in libc's
 * {@code aio_suspend} for it. Platform threads wait on posix in {@code aio_suspend} themselves
 * (faster: no thread switch; an interrupt is seen within 10 ms). A submission itself is a short
 * native call and holds the carrier while it runs.
 *
 * <table class="striped">
 *   <caption>What each engine does with a wait, and what it cannot do</caption>
 *   <thead><tr><th>engine</th><th>a wait on a virtual thread</th><th>a wait on a platform
 *       thread</th><th>cannot</th></tr></thead>
 *   <tbody>
 *   <tr><td>{@code "io_uring"}</td>
 *       <td>parks; the thread that reaps the completion (a submitter, another waiter or the
 *       engine's reaper thread) unparks it</td>
 *       <td>the same: parks in Java</td>
 *       <td>open where the kernel refuses io_uring (containers' seccomp filters,
 *       {@code kernel.io_uring_disabled}, memlock limits: {@link #open(String)} says which call was
 *       refused and why); cancel an operation the kernel has already started; run operations of
 *       a pipe, FIFO or socket, or the writes of an {@code O_APPEND} descriptor, more than one at
 *       a time per descriptor (POSIX wants them in call order)</td></tr>
 *   <tr><td>{@code "threads"}</td>
 *       <td>parks; the pool's worker that finishes the operation unparks it</td>
 *       <td>the same: parks in Java</td>
 *       <td>cancel an operation a worker has started (only queued ones); run more operations at
 *       once than it has threads ({@link AioEngineOptions#withThreads(int)}): each one is a
 *       blocking {@code pread}/{@code pwrite} on a platform thread</td></tr>
 *   <tr><td>{@code "posix"}</td>
 *       <td>parks; a watcher thread of the engine waits in libc's {@code aio_suspend} for it and
 *       unparks it</td>
 *       <td>waits in libc's {@code aio_suspend} itself, holding no Java lock; sees
 *       {@code Thread.interrupt()} within 10 ms</td>
 *       <td>vectored I/O ({@link AioReadv}, {@link AioWritev}: glibc has none; submit throws
 *       {@link UnsupportedOperationException}); run two operations of one descriptor at once
 *       (glibc queues them per descriptor); cancel an operation with another queued behind it on
 *       its descriptor, or on a descriptor of 4096 or more (both answer
 *       {@link AioCancelStat#AIO_NOTCANCELED}, see {@link Aio#cancel()})</td></tr>
 *   </tbody>
 * </table>
 */
public interface AioEngine extends AutoCloseable {

    /**
     * The process-wide engine, chosen once: the system property {@code dev.jaio.engine}
     * ({@code io_uring}, {@code posix} or {@code threads}) if set, else the first that works here
     * of io_uring, threads and posix (threads before posix: it is faster on the page cache and
     * runs operations of one regular file in parallel, where glibc's AIO runs them one at a time).
     * It never fails because io_uring is missing or forbidden: it falls back and logs why through
     * {@link System.Logger} (logger {@code dev.jaio}, level DEBUG). It cannot be closed.
     *
     * @return the engine of the whole process, the same object on every call
     * @throws IllegalCallerException if native access is not enabled for jaio (the message names
     *         the flag)
     */
    static AioEngine defaultEngine() {
        return Engines.defaultEngine();
    }

    /**
     * Opens a new engine with default options; the caller owns it and must {@link #close()} it.
     *
     * @param name {@code "io_uring"}, {@code "posix"} or {@code "threads"}
     * @return a new engine, owned by the caller
     * @throws IllegalArgumentException for an unknown name (the message lists the known ones)
     * @throws UnsupportedOperationException if that engine cannot work here (the message says why)
     */
    static AioEngine open(String name) {
        return Engines.open(name, AioEngineOptions.defaults());
    }

    /**
     * Opens a new engine with {@code options}; see {@link #open(String)}.
     *
     * @param name {@code "io_uring"}, {@code "posix"} or {@code "threads"}
     * @param options sizes of the engine's queues and pool; options that mean nothing to this
     *        engine are ignored
     * @return a new engine, owned by the caller
     * @throws IllegalArgumentException for an unknown name (the message lists the known ones)
     * @throws UnsupportedOperationException if that engine cannot work here (the message says why)
     */
    static AioEngine open(String name, AioEngineOptions options) {
        return Engines.open(name, options);
    }

    /**
     * The names of all engines jaio has, whether or not they work on this machine
     * ({@link AioProbe#engines()} says which do).
     *
     * @return {@code "io_uring"}, {@code "posix"} and {@code "threads"}
     */
    static List<String> names() {
        return Engines.names();
    }

    /**
     * The engine's name.
     *
     * @return {@code "io_uring"}, {@code "posix"} or {@code "threads"}
     */
    String name();

    /**
     * {@link Aio#lioListio} for blocks of this engine.
     *
     * @param mode wait for completion, or return once queued
     * @param list blocks of this engine; null entries are ignored
     * @param notify announced once when the whole list has completed ({@code LIO_NOWAIT} only)
     * @throws AioException as {@link Aio#lioListio} says
     */
    void lioListio(LioMode mode, List<? extends Aio> list, SigevNotify notify) throws AioException;

    /**
     * {@link Aio#aioSuspend} for blocks of this engine.
     *
     * @param list blocks of this engine; null entries are ignored
     * @param timeout how long to wait at most; {@code null} waits for ever
     * @return true when one is complete, false when the timeout elapsed first
     * @throws AioException {@code EINTR} when {@code Thread.interrupt()} ends the wait
     */
    boolean aioSuspend(List<? extends Aio> list, Duration timeout) throws AioException;

    /**
     * {@link Aio#aioCancelAll} on this engine: cancels every operation it has in flight on {@code fd}.
     *
     * @param fd the descriptor whose operations to cancel
     * @return what happened to them, as {@link Aio#aioCancelAll} says
     * @throws AioException {@link Errno#EBADF} if {@code fd} is not an open descriptor
     */
    AioCancelStat aioCancelAll(int fd) throws AioException;

    /**
     * The buffers this engine registered with the kernel, asked for with
     * {@link AioEngineOptions#withFixedBuffers(int, int)}: a read or write into or from (a slice
     * of) one of them goes as {@code READ_FIXED}/{@code WRITE_FIXED} on io_uring. Each starts on a
     * 4 KiB page. Any thread may use them; which operation uses which buffer when is the
     * caller's choice, as for any buffer. The memory stays valid while a buffer is reachable.
     *
     * @return the buffers, in the kernel's index order; empty when none were asked for, and on
     *         engines other than io_uring
     */
    default List<MemorySegment> fixedBuffers() {
        return List.of();
    }

    /**
     * Cancels what is in flight, waits for it, frees every block's native state and the engine's
     * own; blocks created for it are unusable afterwards. Idempotent.
     *
     * @throws IllegalStateException for the default engine, which lives as long as the process
     */
    @Override
    void close();
}
