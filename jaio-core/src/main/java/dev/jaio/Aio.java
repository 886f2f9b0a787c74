package dev.jaio;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;

/**
 * A POSIX asynchronous I/O control block (a C {@code struct aiocb}) and the functions that act on
 * lists of them. The shape follows the Rust {@code nix::sys::aio} module.
 *
 * <h2>The protocol</h2>
 * <ol>
 *   <li>Create a block ({@link AioRead}, {@link AioWrite}, {@link AioFsync}, {@link AioReadv},
 *       {@link AioWritev}) over native memory ({@code Arena}-allocated {@link MemorySegment}s).</li>
 *   <li>{@link #submit()} it, or submit many with {@link #lioListio}.</li>
 *   <li>Learn that it completed: poll {@link #error()} until it is not {@link Errno#EINPROGRESS},
 *       wait with {@link #aioSuspend}, use {@link LioMode#LIO_WAIT}, or a {@link SigevNotify}.</li>
 *   <li>Call {@link #aioReturn()} exactly once: it gives the byte count (or throws the failure)
 *       and makes the block idle, ready to be re-aimed and submitted again without allocating.</li>
 *   <li>{@link #close()} it when done (or let it become unreachable: the engine keeps a block
 *       whose I/O still runs alive until the I/O ends).</li>
 * </ol>
 * {@snippet class=dev.jaio.examples.ProtocolExample region=protocol}
 *
 * <p>A block is driven by one thread at a time, like a C aiocb; {@link #error()} and
 * {@link #inProgress()} may be asked from any thread.
 *
 * @see <a href="https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/aio.h.html">aio.h</a>
 */
public sealed interface Aio extends AutoCloseable permits AioRead, AioWrite, AioFsync, AioReadv, AioWritev {

    /**
     * Starts the operation ({@code aio_read}, {@code aio_write}, {@code aio_fsync}...). On failure
     * the block is not in progress and {@link #error()} tells why.
     *
     * @throws AioException if it could not be queued ({@code EAGAIN}), or for a priority outside
     *         {@code 0..20} ({@code EINVAL}); a bad descriptor or offset may fail here or later in
     *         {@link #error()}, depending on the engine
     * @throws IllegalStateException if it is already in progress or closed
     * @throws UnsupportedOperationException for vectored I/O on an engine without it
     * @see <a href="https://pubs.opengroup.org/onlinepubs/9799919799/functions/aio_read.html">aio_read</a>
     */
    void submit() throws AioException;

    /**
     * {@code aio_error}: {@link Errno#EINPROGRESS} while the I/O runs, {@link Errno#SUCCESS} when
     * it succeeded (or before any submission), otherwise why it failed ({@link Errno#ECANCELED}
     * after a cancel). After a failed submit: why the submit failed.
     *
     * @return the operation's status, as {@code aio_error} returns it
     * @see <a href="https://pubs.opengroup.org/onlinepubs/9799919799/functions/aio_error.html">aio_error</a>
     */
    Errno error();

    /**
     * {@code aio_return}: finishes a completed operation, once. Afterwards the block is idle
     * (whether this returns or throws) and may be re-aimed and submitted again.
     *
     * @return bytes transferred (0 for fsync)
     * @throws AioException carrying the errno when the operation failed
     * @throws IllegalStateException while the I/O still runs, or if the block is not in progress
     * @see <a href="https://pubs.opengroup.org/onlinepubs/9799919799/functions/aio_return.html">aio_return</a>
     */
    long aioReturn() throws AioException;

    /**
     * {@code aio_cancel(fd, this)}: asks to cancel the operation. A canceled one completes with
     * {@link Errno#ECANCELED}; one that already runs may not be canceled. Either way it must still
     * be finished with {@link #aioReturn()}. {@link AioCancelStat#AIO_ALLDONE} for a block that is
     * not in progress.
     *
     * <p>An operation that is only queued (behind others of its descriptor) is canceled on every
     * engine. On {@code "posix"}, glibc 2.36 leaves a descriptor's queue stuck for ever when the
     * request canceled heads it while waiting for one of glibc's threads and another is queued
     * behind it, and whether a request heads its queue cannot be known race-free from outside
     * glibc. So the engine cancels from the tail: it takes back from glibc the requests queued
     * behind the operation, cancels the operation as the last one, and hands the others back in
     * their order (they had not started; nobody is told). Operations with a notification are
     * never taken back (glibc's cancel would deliver it): they wait in the engine's own queue
     * while glibc holds more than the head of their descriptor, and the engine cancels them there
     * itself (they complete with {@link Errno#ECANCELED} and get their notification, as glibc's
     * do). What remains: the operation that heads glibc's queue, while one with a notification is
     * behind it, answers {@link AioCancelStat#AIO_NOTCANCELED} and runs to its end, also in the
     * moment before one of glibc's threads takes it up.
     *
     * @return {@link AioCancelStat#AIO_CANCELED} if the operation was canceled,
     *         {@link AioCancelStat#AIO_NOTCANCELED} if it runs on, {@link AioCancelStat#AIO_ALLDONE}
     *         if it had already completed or is not in progress
     * @throws AioException {@link Errno#EBADF} if the block's descriptor is not open (checked
     *         first, whatever the block's state, as glibc does)
     * @see <a href="https://pubs.opengroup.org/onlinepubs/9799919799/functions/aio_cancel.html">aio_cancel</a>
     */
    AioCancelStat cancel() throws AioException;

    /**
     * Whether the block is in progress: true from a successful submit until {@link #aioReturn()}.
     *
     * @return true from a successful submit until {@link #aioReturn()}
     */
    boolean inProgress();

    /**
     * The file descriptor ({@code aio_fildes}).
     *
     * @return the descriptor given at construction
     */
    int fd();

    /**
     * The priority given at construction ({@code aio_reqprio}).
     *
     * @return the priority, {@code 0..20}
     */
    int priority();

    /**
     * The block's own notification ({@code aio_sigevent}).
     *
     * @return the notification announced when this block's operation completes
     */
    SigevNotify sigevNotify();

    /**
     * Replaces the block's own notification.
     *
     * @param notify the notification for later submissions; {@code null} means
     *        {@link SigevNotify#none()}
     * @throws IllegalStateException while in progress
     */
    void setSigevNotify(SigevNotify notify);

    /**
     * The engine the block was created for.
     *
     * @return the engine that runs this block's operations
     */
    AioEngine engine();

    /**
     * Frees the block's native state. If it is still in progress: cancel, wait for the I/O to end,
     * then free; once this returns, nothing will touch the block or its buffers again. Idempotent.
     */
    @Override
    void close();

    /**
     * {@code lio_listio}: submits every block of {@code list} with one call into their engine.
     * {@link LioMode#LIO_WAIT} returns when all have completed (each must still be finished with
     * {@link #aioReturn()}); {@link LioMode#LIO_NOWAIT} returns once they are queued, and
     * {@code notify} fires once, when all have completed. With {@code LIO_WAIT}, {@code notify}
     * is ignored, as POSIX says: neither its signal nor its thread callback ever fires (the
     * blocks' own notifications still do).
     *
     * <p>Like POSIX, a failure may leave the list partly submitted: the {@link AioException}
     * ({@code EAGAIN} or {@code EINVAL} for operations that could not be queued, {@code EIO} when
     * {@code LIO_WAIT} saw any of them fail, {@code EINTR} when a wait was interrupted) lists in
     * {@link AioException#notQueued()} exactly the blocks to fix and submit again; all others were
     * queued. {@link AioFsync} cannot be part of a list (POSIX has no fsync opcode). Null entries
     * are ignored, wherever they are, as POSIX ignores null pointers in the list.
     *
     * <p>A block's own notification may reap ({@link #aioReturn()}), close or resubmit it as soon
     * as it runs, even before this call returns: the list knows what it queued from the
     * submission itself, and {@code LIO_WAIT} waits for the submission it made of each block.
     *
     * @param mode {@link LioMode#LIO_WAIT} to return when all have completed,
     *        {@link LioMode#LIO_NOWAIT} to return once they are queued
     * @param list the blocks to submit, all of one engine; null entries are ignored
     * @param notify announced once when every operation of the list has completed
     *        ({@code LIO_NOWAIT} only)
     * @throws AioException when some operations could not be queued, or ({@code LIO_WAIT}) any of
     *         them failed or the wait was interrupted; {@link AioException#notQueued()} lists the
     *         blocks to submit again
     * @throws IllegalArgumentException for blocks of different engines, a block listed twice, or
     *         an {@link AioFsync}; nothing is submitted
     * @throws IllegalStateException if a block is already in progress; nothing is submitted
     * @see <a href="https://pubs.opengroup.org/onlinepubs/9799919799/functions/lio_listio.html">lio_listio</a>
     */
    static void lioListio(LioMode mode, List<? extends Aio> list, SigevNotify notify) throws AioException {
        engineOf(list).lioListio(mode, list, notify);
    }

    /**
     * {@code aio_suspend}: waits until at least one block of {@code list} is complete (or not in
     * progress at all).
     *
     * @param list the blocks to wait for, all of one engine; null entries are ignored
     * @param timeout how long to wait at most; {@code null} waits for ever
     * @return true when one is complete, false when the timeout elapsed first
     * @throws AioException {@code EINTR} when {@code Thread.interrupt()} ends the wait; the
     *         thread's interrupt status stays set and every operation goes on
     * @throws IllegalArgumentException for a list without any block (null entries are ignored, as
     *         POSIX ignores null pointers in the list) or blocks of different engines
     * @see <a href="https://pubs.opengroup.org/onlinepubs/9799919799/functions/aio_suspend.html">aio_suspend</a>
     */
    static boolean aioSuspend(List<? extends Aio> list, Duration timeout) throws AioException {
        return engineOf(list).aioSuspend(list, timeout);
    }

    /**
     * {@code aio_cancel(fd, NULL)} on the default engine: cancels every operation queued on {@code fd}.
     *
     * @param fd the descriptor whose operations to cancel
     * @return {@link AioCancelStat#AIO_ALLDONE} when none was in flight,
     *         {@link AioCancelStat#AIO_CANCELED} when all were canceled,
     *         {@link AioCancelStat#AIO_NOTCANCELED} when at least one runs to its end
     * @throws AioException {@link Errno#EBADF} if {@code fd} is not an open descriptor
     */
    static AioCancelStat aioCancelAll(int fd) throws AioException {
        return AioEngine.defaultEngine().aioCancelAll(fd);
    }

    /** The engine of the first block of {@code list} (nulls ignored), or the default engine if there is none. */
    private static AioEngine engineOf(List<? extends Aio> list) {
        for (int i = 0, n = list.size(); i < n; i++) {
            Aio block = list.get(i);
            if (block != null) {
                return block.engine();
            }
        }
        return AioEngine.defaultEngine();
    }
}
