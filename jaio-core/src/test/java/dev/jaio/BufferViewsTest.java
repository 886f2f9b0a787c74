package dev.jaio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** What {@link BufferViews} promises: the right bytes, one view per buffer, and no buffer kept. */
class BufferViewsTest {
    private final BufferViews views = new BufferViews();

    @Test
    void aBufferUsedAgainGetsTheSameViewAndARangeASliceOfIt() {
        ByteBuffer buf = ByteBuffer.allocateDirect(4096);
        MemorySegment first = views.of(buf);
        assertSame(first, views.of(buf), "a whole buffer used again must cost no new view");
        assertEquals(4096, first.byteSize());
        buf.position(100).limit(300);
        MemorySegment range = views.of(buf);
        assertEquals(200, range.byteSize());
        assertEquals(first.address() + 100, range.address());
        assertEquals(MemorySegment.ofBuffer(buf).address(), range.address());
    }

    @Test
    void buffersWhoseHashesCollideKeepTheirOwnViews() {
        ByteBuffer[] bufs = new ByteBuffer[600]; // more than the table: pairs of slots collide
        for (int i = 0; i < bufs.length; i++) {
            bufs[i] = ByteBuffer.allocateDirect(64);
            views.of(bufs[i]);
        }
        for (int i = 0; i < bufs.length; i++) {
            MemorySegment view = views.of(bufs[i]);
            assertEquals(MemorySegment.ofBuffer(bufs[i]).address(), view.address(), "buffer " + i);
            assertEquals(64, view.byteSize(), "buffer " + i);
        }
    }

    /** A buffer the program dropped is not kept alive by the table (its memory can be freed). */
    @Test
    void aDroppedBufferIsNotKept() throws InterruptedException {
        WeakReference<ByteBuffer> dropped = useOnce();
        for (int i = 0; i < 50 && dropped.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(dropped.get(), "the table kept a buffer the program dropped");
    }

    private WeakReference<ByteBuffer> useOnce() {
        ByteBuffer buf = Arena.ofAuto().allocate(4096).asByteBuffer();
        views.of(buf);
        return new WeakReference<>(buf);
    }

    @Test
    void aBufferOfAConfinedArenaIsRefusedEveryTime() {
        try (Arena confined = Arena.ofConfined()) {
            ByteBuffer buf = confined.allocate(4096).asByteBuffer();
            assertThrows(IllegalArgumentException.class, () -> views.of(buf));
            assertThrows(IllegalArgumentException.class, () -> views.of(buf), "a refusal must not be remembered as a view");
        }
    }
}
