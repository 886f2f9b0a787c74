package dev.jaio;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Many operations of {@link AioFileChannel}s of one engine, submitted with one call into the
 * engine ({@link Aio#lioListio}: one {@code io_uring_enter} on io_uring, one {@code lio_listio} on
 * posix), each with its own future. Forces added to the batch are submitted right after that
 * call, without waiting in Java: {@code aio_fsync} covers every write queued before it on every
 * engine (io_uring holds it back until those writes have completed), so a write and the force
 * that must cover it form an ordered chain.
 *
 * {@snippet class=dev.jaio.examples.ChannelExample region=batch}
 *
 * <p>Each operation has the semantics of the channel's method of the same name; a failure to
 * queue one (the engine out of resources) fails only its future. Cancelling a future before
 * {@link #submit()} leaves the operation out; after, see the channel's "Cancel". A batch is
 * submitted once, by one thread; it is not thread-safe.
 */
public final class AioBatch {
    private static final byte FORCE_META = ChannelOp.FSYNC_ALL, FORCE_DATA = ChannelOp.FSYNC_DATA;

    private final AioEngine engine;
    private final List<Entry> entries = new ArrayList<>();
    private boolean submitted;

    private record Entry(AioFileChannel channel, byte kind, byte resultType, ByteBuffer byteBuffer,
                         MemorySegment segment, long position, AioFuture<Object> future) {
    }

    /**
     * An empty batch for the channels of {@code engine}.
     *
     * @param engine the engine of every channel the batch will hold
     */
    public AioBatch(AioEngine engine) {
        this.engine = Objects.requireNonNull(engine, "engine");
    }

    /**
     * Adds a read; see {@link AioFileChannel#read(ByteBuffer, long)}.
     *
     * @param channel a channel of the batch's engine
     * @param dst the buffer; its position advances by the count
     * @param position where to read, at least 0
     * @return the count, or -1 at the end of the file, once the batch is submitted and the read done
     * @throws IllegalArgumentException as the channel's read, or for a channel of another engine
     * @throws java.nio.channels.NonReadableChannelException if the channel is not open for reading
     */
    public CompletableFuture<Integer> read(AioFileChannel channel, ByteBuffer dst, long position) {
        check(channel).checkRead(dst, position);
        return add(channel, ChannelOp.READ, ChannelOp.INT_RESULT, dst, null, position);
    }

    /**
     * Adds a write; see {@link AioFileChannel#write(ByteBuffer, long)}.
     *
     * @param channel a channel of the batch's engine
     * @param src the bytes from the buffer's position to its limit; its position advances by the count
     * @param position where to write, at least 0
     * @return the count, once the batch is submitted and the write done
     * @throws IllegalArgumentException as the channel's write, or for a channel of another engine
     * @throws java.nio.channels.NonWritableChannelException if the channel is not open for writing
     */
    public CompletableFuture<Integer> write(AioFileChannel channel, ByteBuffer src, long position) {
        check(channel).checkWrite(src, position);
        return add(channel, ChannelOp.WRITE, ChannelOp.INT_RESULT, src, null, position);
    }

    /**
     * Adds a read into a segment; see {@link AioFileChannel#read(MemorySegment, long)}.
     *
     * @param channel a channel of the batch's engine
     * @param dst a writable native segment
     * @param position where to read, at least 0
     * @return the count, or -1 at the end of the file
     * @throws IllegalArgumentException as the channel's read, or for a channel of another engine
     * @throws java.nio.channels.NonReadableChannelException if the channel is not open for reading
     */
    public CompletableFuture<Long> read(AioFileChannel channel, MemorySegment dst, long position) {
        check(channel).checkSegment(dst, position, true);
        return add(channel, ChannelOp.READ, ChannelOp.LONG_RESULT, null, dst, position);
    }

    /**
     * Adds a write from a segment; see {@link AioFileChannel#write(MemorySegment, long)}.
     *
     * @param channel a channel of the batch's engine
     * @param src a native segment
     * @param position where to write, at least 0
     * @return the count
     * @throws IllegalArgumentException as the channel's write, or for a channel of another engine
     * @throws java.nio.channels.NonWritableChannelException if the channel is not open for writing
     */
    public CompletableFuture<Long> write(AioFileChannel channel, MemorySegment src, long position) {
        check(channel).checkSegment(src, position, false);
        return add(channel, ChannelOp.WRITE, ChannelOp.LONG_RESULT, null, src, position);
    }

    /**
     * Adds a force of {@code channel}, submitted after the batch's reads and writes, which it
     * covers; see {@link AioFileChannel#forceAsync(boolean)}.
     *
     * @param channel a channel of the batch's engine
     * @param metaData {@code fsync} rather than {@code fdatasync}
     * @return completes when the channel's writes of this batch (and before) are durable
     * @throws IllegalArgumentException for a channel of another engine
     */
    public CompletableFuture<Void> force(AioFileChannel channel, boolean metaData) {
        check(channel);
        return add(channel, metaData ? FORCE_META : FORCE_DATA, ChannelOp.VOID_RESULT, null, null, 0);
    }

    /**
     * How many operations the batch holds.
     *
     * @return the count
     */
    public int size() {
        return entries.size();
    }

    /**
     * Submits the reads and writes with one {@link Aio#lioListio}({@link LioMode#LIO_NOWAIT}) and
     * then the forces, and returns without waiting; each future completes when its operation
     * does. An operation that cannot be started (its channel closed, a misaligned O_DIRECT
     * transfer) or queued fails its own future.
     *
     * @throws IllegalStateException if the batch was submitted already
     */
    public void submit() {
        if (submitted) {
            throw new IllegalStateException("this batch was submitted already: make a new one");
        }
        submitted = true;
        List<Aio> blocks = new ArrayList<>(entries.size());
        List<ChannelOp> ops = new ArrayList<>(entries.size());
        List<Integer> generations = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            if (e.kind == FORCE_META || e.kind == FORCE_DATA || e.future.isDone()) {
                continue;
            }
            ChannelOp op;
            try {
                op = e.channel.prepare(e.kind, e.resultType, e.byteBuffer, e.segment, e.position, null, null,
                        e.future, null);
            } catch (RuntimeException refused) {
                e.future.completeExceptionally(refused);
                continue;
            }
            if (op != null) {
                blocks.add(op.aio);
                ops.add(op);
                generations.add(e.future.generation());
            }
        }
        if (!blocks.isEmpty()) {
            Map<Aio, Boolean> notQueued = new IdentityHashMap<>();
            InlineCompletions inline = InlineCompletions.current();
            inline.beforeSubmit();
            try {
                submitList(blocks, ops, generations, notQueued);
            } finally {
                inline.afterSubmit();
            }
        }
        forces();
    }

    private void submitList(List<Aio> blocks, List<ChannelOp> ops, List<Integer> generations,
                            Map<Aio, Boolean> notQueued) {
        Throwable failure = null;
        try {
            engine.lioListio(LioMode.LIO_NOWAIT, blocks, SigevNotify.none());
        } catch (AioException e) {
            failure = e;
            for (Aio a : e.notQueued()) {
                notQueued.put(a, Boolean.TRUE);
            }
        } catch (RuntimeException e) {
            failure = e; // nothing of the list was submitted
            for (Aio a : blocks) {
                notQueued.put(a, Boolean.TRUE);
            }
        }
        for (int i = 0; i < ops.size(); i++) {
            ChannelOp op = ops.get(i);
            if (notQueued.containsKey(op.aio)) {
                op.channel.notSubmitted(op, failure);
            } else {
                op.channel.submitted(op, generations.get(i));
            }
        }
    }

    /** The forces, after the list: each covers the writes queued before it. */
    private void forces() {
        for (Entry e : entries) {
            if ((e.kind == FORCE_META || e.kind == FORCE_DATA) && !e.future.isDone()) {
                if (!e.channel.writable()) {
                    try {
                        e.channel.meta().force(e.kind == FORCE_META);
                        e.future.complete(null);
                    } catch (java.io.IOException failed) {
                        e.future.completeExceptionally(failed);
                    }
                    continue;
                }
                e.channel.start(e.kind, ChannelOp.VOID_RESULT, null, null, 0, null, null, null, e.future);
            }
        }
    }

    private AioFileChannel check(AioFileChannel channel) {
        Objects.requireNonNull(channel, "channel");
        if (submitted) {
            throw new IllegalStateException("this batch was submitted already: make a new one");
        }
        if (channel.engine() != engine) {
            throw new IllegalArgumentException(channel + " works on the " + channel.engine().name() + " engine, this"
                    + " batch on " + engine.name() + ": one batch is one call into one engine");
        }
        return channel;
    }

    @SuppressWarnings("unchecked")
    private <T> CompletableFuture<T> add(AioFileChannel channel, byte kind, byte resultType, ByteBuffer byteBuffer,
                                         MemorySegment segment, long position) {
        AioFuture<Object> future = new AioFuture<>();
        entries.add(new Entry(channel, kind, resultType, byteBuffer, segment, position, future));
        return (CompletableFuture<T>) (CompletableFuture<?>) future;
    }
}
