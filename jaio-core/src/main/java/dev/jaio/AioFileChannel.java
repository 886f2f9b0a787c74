package dev.jaio;

import dev.jaio.internal.BufferLifetime;
import dev.jaio.internal.Callbacks;
import dev.jaio.internal.Operation;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.InterruptedByTimeoutException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * An {@link AsynchronousFileChannel} whose reads, writes and forces are jaio operations: on the
 * {@code io_uring} engine a read of the page cache is one system call and no thread switch, and
 * no thread of the JDK's pool blocks per operation. Replacing the class name is the whole
 * migration: the two {@code open} methods of {@code AsynchronousFileChannel} are here with the
 * same parameters, and every method keeps the documented semantics of the JDK's channel.
 *
 * {@snippet class=dev.jaio.examples.ChannelExample region=futures}
 *
 * <h2>What it adds</h2>
 * <ul>
 *   <li>{@link #read(ByteBuffer, long)} and {@link #write(ByteBuffer, long)} return
 *       {@link CompletableFuture}s; {@link #read(MemorySegment, long)},
 *       {@link #write(MemorySegment, long)} take {@code MemorySegment}s, {@link #forceAsync}
 *       forces without blocking.</li>
 *   <li>{@link #open(AioEngine, Path, OpenOption...)} picks the engine; {@link AioOpenOption#DIRECT}
 *       or {@code com.sun.nio.file.ExtendedOpenOption.DIRECT} open with {@code O_DIRECT}; then
 *       {@link #directIoAlignment()} tells the file system's alignment and
 *       {@link #allocateAligned(Arena, long)} gives buffers that satisfy it, and a misaligned
 *       transfer fails with an {@code IllegalArgumentException} naming it.</li>
 * </ul>
 *
 * <h2>Submission</h2>
 * On the io_uring engine, a thread that starts operations in a burst (each {@code read} or
 * {@code write} less than 50 µs after its previous one, as a thread keeping many futures
 * outstanding does) has them gathered: the engine prepares each one in the ring and leaves the
 * {@code io_uring_enter} for later, so that up to 32 operations share one system call. A gathered
 * operation goes to the kernel, at the latest, when
 * <ul>
 *   <li>a thread waits for it or for a stage derived from it ({@code join}, {@code get}), or
 *       cancels it, or the channel or engine closes;</li>
 *   <li>32 operations are gathered on its ring, or another submission enters the ring;</li>
 *   <li>the engine's flusher thread finds it still waiting after one of its 100 µs ticks (so,
 *       200 µs after it was started; an operation nobody waits for is still carried out).</li>
 * </ul>
 * The first operation of a burst, an operation started by a thread that submits now and then, one
 * started from a handler or a dependent stage, and every fsync go to the kernel at once, as on
 * the other engines. {@code CompletableFuture.allOf(...).join()} waits on a future of its own,
 * not on the channel's: the last gathered operations then wait for the flusher's tick (joining
 * the channel's futures themselves does not); when the flusher had to submit a ring's gathered
 * operations three times in a row, the threads of that ring submit at once for the next 100 ms.
 *
 * <p>A virtual thread's read or write goes to its ring's combiner instead: the thread that finds
 * nobody submitting on the ring submits everything queued there with one system call (its own
 * read of the page cache completes inside it, as before), and one that finds another thread
 * submitting leaves its operation to that thread and returns at once, never queuing on a lock.
 * When 32 or more operations are in flight on the ring (reads that wait for a device, O_DIRECT),
 * the combiner first lets the other virtual threads ready on its carrier run once
 * ({@code Thread.yield()}), so that their operations join the same system call: with a thousand
 * virtual threads reading O_DIRECT, about a dozen reads share each {@code io_uring_enter} and
 * each notification of the device.
 *
 * <p><b>Reads from the page cache on virtual threads</b>, on every engine: a virtual thread's
 * {@code read} of a channel opened without O_DIRECT, with no handler and no deadline, into
 * memory that no one can free meanwhile (a heap or direct {@code ByteBuffer}, a segment of the
 * global or an automatic arena), is first tried on the spot with
 * {@code preadv2(..., RWF_NOWAIT)}, which copies what the page cache holds and never waits for
 * the device: when the cache holds the whole range (or the file ends there), the returned future
 * is already complete, with the same count, bytes and position as through the engine, and the
 * carrier was held only for the copy. Otherwise (not cached, partly cached, a segment of a shared
 * arena, a file system that refuses {@code RWF_NOWAIT}) the read goes to the engine as above.
 * An uncached read pays one failed system call for the try; after eight misses in a row only
 * about one read in 64 is tried, until one is served. Platform threads' reads always go to the
 * engine (its batches were faster than one system call per read). A channel opened with the
 * system property {@code dev.jaio.channel.pageCacheReads=false} sends every read to the engine.
 *
 * <h2>Threads</h2>
 * An operation is finished ({@code aioReturn}, the bytes of a heap buffer copied, the buffer's
 * position advanced, the future completed, the {@link CompletionHandler} run) by one of three
 * threads. When the engine reports it on a thread that is submitting for a channel (io_uring
 * completes a read of the page cache inside the submitting system call, and reaps other
 * completions there), that thread finishes it once its own submission has returned, before the
 * {@code read}/{@code write} call returns: the handler may then run on the initiating thread, as
 * the JDK allows for asynchronous channels, at most 16 calls deep. Otherwise, on the io_uring and
 * threads engines, a thread that waits for the operation's future ({@code join}, {@code get})
 * finishes it: the engine's thread unparks it directly (one wake-up per operation, none through a
 * third thread). Otherwise the engine's
 * completion thread for all of its channels ({@code jaio-<engine>-channels}) finishes it. Stages
 * added with the non-{@code Async} methods of {@code CompletableFuture} run on the finishing
 * thread; handlers run there too unless the channel was opened with an {@link ExecutorService},
 * which then runs them. Keep what runs there short: while the completion thread runs it, no other
 * operation of the engine's channels finishes.
 * An exception a handler throws goes to the thread's uncaught-exception handler. Waiting on a
 * future ({@code join}, {@code get}) parks the waiting thread, a virtual thread without its
 * carrier, on every engine.
 *
 * <h2>Buffers</h2>
 * Direct {@code ByteBuffer}s and {@code MemorySegment}s of {@code Arena.ofAuto()},
 * {@code Arena.global()} and {@code ByteBuffer.allocateDirect} are handed to the kernel as they
 * are; a heap {@code ByteBuffer} goes through a pooled native buffer of the channel; a segment (or
 * a buffer viewing one) of {@code Arena.ofShared()} through memory of the control block's own; one
 * of {@code Arena.ofConfined()} is refused with an {@code IllegalArgumentException} that names
 * the arenas to use instead. A channel pools its control blocks and bounce buffers, remembers the
 * {@code MemorySegment} view of each direct {@code ByteBuffer} it was given (weakly: a buffer the
 * program drops is not kept) and reuses the boxed count of the last operation of each block: an
 * operation on a buffer used before allocates its future only (and a slice when it reads into
 * part of a direct buffer, or a heap buffer of another size than the pooled one).
 *
 * <h2>Where it differs from the JDK's channel</h2>
 * <ul>
 *   <li>A handler may run on the thread that started the operation (see "Threads"); the JDK runs
 *       them on its pool.</li>
 *   <li>{@code Future.cancel} never closes the channel, and returns only once the engine has
 *       ended the operation (see "Cancel").</li>
 *   <li>{@link #close()} waits until the engine has ended what was outstanding, because glibc's
 *       threads and the kernel still use the descriptor until then.</li>
 *   <li>A buffer of a confined arena is refused at the call; the JDK's future never
 *       completes.</li>
 *   <li>A misaligned O_DIRECT transfer is refused at the call, naming the alignment; the JDK
 *       fails the future with {@code EINVAL}.</li>
 *   <li>{@link #forceAsync} on a channel opened only for reading forces synchronously (glibc
 *       refuses {@code aio_fsync} on such a descriptor).</li>
 *   <li>Opening with file attributes creates the file, then opens it: not atomic.</li>
 *   <li>Locks are taken through a second open file description of the same file (through
 *       {@code /proc/self/fd}): Linux only, with the JDK's own lock semantics.</li>
 * </ul>
 *
 * <h2>Cancel</h2>
 * {@code cancel} on a future of this channel asks the engine to cancel the operation
 * ({@code aio_cancel}) and returns once the engine reports the operation over: then, and only
 * then, the buffer is the caller's again. If the cancel took effect the future completes with a
 * {@link CancellationException} and {@code cancel} returns true; an operation that had already
 * completed, or that the engine could not stop (a running operation on the posix and threads
 * engines), keeps its result and {@code cancel} returns false. It never closes the channel,
 * whatever {@code mayInterruptIfRunning} says. Called on the completion thread (from a handler or
 * a dependent stage) it asks for the cancel and returns without waiting.
 *
 * <h2>Close</h2>
 * {@link #close()} refuses new operations ({@link ClosedChannelException}), asks the engine to
 * cancel every operation of the channel ({@code aio_cancel(fd, NULL)}) and waits until the engine
 * has ended each one; operations that failed or were canceled that way complete with
 * {@link AsynchronousCloseException}, operations that completed keep their result. Only then is
 * the descriptor closed (glibc's worker threads use its number). Called on the completion thread,
 * it does not wait: the descriptor is closed once the last operation has ended.
 *
 * <p>Closing the channel's engine ({@link AioEngine#close()}) ends its operations too: those in
 * flight complete with {@link AsynchronousCloseException} once the engine's close has ended
 * their I/O (never before: their buffers are the kernel's until then), and every one started
 * afterwards fails the same way at once; the exception's cause is the engine's
 * {@code IllegalStateException}, and no {@code read}, {@code write} or {@code forceAsync} throws
 * it. Close the channel as well, to close its descriptor.
 *
 * <p>Thread-safe.
 */
public final class AioFileChannel extends AsynchronousFileChannel {
    private static final long CLOSED = 1L << 62;

    private final AioEngine engine;
    private final AioFile file;
    private final int fd;
    private final Path path;
    /** The same open file through the JDK, for what POSIX AIO has no call for: size, truncate, locks. */
    private final FileChannel meta;
    private final boolean readable, writable;
    private final ExecutorService executor;
    private final ChannelCompleter completer;
    private final BounceBuffers bounces = new BounceBuffers();
    private final BufferViews views = new BufferViews();
    private final PageCacheReads pageCache = PageCacheReads.forNewChannel();
    /** O_DIRECT alignment of memory and of offsets and lengths; 0 when not opened with O_DIRECT. */
    private final long memoryAlignment, transferAlignment;
    /** Operations in flight, plus {@link #CLOSED} once closed. */
    private final AtomicLong state = new AtomicLong();
    private final Object closeLock = new Object();
    private boolean released;
    /**
     * Idle control blocks by kind (ChannelOp.READ..FSYNC_ALL): lock-free stacks, no monitor (on
     * which hundreds of virtual threads taking and giving back blocks queued). Each head is a
     * block's {@link ChannelOp#index} + 1 (0: empty) in the low 32 bits and a count of changes in
     * the high 32, so that a pop that raced others cannot take a block that was popped, given
     * back and is in use again (the ABA problem); blocks link through
     * {@link ChannelOp#nextFreeIndex}.
     */
    private final AtomicLongArray freeHeads = new AtomicLongArray(4);
    /** Every block made, by {@link ChannelOp#index}; replaced whole when it grows (under {@code this}). */
    private volatile ChannelOp[] byIndex = new ChannelOp[16];
    /** How many blocks were made: the used part of {@link #byIndex}. Under {@code this}. */
    private int made;

    private AioFileChannel(AioEngine engine, AioFile file, Path path, FileChannel meta, boolean readable,
                           boolean writable, ExecutorService executor, long memoryAlignment, long transferAlignment) {
        this.engine = engine;
        this.file = file;
        this.fd = file.fd();
        this.path = path;
        this.meta = meta;
        this.readable = readable;
        this.writable = writable;
        this.executor = executor;
        this.memoryAlignment = memoryAlignment;
        this.transferAlignment = transferAlignment;
        this.completer = ChannelCompleter.attach(engine);
    }

    // ---------------------------------------------------------------- opening

    /**
     * Opens or creates {@code file} on the {@linkplain AioEngine#defaultEngine() default engine};
     * {@link AsynchronousFileChannel#open(Path, OpenOption...)} with jaio underneath.
     *
     * @param file the file
     * @param options {@link StandardOpenOption}s ({@code READ}, {@code WRITE}, {@code CREATE},
     *        {@code CREATE_NEW}, {@code TRUNCATE_EXISTING}, {@code DSYNC}, {@code SYNC},
     *        {@code DELETE_ON_CLOSE}, {@code SPARSE} (ignored), {@code LinkOption.NOFOLLOW_LINKS}),
     *        {@link AioOpenOption#DIRECT} or {@code ExtendedOpenOption.DIRECT}; without
     *        {@code READ} or {@code WRITE} the file is opened for reading
     * @return the new channel
     * @throws IllegalArgumentException for an invalid combination of options
     * @throws UnsupportedOperationException for {@code APPEND} (as the JDK's channel) or an
     *         option jaio does not know
     * @throws IOException if the file cannot be opened (such as
     *         {@link java.nio.file.NoSuchFileException})
     */
    public static AioFileChannel open(Path file, OpenOption... options) throws IOException {
        return open(AioEngine.defaultEngine(), file, options(options), null);
    }

    /**
     * {@link AsynchronousFileChannel#open(Path, Set, ExecutorService, FileAttribute[])} with jaio
     * underneath, on the default engine.
     *
     * @param file the file
     * @param options as {@link #open(Path, OpenOption...)}
     * @param executor runs the completion handlers; null: jaio's completion thread runs them
     * @param attrs attributes for a file created now ({@code PosixFilePermissions.asFileAttribute})
     * @return the new channel
     * @throws IllegalArgumentException for an invalid combination of options
     * @throws UnsupportedOperationException for {@code APPEND}, an unknown option or attribute
     * @throws IOException if the file cannot be opened
     */
    public static AioFileChannel open(Path file, Set<? extends OpenOption> options, ExecutorService executor,
                                      FileAttribute<?>... attrs) throws IOException {
        return open(AioEngine.defaultEngine(), file, options, executor, attrs);
    }

    /**
     * Opens {@code file} for I/O through {@code engine} (which must stay open as long as the
     * channel); see {@link #open(Path, OpenOption...)}.
     *
     * {@snippet class=dev.jaio.examples.ChannelExample region=engine}
     *
     * @param engine the engine that carries out the channel's I/O
     * @param file the file
     * @param options as {@link #open(Path, OpenOption...)}
     * @return the new channel
     * @throws IllegalArgumentException for an invalid combination of options, or an engine that
     *         is not one of jaio's
     * @throws UnsupportedOperationException for {@code APPEND} or an unknown option
     * @throws IOException if the file cannot be opened
     */
    public static AioFileChannel open(AioEngine engine, Path file, OpenOption... options) throws IOException {
        return open(engine, file, options(options), null);
    }

    /** The options as a set; repeated ones are fine (unlike {@code Set.of}), as for the JDK. */
    private static Set<OpenOption> options(OpenOption... options) {
        Set<OpenOption> set = new HashSet<>();
        for (OpenOption o : options) {
            set.add(Objects.requireNonNull(o, "option"));
        }
        return set;
    }

    private static AioFileChannel open(AioEngine engine, Path path, Set<? extends OpenOption> options,
                                       ExecutorService executor, FileAttribute<?>... attrs) throws IOException {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(path, "file");
        Objects.requireNonNull(options, "options");
        if (!(engine instanceof dev.jaio.internal.AbstractEngine)) {
            throw new IllegalArgumentException("engine " + engine.getClass().getName() + " is not one of jaio's;"
                    + " use AioEngine.defaultEngine() or AioEngine.open(name)");
        }
        boolean read = false, write = false, deleteOnClose = false, noFollow = false, direct = false;
        boolean create = false, createNew = false;
        List<OpenOption> forOpen = new ArrayList<>();
        for (OpenOption o : options) {
            Objects.requireNonNull(o, "option");
            if (o == StandardOpenOption.APPEND) {
                throw new UnsupportedOperationException("APPEND not allowed: an asynchronous file channel writes at"
                        + " explicit positions (as the JDK's AsynchronousFileChannel)");
            } else if (o == StandardOpenOption.DELETE_ON_CLOSE) {
                deleteOnClose = true;
            } else if (o == StandardOpenOption.SPARSE) {
                continue; // a hint, ignored as by the JDK on Linux
            } else if (o == LinkOption.NOFOLLOW_LINKS) {
                noFollow = true;
            } else {
                if (o == StandardOpenOption.READ) {
                    read = true;
                } else if (o == StandardOpenOption.WRITE) {
                    write = true;
                } else if (o == StandardOpenOption.CREATE) {
                    create = true;
                } else if (o == StandardOpenOption.CREATE_NEW) {
                    createNew = true;
                } else if (o == AioOpenOption.DIRECT || "DIRECT".equals(o.toString())) {
                    direct = true;
                } else if (!(o instanceof StandardOpenOption)) {
                    throw new UnsupportedOperationException(o + " is not an option AioFileChannel knows");
                }
                forOpen.add(o);
            }
        }
        if (!read && !write) {
            read = true;
            forOpen.add(StandardOpenOption.READ);
        }
        if (noFollow && Files.isSymbolicLink(path)) {
            throw new FileSystemException(path.toString(), null, "is a symbolic link, and NOFOLLOW_LINKS was given");
        }
        if (attrs.length > 0 && write && (create || createNew)) {
            // open(2) would give mode 0666 less the umask: create it first with the attributes.
            try {
                Files.createFile(path, attrs);
                forOpen.remove(StandardOpenOption.CREATE_NEW);
            } catch (FileAlreadyExistsException exists) {
                if (createNew) {
                    throw exists;
                }
            }
        }
        AioFile file = AioFile.open(path, forOpen.toArray(OpenOption[]::new));
        FileChannel meta = null;
        try {
            Set<OpenOption> metaOptions = new HashSet<>();
            if (read) {
                metaOptions.add(StandardOpenOption.READ);
            }
            if (write) {
                metaOptions.add(StandardOpenOption.WRITE);
            }
            // The same inode as the descriptor, whatever happened to the name since it was opened.
            meta = FileChannel.open(Path.of("/proc/self/fd/" + file.fd()), metaOptions);
            long memoryAlignment = 0, transferAlignment = 0;
            if (direct) {
                Optional<AioProbe.DirectIoAlignment> a = AioProbe.directIoAlignment(Path.of("/proc/self/fd/"
                        + file.fd()));
                // A kernel before 6.1 does not tell: 4096 suits every common file system.
                memoryAlignment = a.map(AioProbe.DirectIoAlignment::memoryAlignment).filter(v -> v > 0).orElse(4096L);
                transferAlignment = a.map(AioProbe.DirectIoAlignment::offsetAlignment).filter(v -> v > 0)
                        .orElse(4096L);
            }
            if (deleteOnClose) {
                Files.deleteIfExists(path); // as the JDK does on Linux: the name goes now, the file on close
            }
            return new AioFileChannel(engine, file, path, meta, read, write, executor, memoryAlignment,
                    transferAlignment);
        } catch (IOException | RuntimeException | Error e) {
            try {
                if (meta != null) {
                    meta.close();
                }
                file.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    // ---------------------------------------------------------------- what the JDK channel has

    /**
     * The file's size.
     *
     * @return its size in bytes
     * @throws ClosedChannelException if the channel is closed
     * @throws IOException if {@code fstat} fails
     */
    @Override
    public long size() throws IOException {
        requireOpen();
        return meta.size();
    }

    /**
     * Truncates the file to {@code size} bytes if it is larger (as {@code FileChannel.truncate}).
     *
     * @param size the new size, at least 0
     * @return this channel
     * @throws IllegalArgumentException if {@code size} is negative
     * @throws NonWritableChannelException if the channel was not opened for writing
     * @throws ClosedChannelException if the channel is closed
     * @throws IOException if {@code ftruncate} fails
     */
    @Override
    public AioFileChannel truncate(long size) throws IOException {
        if (size < 0) {
            throw new IllegalArgumentException("Negative size");
        }
        if (!writable) {
            throw new NonWritableChannelException();
        }
        requireOpen();
        meta.truncate(size);
        return this;
    }

    /**
     * {@code fsync} ({@code metaData}) or {@code fdatasync}, blocking until done; see
     * {@link #forceAsync(boolean)} for the asynchronous one.
     *
     * @param metaData whether the file's metadata must be written too
     * @throws ClosedChannelException if the channel is closed
     * @throws IOException if the sync fails
     */
    @Override
    public void force(boolean metaData) throws IOException {
        requireOpen();
        meta.force(metaData);
    }

    /**
     * Locks a region; the future completes once the lock is held (waiting for another process's
     * lock on a virtual thread, never on a carrier of the caller's). A POSIX record lock, held
     * for the process, as the JDK's.
     *
     * @param position where the region starts, at least 0
     * @param size the region's size, at least 0
     * @param shared a shared (read) lock rather than an exclusive one
     * @param attachment given to the handler
     * @param handler told of the lock or of the failure
     * @param <A> the attachment's type
     * @throws java.nio.channels.OverlappingFileLockException if this JVM holds or waits for an overlapping lock
     * @throws NonReadableChannelException for a shared lock on a channel not open for reading
     * @throws NonWritableChannelException for an exclusive lock on a channel not open for writing
     */
    @Override
    public <A> void lock(long position, long size, boolean shared, A attachment,
                         CompletionHandler<FileLock, ? super A> handler) {
        Objects.requireNonNull(handler, "handler");
        CompletableFuture<FileLock> f = lock(position, size, shared);
        f.whenComplete((lock, failure) -> deliver(handler, attachment, lock, unwrap(failure)));
    }

    /**
     * Locks a region; see {@link #lock(long, long, boolean, Object, CompletionHandler)}.
     *
     * @param position where the region starts, at least 0
     * @param size the region's size, at least 0
     * @param shared a shared (read) lock rather than an exclusive one
     * @return a future of the lock; it fails with {@link AsynchronousCloseException} if the
     *         channel is closed while it waits
     * @throws java.nio.channels.OverlappingFileLockException if this JVM holds or waits for an overlapping lock
     * @throws NonReadableChannelException for a shared lock on a channel not open for reading
     * @throws NonWritableChannelException for an exclusive lock on a channel not open for writing
     */
    @Override
    public CompletableFuture<FileLock> lock(long position, long size, boolean shared) {
        checkLock(position, size, shared);
        if (!isOpen()) {
            return CompletableFuture.failedFuture(new ClosedChannelException());
        }
        FileLock now;
        try {
            now = meta.tryLock(position, size, shared); // throws OverlappingFileLockException at once
        } catch (IOException e) {
            return CompletableFuture.failedFuture(isOpen() ? e : new AsynchronousCloseException());
        }
        if (now != null) {
            return CompletableFuture.completedFuture(new AioFileLock(this, now));
        }
        CompletableFuture<FileLock> f = new CompletableFuture<>();
        Thread.ofVirtual().name("jaio-lock-wait").start(() -> {
            try {
                f.complete(new AioFileLock(this, meta.lock(position, size, shared)));
            } catch (IOException e) {
                f.completeExceptionally(isOpen() ? e : new AsynchronousCloseException());
            } catch (RuntimeException | Error e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /**
     * Tries to lock a region without waiting.
     *
     * @param position where the region starts, at least 0
     * @param size the region's size, at least 0
     * @param shared a shared (read) lock rather than an exclusive one
     * @return the lock, or null if another process holds an overlapping one
     * @throws java.nio.channels.OverlappingFileLockException if this JVM holds or waits for an overlapping lock
     * @throws NonReadableChannelException for a shared lock on a channel not open for reading
     * @throws NonWritableChannelException for an exclusive lock on a channel not open for writing
     * @throws ClosedChannelException if the channel is closed
     * @throws IOException if {@code fcntl} fails
     */
    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        checkLock(position, size, shared);
        requireOpen();
        FileLock l = meta.tryLock(position, size, shared);
        return l == null ? null : new AioFileLock(this, l);
    }

    private void checkLock(long position, long size, boolean shared) {
        if (position < 0 || size < 0) {
            throw new IllegalArgumentException("Negative " + (position < 0 ? "position" : "size"));
        }
        if (shared && !readable) {
            throw new NonReadableChannelException();
        }
        if (!shared && !writable) {
            throw new NonWritableChannelException();
        }
    }

    /**
     * Reads into {@code dst} from the file at {@code position}; the handler gets the count, or
     * -1 at the end of the file, and {@code dst}'s position has advanced by the count.
     *
     * @param dst the buffer
     * @param position where to read, at least 0
     * @param attachment given to the handler
     * @param handler told of the result or of the failure
     * @param <A> the attachment's type
     * @throws IllegalArgumentException if {@code position} is negative, {@code dst} is read-only,
     *         is of a confined arena, or breaks the O_DIRECT alignment
     * @throws NonReadableChannelException if the channel was not opened for reading
     */
    @Override
    @SuppressWarnings("unchecked")
    public <A> void read(ByteBuffer dst, long position, A attachment, CompletionHandler<Integer, ? super A> handler) {
        Objects.requireNonNull(handler, "handler");
        startRead(dst, position, attachment, (CompletionHandler<Object, Object>) (CompletionHandler<?, ?>) handler);
    }

    /**
     * Reads into {@code dst} from the file at {@code position}.
     *
     * @param dst the buffer; its position advances by the count
     * @param position where to read, at least 0
     * @return the count, or -1 at the end of the file; see "Cancel" above for what {@code cancel} does
     * @throws IllegalArgumentException if {@code position} is negative, {@code dst} is read-only,
     *         is of a confined arena, or breaks the O_DIRECT alignment
     * @throws NonReadableChannelException if the channel was not opened for reading
     */
    @Override
    @SuppressWarnings("unchecked")
    public CompletableFuture<Integer> read(ByteBuffer dst, long position) {
        return (CompletableFuture<Integer>) (CompletableFuture<?>) startRead(dst, position, null, null);
    }

    /**
     * Writes {@code src} to the file at {@code position}; the handler gets the count and
     * {@code src}'s position has advanced by it.
     *
     * @param src the bytes from the buffer's position to its limit
     * @param position where to write, at least 0
     * @param attachment given to the handler
     * @param handler told of the result or of the failure
     * @param <A> the attachment's type
     * @throws IllegalArgumentException if {@code position} is negative, {@code src} is of a
     *         confined arena, or breaks the O_DIRECT alignment
     * @throws NonWritableChannelException if the channel was not opened for writing
     */
    @Override
    @SuppressWarnings("unchecked")
    public <A> void write(ByteBuffer src, long position, A attachment,
                          CompletionHandler<Integer, ? super A> handler) {
        Objects.requireNonNull(handler, "handler");
        startWrite(src, position, attachment, (CompletionHandler<Object, Object>) (CompletionHandler<?, ?>) handler);
    }

    /**
     * Writes {@code src} to the file at {@code position}.
     *
     * @param src the bytes from the buffer's position to its limit; its position advances by the count
     * @param position where to write, at least 0
     * @return the count; see "Cancel" above for what {@code cancel} does
     * @throws IllegalArgumentException if {@code position} is negative, {@code src} is of a
     *         confined arena, or breaks the O_DIRECT alignment
     * @throws NonWritableChannelException if the channel was not opened for writing
     */
    @Override
    @SuppressWarnings("unchecked")
    public CompletableFuture<Integer> write(ByteBuffer src, long position) {
        return (CompletableFuture<Integer>) (CompletableFuture<?>) startWrite(src, position, null, null);
    }

    // ---------------------------------------------------------------- what jaio adds

    /**
     * Reads {@code dst.byteSize()} bytes (fewer at the end of the file) at {@code position}
     * into a native segment, without a {@code ByteBuffer}.
     *
     * @param dst a writable native segment (not of a confined arena)
     * @param position where to read, at least 0
     * @return the count, or -1 at the end of the file
     * @throws IllegalArgumentException if {@code position} is negative, {@code dst} is a heap,
     *         read-only or confined segment, or breaks the O_DIRECT alignment
     * @throws NonReadableChannelException if the channel was not opened for reading
     */
    public CompletableFuture<Long> read(MemorySegment dst, long position) {
        checkSegment(dst, position, true);
        return transfer(ChannelOp.READ, ChannelOp.LONG_RESULT, null, dst, position, null, null);
    }

    /**
     * Writes the bytes of a native segment at {@code position}.
     *
     * @param src a native segment (not of a confined arena)
     * @param position where to write, at least 0
     * @return the count
     * @throws IllegalArgumentException if {@code position} is negative, {@code src} is a heap or
     *         confined segment, or breaks the O_DIRECT alignment
     * @throws NonWritableChannelException if the channel was not opened for writing
     */
    public CompletableFuture<Long> write(MemorySegment src, long position) {
        checkSegment(src, position, false);
        return transfer(ChannelOp.WRITE, ChannelOp.LONG_RESULT, null, src, position, null, null);
    }

    /**
     * {@link #read(ByteBuffer, long)} with a deadline: if the read is still in flight when
     * {@code timeout} has passed, the engine is asked to cancel it ({@code aio_cancel}). The future
     * fails with {@link InterruptedByTimeoutException} only once the engine reports the read
     * canceled, so the buffer is the caller's again when it does; a read that the engine could not
     * stop (one already running on the posix or threads engine) completes with its result.
     *
     * {@snippet class=dev.jaio.examples.ChannelExample region=deadline}
     *
     * @param dst the buffer; its position advances by the count
     * @param position where to read, at least 0
     * @param timeout how long the read may take
     * @return the count, or -1 at the end of the file
     * @throws IllegalArgumentException as {@link #read(ByteBuffer, long)}
     * @throws NonReadableChannelException if the channel was not opened for reading
     */
    @SuppressWarnings("unchecked")
    public CompletableFuture<Integer> read(ByteBuffer dst, long position, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        checkRead(dst, position);
        return (CompletableFuture<Integer>) (CompletableFuture<?>) transfer(ChannelOp.READ, ChannelOp.INT_RESULT, dst,
                null, position, null, null, timeout);
    }

    /**
     * {@link #write(ByteBuffer, long)} with a deadline; see {@link #read(ByteBuffer, long, Duration)}.
     *
     * @param src the bytes from the buffer's position to its limit; its position advances by the count
     * @param position where to write, at least 0
     * @param timeout how long the write may take
     * @return the count
     * @throws IllegalArgumentException as {@link #write(ByteBuffer, long)}
     * @throws NonWritableChannelException if the channel was not opened for writing
     */
    @SuppressWarnings("unchecked")
    public CompletableFuture<Integer> write(ByteBuffer src, long position, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        checkWrite(src, position);
        return (CompletableFuture<Integer>) (CompletableFuture<?>) transfer(ChannelOp.WRITE, ChannelOp.INT_RESULT, src,
                null, position, null, null, timeout);
    }

    /**
     * Starts a batch of operations on this channel (and other channels of its engine) that is
     * submitted with one call into the engine; see {@link AioBatch}.
     *
     * @return a new, empty batch for this channel's engine
     */
    public AioBatch batch() {
        return new AioBatch(engine);
    }

    /**
     * {@code aio_fsync}: makes durable every write of this channel submitted before it (POSIX
     * orders an fsync after the writes queued before it, on every engine), without blocking.
     *
     * @param metaData {@code O_SYNC} ({@code fsync}) rather than {@code O_DSYNC} ({@code fdatasync})
     * @return completes when the data is durable
     */
    public CompletableFuture<Void> forceAsync(boolean metaData) {
        if (!isOpen()) {
            return CompletableFuture.failedFuture(new ClosedChannelException());
        }
        if (!writable) {
            // glibc refuses aio_fsync of a descriptor not open for writing (EBADF); fsync(2) does not.
            try {
                meta.force(metaData);
                return CompletableFuture.completedFuture(null);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return transfer(metaData ? ChannelOp.FSYNC_ALL : ChannelOp.FSYNC_DATA, ChannelOp.VOID_RESULT, null, null, 0,
                null, null);
    }

    /**
     * The file system's O_DIRECT alignment for this file ({@code statx STATX_DIOALIGN}; 4096 for
     * both when the kernel does not tell), or empty when the channel was not opened with
     * {@link AioOpenOption#DIRECT}.
     *
     * @return the alignment of buffer addresses and of offsets and lengths
     */
    public Optional<AioProbe.DirectIoAlignment> directIoAlignment() {
        return memoryAlignment == 0 ? Optional.empty()
                : Optional.of(new AioProbe.DirectIoAlignment(memoryAlignment, transferAlignment));
    }

    /**
     * A segment from {@code arena} that this channel can transfer with O_DIRECT: its address
     * aligned to {@link #directIoAlignment()} (4096 bytes at least, a page) and its size
     * {@code byteSize} rounded up to a multiple of the offset alignment. Works for channels
     * without O_DIRECT too (aligned to 4096).
     *
     * @param arena where the memory comes from ({@code Arena.ofAuto()} for zero-copy I/O)
     * @param byteSize the least size
     * @return the segment
     */
    public MemorySegment allocateAligned(Arena arena, long byteSize) {
        Objects.requireNonNull(arena, "arena");
        if (byteSize <= 0) {
            throw new IllegalArgumentException("byteSize " + byteSize + " must be positive");
        }
        long unit = Math.max(1, transferAlignment);
        long size = (byteSize + unit - 1) / unit * unit;
        return arena.allocate(size, Math.max(4096, memoryAlignment));
    }

    /**
     * The engine that carries out this channel's I/O.
     *
     * @return the engine given at open, or the default engine
     */
    public AioEngine engine() {
        return engine;
    }

    @Override
    public boolean isOpen() {
        return (state.get() & CLOSED) == 0;
    }

    /**
     * Closes the channel; see "Close" in the class documentation. Idempotent.
     *
     * @throws IOException if closing the descriptor fails
     */
    @Override
    public void close() throws IOException {
        long s;
        do {
            s = state.get();
            if ((s & CLOSED) != 0) {
                awaitReleased();
                return;
            }
        } while (!state.compareAndSet(s, s | CLOSED));
        if (s != 0) {
            try {
                engine.aioCancelAll(fd);
            } catch (AioException | IllegalStateException engineClosed) {
                // Nothing to cancel any more: the engine ended the operations itself.
            }
        } else {
            release();
        }
        awaitReleased();
    }

    @Override
    public String toString() {
        return "AioFileChannel[" + path + ", " + engine.name() + (isOpen() ? "" : ", closed") + "]";
    }

    // ---------------------------------------------------------------- the operations

    private CompletableFuture<Object> startRead(ByteBuffer dst, long position, Object attachment,
                                                CompletionHandler<Object, Object> handler) {
        checkRead(dst, position);
        return transfer(ChannelOp.READ, ChannelOp.INT_RESULT, dst, null, position, attachment, handler);
    }

    private CompletableFuture<Object> startWrite(ByteBuffer src, long position, Object attachment,
                                                 CompletionHandler<Object, Object> handler) {
        checkWrite(src, position);
        return transfer(ChannelOp.WRITE, ChannelOp.INT_RESULT, src, null, position, attachment, handler);
    }

    /** The JDK's checks of a read, in its order. */
    void checkRead(ByteBuffer dst, long position) {
        Objects.requireNonNull(dst, "dst");
        checkPosition(position);
        if (!readable) {
            throw new NonReadableChannelException();
        }
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("Read-only buffer");
        }
    }

    /** The JDK's checks of a write, in its order. */
    void checkWrite(ByteBuffer src, long position) {
        Objects.requireNonNull(src, "src");
        checkPosition(position);
        if (!writable) {
            throw new NonWritableChannelException();
        }
    }

    /** The checks of a segment read or write. */
    void checkSegment(MemorySegment segment, long position, boolean read) {
        Objects.requireNonNull(segment, read ? "dst" : "src");
        checkPosition(position);
        if (read && !readable) {
            throw new NonReadableChannelException();
        }
        if (!read && !writable) {
            throw new NonWritableChannelException();
        }
        ControlBlock.checkBuffer(segment, read);
    }

    boolean writable() {
        return writable;
    }

    FileChannel meta() {
        return meta;
    }

    /**
     * Starts one operation: a transfer of {@code byteBuffer} or {@code segment} (exactly one is
     * non-null) or an fsync (both null), cancelled after {@code timeout} unless null. Returns its
     * future (also when a handler is given, for the code that shares this path).
     */
    @SuppressWarnings("unchecked")
    private <T> CompletableFuture<T> transfer(byte kind, byte resultType, ByteBuffer byteBuffer, MemorySegment segment,
                                              long position, Object attachment, CompletionHandler<Object, Object> handler,
                                              Duration timeout) {
        if (kind == ChannelOp.READ && handler == null && timeout == null && memoryAlignment == 0
                && pageCache.worthTrying()) {
            CompletableFuture<T> done = readFromPageCache(resultType, byteBuffer, segment, position);
            if (done != null) {
                return done;
            }
        }
        return start(kind, resultType, byteBuffer, segment, position, attachment, handler, timeout, new AioFuture<>());
    }

    /**
     * A virtual thread's read served on the spot from the page cache ({@link PageCacheReads}):
     * its completed future, or null when the engine must read it (not cached whole, a closing
     * channel, an empty buffer, memory of a closeable arena that only the engine's staging may
     * hand to the kernel). Nothing of the read is visible before it succeeds: the buffer's
     * position moves only then.
     */
    @SuppressWarnings("unchecked")
    private <T> CompletableFuture<T> readFromPageCache(byte resultType, ByteBuffer byteBuffer, MemorySegment segment,
                                                       long position) {
        long requested = byteBuffer != null ? byteBuffer.remaining() : segment.byteSize();
        if (requested == 0 || !enter()) {
            return null;
        }
        ChannelOp op = null;
        MemorySegment bounce = null;
        try {
            MemorySegment io;
            if (byteBuffer == null) {
                io = segment;
            } else if (byteBuffer.isDirect()) {
                io = views.of(byteBuffer);
            } else {
                bounce = bounces.take(requested);
                io = bounce.byteSize() == requested ? bounce : bounce.asSlice(0, requested);
            }
            if (bounce == null && BufferLifetime.of(io) != BufferLifetime.REACHABILITY) {
                return null;
            }
            try {
                op = take(ChannelOp.READ); // for its scratch: the block itself is not submitted
            } catch (IllegalStateException engineClosed) {
                return null; // the engine's path fails the read as it fails every other
            }
            long n = pageCache.read(fd, io, position, op.nowaitScratch());
            Reference.reachabilityFence(byteBuffer); // its memory, or the segment's, is the kernel's
            Reference.reachabilityFence(segment);   // to write until the call returns
            if (n < 0) {
                return null;
            }
            if (byteBuffer != null && n > 0) {
                if (bounce != null) {
                    copyOut(bounce, byteBuffer, (int) n);
                }
                byteBuffer.position(byteBuffer.position() + (int) n);
            }
            long value = n == 0 ? -1 : n;
            AioFuture<Object> future = new AioFuture<>();
            // Not a conditional expression (it would box the Integer as a Long). The block's box
            // of the count, as finish() gives: reads of one size box nothing.
            Object result;
            if (resultType == ChannelOp.INT_RESULT) {
                result = op.boxed((int) value);
            } else {
                result = Long.valueOf(value);
            }
            future.complete(result);
            return (CompletableFuture<T>) (CompletableFuture<?>) future;
        } finally {
            if (op != null) {
                recycle(op);
            }
            if (bounce != null) {
                bounces.give(bounce);
            }
            leave();
        }
    }

    /** How many reads {@link PageCacheReads} served on the spot; for tests. */
    long pageCacheReads() {
        return pageCache.served();
    }

    /** {@link #transfer} with the future given ({@link AioBatch}'s forces). */
    @SuppressWarnings("unchecked")
    <T> CompletableFuture<T> start(byte kind, byte resultType, ByteBuffer byteBuffer, MemorySegment segment,
                                   long position, Object attachment, CompletionHandler<Object, Object> handler,
                                   Duration timeout, AioFuture<Object> future) {
        ChannelOp op = prepare(kind, resultType, byteBuffer, segment, position, attachment, handler, future, timeout);
        if (op != null) {
            int gen = future.generation();
            InlineCompletions inline = InlineCompletions.current();
            inline.beforeSubmit();
            try {
                if (inline.mayDefer()) {
                    ((ControlBlock) op.aio).submitDeferrable();
                } else {
                    op.aio.submit();
                }
                submitted(op, gen);
            } catch (AioException | RuntimeException e) {
                notSubmitted(op, e);
            } finally {
                inline.afterSubmit();
            }
        }
        return (CompletableFuture<T>) (CompletableFuture<?>) future;
    }

    private <T> CompletableFuture<T> transfer(byte kind, byte resultType, ByteBuffer byteBuffer, MemorySegment segment,
                                              long position, Object attachment,
                                              CompletionHandler<Object, Object> handler) {
        return transfer(kind, resultType, byteBuffer, segment, position, attachment, handler, null);
    }

    /**
     * Everything of starting an operation but the submission: checks the buffer, takes a pooled
     * block, aims it, counts it in flight and ties {@code future} to it. Returns the block to
     * submit, or null when the operation is already over ({@code future} completed: an empty
     * buffer, a closed channel, a closed engine).
     *
     * @throws IllegalArgumentException for a buffer the engine refuses or a misaligned O_DIRECT transfer
     */
    ChannelOp prepare(byte kind, byte resultType, ByteBuffer byteBuffer, MemorySegment segment, long position,
                      Object attachment, CompletionHandler<Object, Object> handler, AioFuture<Object> future,
                      Duration timeout) {
        if (byteBuffer != null && !byteBuffer.hasRemaining()) {
            complete(future, resultType, 0, null, attachment, handler);
            return null;
        }
        MemorySegment io = null;
        MemorySegment bounce = null;
        long requested = 0;
        if (byteBuffer != null) {
            requested = byteBuffer.remaining();
            if (byteBuffer.isDirect()) {
                io = views.of(byteBuffer); // checked by checkBuffer when first seen
            } else {
                bounce = bounces.take(requested);
                io = bounce.byteSize() == requested ? bounce : bounce.asSlice(0, requested);
                if (kind == ChannelOp.WRITE) {
                    copyIn(byteBuffer, io);
                }
            }
        } else if (segment != null) {
            io = segment;
            requested = segment.byteSize();
        }
        if (io != null && memoryAlignment != 0) {
            try {
                checkDirectAlignment(io, position);
            } catch (IllegalArgumentException e) {
                if (bounce != null) {
                    bounces.give(bounce);
                }
                throw e;
            }
        }
        if (!enter()) {
            if (bounce != null) {
                bounces.give(bounce);
            }
            complete(future, resultType, 0, new ClosedChannelException(), attachment, handler);
            return null;
        }
        ChannelOp op;
        try {
            op = take(kind);
        } catch (RuntimeException | Error e) {
            leave();
            if (bounce != null) {
                bounces.give(bounce);
            }
            if (e instanceof IllegalStateException && engineClosed()) {
                complete(future, resultType, 0, closedEngine(e), attachment, handler);
                return null;
            }
            throw e;
        }
        op.resultType = resultType;
        op.byteBuffer = byteBuffer;
        op.bounce = bounce;
        op.requested = requested;
        op.attachment = attachment;
        op.handler = handler;
        op.future = future;
        try {
            if (io != null) {
                // io was checked above (checkBuffer, or the channel's own bounce memory)
                ((ControlBlock) op.aio).setBufferUnchecked(io);
                if (kind == ChannelOp.READ) {
                    ((AioRead) op.aio).setOffset(position);
                } else {
                    ((AioWrite) op.aio).setOffset(position);
                }
            }
        } catch (RuntimeException e) {
            op.end();
            if (bounce != null) {
                bounces.give(bounce);
            }
            recycle(op);
            leave();
            if (e instanceof IllegalStateException && engineClosed()) {
                // The engine closed its blocks, this pooled one too: the channel can do no more I/O.
                complete(future, resultType, 0, closedEngine(e), attachment, handler);
                return null;
            }
            throw e;
        }
        int gen = op.begin();
        future.bind(op, gen);
        if (timeout != null) {
            // Armed before the submission, so that the field is the submitter's to write; a
            // timer that fires before the I/O is in flight finds nothing to cancel.
            op.deadline = Deadlines.schedule(op, gen, timeout);
        }
        return op;
    }

    /**
     * {@code op}'s submission {@code gen} was handed to the engine: from here on the completer
     * owns it (it may even have finished it already).
     */
    void submitted(ChannelOp op, int gen) {
        if (!completer.told) {
            completer.watch(op);
        }
        op.submittedNow(gen);
    }

    /** {@code op} could not be submitted ({@code e}): its future fails, and it goes back to the pool. */
    void notSubmitted(ChannelOp op, Throwable e) {
        op.end();
        if (op.deadline != null) {
            op.deadline.cancel(false);
            op.deadline = null;
        }
        Throwable failure = e;
        if (e instanceof IllegalStateException && ((ControlBlock) op.aio).op.engine().isClosed()) {
            failure = closedEngine(e);
        } else if (e instanceof IllegalStateException && !isOpen()) {
            failure = new AsynchronousCloseException();
        }
        AioFuture<Object> future = op.future;
        Object attachment = op.attachment;
        CompletionHandler<Object, Object> handler = op.handler;
        byte resultType = op.resultType;
        if (op.bounce != null) {
            bounces.give(op.bounce);
        }
        recycle(op);
        leave();
        complete(future, resultType, 0, failure, attachment, handler);
    }

    /** Called by the completer once the engine has ended {@code op}'s I/O. */
    void finish(ChannelOp op) {
        long r = 0;
        Throwable failure = null;
        try {
            r = op.returnAndEnd();
        } catch (AioException e) {
            failure = e;
        } catch (IllegalStateException e) {
            // The engine is closed, but maybe still closing: its close() waits for the I/O in
            // flight before it frees anything, and until then this operation may still be
            // writing its buffer (posix: the completer finds the refusal, not the end). Nothing
            // of it is given back before that.
            ((ControlBlock) op.aio).op.engine().awaitDrained();
            failure = closedEngine(e);
        }
        byte canceledBy = op.canceledBy;
        if (op.deadline != null) {
            op.deadline.cancel(false);
            op.deadline = null;
        }
        AioFuture<Object> future = op.future;
        Object attachment = op.attachment;
        CompletionHandler<Object, Object> handler = op.handler;
        byte resultType = op.resultType;
        ByteBuffer bb = op.byteBuffer;
        MemorySegment bounce = op.bounce;
        long value = r;
        if (failure == null) {
            if (op.kind == ChannelOp.READ && r == 0 && op.requested > 0) {
                value = -1; // end of file
            } else if (bb != null && r > 0) {
                if (bounce != null && op.kind == ChannelOp.READ) {
                    copyOut(bounce, bb, (int) r);
                }
                bb.position(bb.position() + (int) r);
            }
        } else if (failure instanceof AioException e) {
            if (e.errno() == Errno.ECANCELED && canceledBy == ChannelOp.BY_DEADLINE) {
                failure = new InterruptedByTimeoutException();
            } else if (!isOpen()) {
                failure = new AsynchronousCloseException();
                failure.initCause(e); // what the engine said: ECANCELED from the close's cancel, or another errno
            } else if (e.errno() == Errno.ECANCELED && canceledBy == ChannelOp.BY_USER) {
                failure = null;
                resultType = -1; // canceled
            } else if (e.errno() == Errno.EINVAL && memoryAlignment != 0) {
                failure = new IOException(e.getMessage() + ": with O_DIRECT, buffer addresses must be aligned to "
                        + memoryAlignment + " bytes and offsets and lengths to " + transferAlignment, e);
            }
        }
        // Boxed before the block goes back to the pool, where another thread may take it.
        Object result = resultType == ChannelOp.INT_RESULT && failure == null ? op.boxed((int) value) : null;
        if (bounce != null) {
            bounces.give(bounce);
        }
        recycle(op);
        leave();
        if (resultType == -1) {
            future.canceled();
            if (handler != null) {
                deliver(handler, attachment, null, new CancellationException());
            }
            return;
        }
        if (result != null) {
            completeWith(future, result, null, attachment, handler);
            return;
        }
        complete(future, resultType, value, failure, attachment, handler);
    }

    void complete(AioFuture<Object> future, byte resultType, long value, Throwable failure, Object attachment,
                          CompletionHandler<Object, Object> handler) {
        // Not a conditional expression: that would unbox both and box the Integer as a Long.
        Object result = null;
        if (resultType == ChannelOp.INT_RESULT) {
            result = Integer.valueOf((int) value);
        } else if (resultType == ChannelOp.LONG_RESULT) {
            result = Long.valueOf(value);
        }
        completeWith(future, result, failure, attachment, handler);
    }

    /** Completes {@code future} with {@code result} or {@code failure}, then runs the handler, if any. */
    private void completeWith(AioFuture<Object> future, Object result, Throwable failure, Object attachment,
                         CompletionHandler<Object, Object> handler) {
        if (failure == null) {
            future.complete(result);
        } else {
            future.completeExceptionally(failure);
        }
        if (handler != null) {
            deliver(handler, attachment, result, failure);
        }
    }

    /** Runs the handler on the channel's executor, or here; nothing it throws escapes. */
    @SuppressWarnings("unchecked")
    private <V, A> void deliver(CompletionHandler<V, ? super A> handler, A attachment, V result, Throwable failure) {
        CompletionHandler<Object, Object> h = (CompletionHandler<Object, Object>) (CompletionHandler<?, ?>) handler;
        if (executor != null) {
            try {
                executor.execute(() -> invoke(h, attachment, result, failure));
                return;
            } catch (RejectedExecutionException shutDown) {
                // The executor was shut down: the handler runs here rather than being lost.
            }
        }
        invoke(h, attachment, result, failure);
    }

    private static void invoke(CompletionHandler<Object, Object> handler, Object attachment, Object result,
                               Throwable failure) {
        try {
            if (failure == null) {
                handler.completed(result, attachment);
            } else {
                handler.failed(failure, attachment);
            }
        } catch (Throwable t) {
            Callbacks.report(t);
        }
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    /** Whether the channel's engine is closed (then its blocks refuse everything). */
    private boolean engineClosed() {
        return ((dev.jaio.internal.AbstractEngine) engine).isClosed(); // checked at opening
    }

    private static Throwable closedEngine(Throwable e) {
        AsynchronousCloseException c = new AsynchronousCloseException();
        c.initCause(e);
        return c;
    }

    void checkDirectAlignment(MemorySegment io, long position) {
        long address = io.address();
        long length = io.byteSize();
        if (address % memoryAlignment != 0 || position % transferAlignment != 0 || length % transferAlignment != 0) {
            throw new IllegalArgumentException("misaligned O_DIRECT transfer (buffer address 0x" + Long.toHexString(address)
                    + ", position " + position + ", length " + length + "): this file system needs addresses aligned to "
                    + memoryAlignment + " bytes and positions and lengths multiples of " + transferAlignment
                    + " (statx STATX_DIOALIGN); allocate buffers with AioFileChannel.allocateAligned");
        }
    }

    private static void checkPosition(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("Negative position");
        }
    }

    private void requireOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    private static void copyIn(ByteBuffer src, MemorySegment dst) {
        int n = src.remaining();
        if (src.hasArray()) {
            MemorySegment.copy(src.array(), src.arrayOffset() + src.position(), dst, ValueLayout.JAVA_BYTE, 0, n);
        } else {
            MemorySegment.copy(MemorySegment.ofBuffer(src), 0, dst, 0, n);
        }
    }

    private static void copyOut(MemorySegment src, ByteBuffer dst, int n) {
        // A heap buffer that is not read-only has its array.
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, 0, dst.array(), dst.arrayOffset() + dst.position(), n);
    }

    // ---------------------------------------------------------------- in flight, close

    /** Counts one more operation in flight; false once closed. */
    private boolean enter() {
        while (true) {
            long s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s + 1)) {
                return true;
            }
        }
    }

    /** One operation fewer in flight; the last one of a closed channel releases it. */
    private void leave() {
        if (state.decrementAndGet() == CLOSED) {
            release();
        }
    }

    private void release() {
        synchronized (closeLock) {
            if (released) {
                return;
            }
            released = true;
        }
        Throwable failure = null;
        try {
            List<ChannelOp> ops;
            synchronized (this) {
                ops = List.of(java.util.Arrays.copyOf(byIndex, made));
                for (int kind = 0; kind < freeHeads.length(); kind++) {
                    freeHeads.set(kind, 0);
                }
            }
            for (ChannelOp op : ops) {
                try {
                    op.aio.close();
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
            try {
                meta.close();
            } catch (IOException e) {
                failure = e;
            }
            try {
                file.close();
            } catch (IOException e) {
                failure = e;
            }
        } finally {
            completer.detach();
            synchronized (closeLock) {
                closeLock.notifyAll();
            }
        }
        if (failure != null) {
            Callbacks.report(failure);
        }
    }

    private void awaitReleased() {
        if (ChannelCompleter.isCompleterThread()) {
            return; // the last operation to end releases the channel; waiting here would wait for ourselves
        }
        boolean interrupted = false;
        synchronized (closeLock) {
            while (!released || (state.get() & ~CLOSED) != 0) {
                try {
                    closeLock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- the pool of control blocks

    private ChannelOp take(byte kind) {
        ChannelOp pooled = pop(kind);
        if (pooled != null) {
            return pooled;
        }
        Aio aio = switch (kind) {
            case ChannelOp.READ -> new AioRead(engine, fd, 0, ChannelOp.NO_BUFFER, 0, SigevNotify.none());
            case ChannelOp.WRITE -> new AioWrite(engine, fd, 0, ChannelOp.NO_BUFFER, 0, SigevNotify.none());
            case ChannelOp.FSYNC_DATA -> new AioFsync(engine, fd, AioFsyncMode.O_DSYNC, 0, SigevNotify.none());
            default -> new AioFsync(engine, fd, AioFsyncMode.O_SYNC, 0, SigevNotify.none());
        };
        ChannelOp op;
        synchronized (this) {
            op = new ChannelOp(this, kind, aio, made++);
            ChannelOp[] table = byIndex;
            if (op.index == table.length) {
                table = java.util.Arrays.copyOf(table, 2 * table.length);
            }
            table[op.index] = op;
            byIndex = table; // published before the block can be pooled
        }
        op.completer = completer;
        if (completer.told) {
            Operation engineOp = ((ControlBlock) aio).op;
            engineOp.setCompletionListener(op);
        }
        return op;
    }

    private void recycle(ChannelOp op) {
        op.future = null;
        op.byteBuffer = null;
        op.bounce = null;
        op.handler = null;
        op.attachment = null;
        try {
            if (op.kind == ChannelOp.READ || op.kind == ChannelOp.WRITE) {
                ((ControlBlock) op.aio).setBufferUnchecked(ChannelOp.NO_BUFFER); // hold no user memory while idle
            }
        } catch (IllegalStateException engineClosed) {
            return; // the block was closed with its engine: it cannot be used again
        }
        long head;
        do {
            head = freeHeads.get(op.kind);
            op.nextFreeIndex = (int) head - 1;
        } while (!freeHeads.compareAndSet(op.kind, head, nextHead(head, op.index)));
    }

    /** A free-stack head whose top is block {@code index} (-1: empty), one change after {@code head}. */
    private static long nextHead(long head, int index) {
        return ((head >>> 32) + 1) << 32 | (index + 1L);
    }

    /** The top idle block of {@code kind}, or null; see {@link #freeHeads}. */
    private ChannelOp pop(byte kind) {
        while (true) {
            long head = freeHeads.get(kind);
            int top = (int) head - 1;
            if (top < 0) {
                return null;
            }
            ChannelOp op = byIndex[top];
            // Read after the head: if op left the stack meanwhile, the head changed and the CAS fails.
            if (freeHeads.compareAndSet(kind, head, nextHead(head, op.nextFreeIndex))) {
                return op;
            }
        }
    }
}
