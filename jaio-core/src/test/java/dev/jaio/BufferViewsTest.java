package dev.jaio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /**
     * A thousand buffers in use at once (one per virtual thread) are all remembered: each used
     * again gets the view it got the first time (the table grows instead of evicting).
     */
    @Test
    void aThousandBuffersInUseAreAllRemembered() {
        ByteBuffer[] bufs = new ByteBuffer[1000];
        MemorySegment[] first = new MemorySegment[bufs.length];
        for (int i = 0; i < bufs.length; i++) {
            bufs[i] = ByteBuffer.allocateDirect(64);
            first[i] = views.of(bufs[i]);
        }
        int fresh = 0;
        for (int i = 0; i < bufs.length; i++) {
            if (views.of(bufs[i]) != first[i]) {
                fresh++;
            }
        }
        // Three buffers whose hashes fall on one pair of slots still evict one another once the
        // table is at its largest: about ten of a thousand. A table that did not grow misses most.
        assertTrue(fresh <= 50, fresh + " of " + bufs.length + " buffers used again got a new view");
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
