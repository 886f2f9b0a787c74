package dev.jaio;

import dev.jaio.internal.OpKind;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * {@code aio_write}: writes the bytes of {@code buf}, a native segment, to {@code fd} at
 * {@code offset}. {@link #aioReturn()} gives how many bytes were written.
 *
 * {@snippet class=dev.jaio.examples.ProtocolExample region=write-copy}
 *
 * @see <a href="https://pubs.opengroup.org/onlinepubs/9799919799/functions/aio_write.html">aio_write</a>
 */
public final class AioWrite extends ControlBlock implements Aio {

    /**
     * A write on the {@linkplain AioEngine#defaultEngine() default engine}.
     *
     * @param fd the file descriptor ({@code aio_fildes})
     * @param offset the file offset ({@code aio_offset})
     * @param buf the native segment to write from, all of its {@code byteSize()} bytes
     * @param priority {@code aio_reqprio}, {@code 0..20}: how much to lower the request's priority (engines may ignore it)
     * @param notify the block's own notification; {@code null} means {@link SigevNotify#none()}
     * @throws IllegalArgumentException as for {@link #AioWrite(AioEngine, int, long, MemorySegment, int, SigevNotify)}
     */
    public AioWrite(int fd, long offset, MemorySegment buf, int priority, SigevNotify notify) {
        this(defaultEngine(), fd, offset, buf, priority, notify);
    }

    /**
     * A write on {@code engine}.
     *
     * @param engine the engine that runs it
     * @param fd the file descriptor ({@code aio_fildes})
     * @param offset the file offset ({@code aio_offset})
     * @param buf the native segment to write from, all of its {@code byteSize()} bytes
     * @param priority {@code aio_reqprio}, {@code 0..20}: how much to lower the request's priority (engines may ignore it)
     * @param notify the block's own notification; {@code null} means {@link SigevNotify#none()}
     * @throws IllegalArgumentException if {@code buf} is a heap segment, or one of a thread-confined arena
     *         (see the package documentation, "Buffers and their lifetime")
     */
    public AioWrite(AioEngine engine, int fd, long offset, MemorySegment buf, int priority, SigevNotify notify) {
        super(engine, OpKind.WRITE, fd, priority, null, notify);
        op.setBuffer(checkBuffer(buf, false));
        op.setOffset(offset);
    }

    /**
     * A write of a copy of {@code data} (in native memory the block owns and frees on close), on
     * the default engine.
     *
     * @param fd the file descriptor ({@code aio_fildes})
     * @param offset the file offset ({@code aio_offset})
     * @param data the bytes to write, copied now: later changes to the array do not matter
     * @param priority {@code aio_reqprio}, {@code 0..20}: how much to lower the request's priority (engines may ignore it)
     * @param notify the block's own notification; {@code null} means {@link SigevNotify#none()}
     * @return a new write, owned by the caller
     */
    public static AioWrite of(int fd, long offset, byte[] data, int priority, SigevNotify notify) {
        return of(defaultEngine(), fd, offset, data, priority, notify);
    }

    /**
     * A write of a copy of {@code data}, on {@code engine}; see {@link #of(int, long, byte[], int, SigevNotify)}.
     *
     * @param engine the engine that runs it
     * @param fd the file descriptor ({@code aio_fildes})
     * @param offset the file offset ({@code aio_offset})
     * @param data the bytes to write, copied now: later changes to the array do not matter
     * @param priority {@code aio_reqprio}, {@code 0..20}: how much to lower the request's priority (engines may ignore it)
     * @param notify the block's own notification; {@code null} means {@link SigevNotify#none()}
     * @return a new write, owned by the caller
     */
    public static AioWrite of(AioEngine engine, int fd, long offset, byte[] data, int priority, SigevNotify notify) {
        Objects.requireNonNull(data, "data");
        Arena arena = Arena.ofShared();
        try {
            MemorySegment copy = arena.allocate(Math.max(1, data.length), 16).asSlice(0, data.length);
            MemorySegment.copy(data, 0, copy, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, data.length);
            AioWrite w = new AioWrite(engine, fd, offset, copy, priority, notify);
            w.op.own(arena);
            return w;
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * The file offset ({@code aio_offset}).
     *
     * @return where the operation starts in the file
     */
    public long offset() {
        return op.offset();
    }

    /**
     * The length ({@code aio_nbytes}): {@code buffer().byteSize()}.
     *
     * @return how many bytes the write asks to write
     */
    public long nbytes() {
        return op.buffer().byteSize();
    }

    /**
     * The buffer written from.
     *
     * @return the segment given at construction or by {@link #setBuffer}, or the block's copy
     */
    public MemorySegment buffer() {
        return op.buffer();
    }

    /**
     * Re-aims an idle block at another offset.
     *
     * @param offset the new file offset
     * @throws IllegalStateException while in progress
     */
    public void setOffset(long offset) {
        setOffsetChecked(offset);
    }

    /**
     * Re-aims an idle block at another buffer.
     *
     * @param buf the new buffer, checked as the constructor checks it
     * @throws IllegalStateException while in progress
     * @throws IllegalArgumentException for a buffer the constructor would refuse
     */
    public void setBuffer(MemorySegment buf) {
        setBufferChecked(buf, false);
    }
}
