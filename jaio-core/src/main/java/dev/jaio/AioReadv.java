package dev.jaio;

import dev.jaio.internal.OpKind;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * {@code aio_readv} (FreeBSD's name; {@code preadv} semantics): reads at {@code offset} into
 * several buffers in order. Engines without vectored I/O (posix on glibc) throw
 * {@link UnsupportedOperationException} at submit.
 */
public final class AioReadv extends ControlBlock implements Aio {

    /** A vectored read on the default engine. */
    public AioReadv(int fd, long offset, List<MemorySegment> bufs, int priority, SigevNotify notify) {
        this(defaultEngine(), fd, offset, bufs, priority, notify);
    }

    /**
     * A vectored read on {@code engine}.
     *
     * @throws IllegalArgumentException for an empty list, a heap or a read-only segment, or one of a
     *         thread-confined arena
     */
    public AioReadv(AioEngine engine, int fd, long offset, List<MemorySegment> bufs, int priority,
                    SigevNotify notify) {
        super(engine, OpKind.READV, fd, priority, null, notify);
        op.setBuffers(checkBuffers(bufs, true));
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
