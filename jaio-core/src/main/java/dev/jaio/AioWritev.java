package dev.jaio;

import dev.jaio.internal.OpKind;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * {@code aio_writev} (FreeBSD's name; {@code pwritev} semantics): writes at {@code offset} from
 * several buffers in order. Engines without vectored I/O (posix on glibc) throw
 * {@link UnsupportedOperationException} at submit.
 */
public final class AioWritev extends ControlBlock implements Aio {

    /**
     * A vectored write on the {@linkplain AioEngine#defaultEngine() default engine}.
     *
     * @param fd the file descriptor ({@code aio_fildes})
     * @param offset the file offset ({@code aio_offset})
     * @param bufs the native segments to write, in order (at least one)
     * @param priority {@code aio_reqprio}, {@code 0..20}: how much to lower the request's priority (engines may ignore it)
     * @param notify the block's own notification; {@code null} means {@link SigevNotify#none()}
     */
    public AioWritev(int fd, long offset, List<MemorySegment> bufs, int priority, SigevNotify notify) {
        this(defaultEngine(), fd, offset, bufs, priority, notify);
    }

    /**
     * A vectored write on {@code engine}.
     *
     * @param engine the engine that runs it
     * @param fd the file descriptor ({@code aio_fildes})
     * @param offset the file offset ({@code aio_offset})
     * @param bufs the native segments to write, in order (at least one)
     * @param priority {@code aio_reqprio}, {@code 0..20}: how much to lower the request's priority (engines may ignore it)
     * @param notify the block's own notification; {@code null} means {@link SigevNotify#none()}
     * @throws IllegalArgumentException for an empty list, a heap segment, or one of a thread-confined arena
     */
    public AioWritev(AioEngine engine, int fd, long offset, List<MemorySegment> bufs, int priority,
                    SigevNotify notify) {
        super(engine, OpKind.WRITEV, fd, priority, null, notify);
        op.setBuffers(checkBuffers(bufs, false));
        op.setOffset(offset);
    }

    /**
     * The number of buffers ({@code iovcnt}).
     *
     * @return how many segments the operation covers
     */
    public int iovlen() {
        return op.buffers().length;
    }

    /**
     * The file offset.
     *
     * @return where the operation starts in the file
     */
    public long offset() {
        return op.offset();
    }

    /**
     * The buffers, in order.
     *
     * @return an unmodifiable list of the segments
     */
    public List<MemorySegment> buffers() {
        return List.of(op.buffers());
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
}
