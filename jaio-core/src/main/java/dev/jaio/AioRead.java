package dev.jaio;

import dev.jaio.internal.OpKind;
import java.lang.foreign.MemorySegment;

/**
 * {@code aio_read}: reads {@code buf.byteSize()} bytes of {@code fd} at {@code offset} into
 * {@code buf}, a writable native segment. {@link #aioReturn()} gives how many bytes were read
 * (fewer at end of file).
 *
 * {@snippet :
 * MemorySegment buf = Arena.ofAuto().allocate(4);
 * AioRead r = new AioRead(f.fd(), 2, buf, 0, SigevNotify.none());
 * r.submit();
 * while (r.error() == Errno.EINPROGRESS) Thread.sleep(1);
 * long n = r.aioReturn();          // 4: buf holds bytes 2..5 of the file
 * r.setOffset(6);                  // re-aim and submit again, no allocation
 * r.submit();
 * }
 *
 * @see <a href="https://pubs.opengroup.org/onlinepubs/9799919799/functions/aio_read.html">aio_read</a>
 */
public final class AioRead extends ControlBlock implements Aio {

    /** A read on the {@linkplain AioEngine#defaultEngine() default engine}. */
    public AioRead(int fd, long offset, MemorySegment buf, int priority, SigevNotify notify) {
        this(defaultEngine(), fd, offset, buf, priority, notify);
    }

    /**
     * A read on {@code engine}.
     *
     * @throws IllegalArgumentException if {@code buf} is a heap or read-only segment, or one of a
     *         thread-confined arena (see the package documentation, "Buffers and their lifetime")
     */
    public AioRead(AioEngine engine, int fd, long offset, MemorySegment buf, int priority, SigevNotify notify) {
        super(engine, OpKind.READ, fd, priority, null, notify);
        op.setBuffer(checkBuffer(buf, true));
        op.setOffset(offset);
    }

    /** The file offset ({@code aio_offset}). */
    public long offset() {
        return op.offset();
    }

    /** The requested length ({@code aio_nbytes}): {@code buffer().byteSize()}. */
    public long nbytes() {
        return op.buffer().byteSize();
    }

    /** The buffer read into. */
    public MemorySegment buffer() {
        return op.buffer();
    }

    /** Re-aims an idle block at another offset. @throws IllegalStateException while in progress */
    public void setOffset(long offset) {
        setOffsetChecked(offset);
    }

    /** Re-aims an idle block at another buffer. @throws IllegalStateException while in progress */
    public void setBuffer(MemorySegment buf) {
        setBufferChecked(buf, true);
    }
}
