package dev.jaio;

import dev.jaio.internal.OpKind;
import java.lang.foreign.MemorySegment;

/**
 * {@code aio_read}: reads {@code buf.byteSize()} bytes of {@code fd} at {@code offset} into
 * {@code buf}, a writable native segment. {@link #aioReturn()} gives how many bytes were read
 * (fewer at end of file).
 *
 * {@snippet class=dev.jaio.examples.ProtocolExample region=poll-and-reuse}
 *
 * @see <a href="https://pubs.opengroup.org/onlinepubs/9799919799/functions/aio_read.html">aio_read</a>
 */
public final class AioRead extends ControlBlock implements Aio {

    /**
     * A read on the {@linkplain AioEngine#defaultEngine() default engine}.
     *
     * @param fd the file descriptor ({@code aio_fildes})
     * @param offset the file offset ({@code aio_offset})
     * @param buf the native segment to read into, {@code buf.byteSize()} bytes
     * @param priority {@code aio_reqprio}, {@code 0..20}: how much to lower the request's priority (engines may ignore it)
     * @param notify the block's own notification; {@code null} means {@link SigevNotify#none()}
     * @throws IllegalArgumentException as for {@link #AioRead(AioEngine, int, long, MemorySegment, int, SigevNotify)}
     */
    public AioRead(int fd, long offset, MemorySegment buf, int priority, SigevNotify notify) {
        this(defaultEngine(), fd, offset, buf, priority, notify);
    }

    /**
     * A read on {@code engine}.
     *
     * @param engine the engine that runs it
     * @param fd the file descriptor ({@code aio_fildes})
     * @param offset the file offset ({@code aio_offset})
     * @param buf the native segment to read into, {@code buf.byteSize()} bytes
     * @param priority {@code aio_reqprio}, {@code 0..20}: how much to lower the request's priority (engines may ignore it)
     * @param notify the block's own notification; {@code null} means {@link SigevNotify#none()}
     * @throws IllegalArgumentException if {@code buf} is a heap or read-only segment, or one of a
     *         thread-confined arena (see the package documentation, "Buffers and their lifetime")
     */
    public AioRead(AioEngine engine, int fd, long offset, MemorySegment buf, int priority, SigevNotify notify) {
        super(engine, OpKind.READ, fd, priority, null, notify);
        op.setBuffer(checkBuffer(buf, true));
        op.setOffset(offset);
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
     * The requested length ({@code aio_nbytes}): {@code buffer().byteSize()}.
     *
     * @return how many bytes the read asks for
     */
    public long nbytes() {
        return op.buffer().byteSize();
    }

    /**
     * The buffer read into.
     *
     * @return the segment given at construction or by {@link #setBuffer}
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
        setBufferChecked(buf, true);
    }
}
