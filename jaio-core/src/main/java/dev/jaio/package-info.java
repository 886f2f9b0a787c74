/**
 * POSIX asynchronous file I/O for Java: the public API, and nothing else.
 *
 * <p>A control block ({@link dev.jaio.AioRead}, {@link dev.jaio.AioWrite},
 * {@link dev.jaio.AioFsync}, {@link dev.jaio.AioReadv}, {@link dev.jaio.AioWritev}) is a C
 * {@code struct aiocb} made Java: submit it, learn that it completed, {@code aioReturn()} it,
 * submit it again. {@link dev.jaio.Aio#lioListio} submits a whole list with one call and tells you
 * once, or per operation, when they are done. The three engines behind it
 * ({@link dev.jaio.AioEngine}) keep the same contract.
 *
 * <p>For Java programs, {@link dev.jaio.AioFileChannel} is the way in: an
 * {@code AsynchronousFileChannel} on these engines, with {@code CompletableFuture}s, batches
 * ({@link dev.jaio.AioBatch}), deadlines and O_DIRECT alignment; it pools control blocks under
 * the hood.
 *
 * <p>The first example of {@code lio_listio}: write a buffer and wait for it.
 * {@snippet class=dev.jaio.examples.PackageOverviewExample region=lio-wait}
 *
 * <h2>Buffers and their lifetime</h2>
 * The kernel, the C library or a worker thread uses a buffer after {@code submit()} has
 * returned, until the operation completes; memory that is freed meanwhile must never be written.
 * What jaio does depends on who may free the segment's memory:
 * <table class="striped">
 *   <caption>I/O buffers by arena</caption>
 *   <thead><tr><th>segment of</th><th>what jaio does</th><th>cost</th></tr></thead>
 *   <tbody>
 *   <tr><td>{@code Arena.ofAuto()}, {@code Arena.global()}, {@code AioWrite.of}'s copy, direct
 *       {@code ByteBuffer}s, {@code MemorySegment.ofAddress}</td>
 *       <td>hands the segment's own address to the kernel; the block keeps the segment reachable
 *       until {@code aioReturn()} (its engine keeps a dropped block in flight alive), so the
 *       memory cannot be freed under the I/O</td><td>none: zero copy, no allocation</td></tr>
 *   <tr><td>{@code Arena.ofShared()}</td>
 *       <td>moves the bytes through memory the block owns: a write's data is copied at submit; a
 *       read's data is copied into the segment when the read completes. Closing the arena while
 *       the I/O runs is allowed and harmless: the kernel only writes the block's memory, and a read
 *       whose arena closed before its data was delivered fails with {@link Errno#EFAULT}</td>
 *       <td>one copy per operation; the block's memory is reused by its later submissions</td></tr>
 *   <tr><td>{@code Arena.ofConfined()}</td>
 *       <td>refused with {@code IllegalArgumentException} when the block is made or re-aimed: its
 *       owner could close it under the I/O, and no other thread may touch it (the JDK's own
 *       asynchronous channels refuse confined segments too)</td><td></td></tr>
 *   </tbody>
 * </table>
 * For the fastest path allocate I/O buffers once from {@code Arena.ofAuto()} (or
 * {@code Arena.global()}) and reuse them with {@code setBuffer}/{@code setOffset}.
 *
 * <h2>Lists and notifications</h2>
 * A block's own notification may reap ({@code aioReturn()}), close or resubmit the block as soon
 * as it runs, even before the {@code lioListio} that submitted it has returned. Null entries of
 * the lists given to {@code lioListio} and {@code aioSuspend} are ignored, as POSIX ignores null
 * pointers there.
 *
 * <p>Layer rules: this package names no engine class and no native function; it reaches the
 * engines through {@code dev.jaio.internal}, which is not exported.
 */
package dev.jaio;
