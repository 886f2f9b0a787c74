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

    /** A vectored write on the default engine. */
    public AioWritev(int fd, long offset, List<MemorySegment> bufs, int priority, SigevNotify notify) {
        this(defaultEngine(), fd, offset, bufs, priority, notify);
    }

    /**
     * A vectored write on {@code engine}.
     *
     * @throws IllegalArgumentException for an empty list, a heap segment, or one of a thread-confined arena
     */
    public AioWritev(AioEngine engine, int fd, long offset, List<MemorySegment> bufs, int priority,
                    SigevNotify notify) {
        super(engine, OpKind.WRITEV, fd, priority, null, notify);
        op.setBuffers(checkBuffers(bufs, false));
        op.setOffset(offset);
    }

    /** The number of buffers ({@code iovcnt}). */
    public int iovlen() {
        return op.buffers().length;
    }

    /** The file offset. */
    public long offset() {
        return op.offset();
    }

    /** The buffers, in order. */
    public List<MemorySegment> buffers() {
        return List.of(op.buffers());
    }

    /** Re-aims an idle block at another offset. @throws IllegalStateException while in progress */
    public void setOffset(long offset) {
        setOffsetChecked(offset);
    }
}
