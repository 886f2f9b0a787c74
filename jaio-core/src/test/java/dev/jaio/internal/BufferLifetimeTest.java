package dev.jaio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.jaio.Aio;
import dev.jaio.AioEngine;
import dev.jaio.AioFile;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Holds {@link BufferLifetime}'s classification against every kind of segment of the running
 * JDK (it reads the class of a segment's scope, which the JDK may rename: then this fails, and
 * an unknown scope is staged, the safe side), and shows which buffers reach the kernel as they
 * are and which go through the block's own memory.
 */
class BufferLifetimeTest {

    @Test
    void everyKindOfSegmentIsClassified() {
        assertEquals(BufferLifetime.REACHABILITY, BufferLifetime.of(Arena.global().allocate(8)));
        assertEquals(BufferLifetime.REACHABILITY, BufferLifetime.of(Arena.ofAuto().allocate(8)));
        assertEquals(BufferLifetime.REACHABILITY, BufferLifetime.of(MemorySegment.ofBuffer(ByteBuffer.allocateDirect(8))));
        try (Arena shared = Arena.ofShared(); Arena confined = Arena.ofConfined()) {
            assertEquals(BufferLifetime.CLOSEABLE, BufferLifetime.of(shared.allocate(8)));
            assertEquals(BufferLifetime.CLOSEABLE, BufferLifetime.of(shared.allocate(8).asSlice(2)));
            assertEquals(BufferLifetime.CLOSEABLE, BufferLifetime.of(MemorySegment.ofBuffer(shared.allocate(8).asByteBuffer())));
            assertEquals(BufferLifetime.CONFINED, BufferLifetime.of(confined.allocate(8)));
        }
    }

    @Test
    void onlyBuffersOfCloseableArenasAreStaged() throws Exception {
        try (AioEngine engine = AioEngine.open("threads"); AioFile f = AioFile.tempfile(); Arena shared = Arena.ofShared()) {
            MemorySegment auto = Arena.ofAuto().allocate(4096, 4096);
            MemorySegment global = Arena.global().allocate(512);
            MemorySegment closeable = shared.allocate(100);
            try (AioWrite owned = AioWrite.of(engine, f.fd(), 0, new byte[4096], 0, SigevNotify.none());
                    AioRead a = new AioRead(engine, f.fd(), 0, auto, 0, SigevNotify.none());
                    AioRead g = new AioRead(engine, f.fd(), 0, global, 0, SigevNotify.none());
                    AioRead s = new AioRead(engine, f.fd(), 0, closeable, 0, SigevNotify.none())) {
                Aio.lioListio(LioMode.LIO_WAIT, List.of(owned), SigevNotify.none());
                Aio.lioListio(LioMode.LIO_WAIT, List.of(a, g, s), SigevNotify.none());
                assertSame(owned.buffer(), OperationAccess.of(owned).ioBuffer(), "a block's own copy goes as it is");
                assertSame(auto, OperationAccess.of(a).ioBuffer(), "Arena.ofAuto() goes as it is");
                assertSame(global, OperationAccess.of(g).ioBuffer(), "Arena.global() goes as it is");
                MemorySegment staged = OperationAccess.of(s).ioBuffer();
                assertNotSame(closeable, staged, "Arena.ofShared() goes through the block's memory");
                assertEquals(100, staged.byteSize());
                assertEquals(0, staged.address() % 4096, "staged memory is page-aligned, for O_DIRECT");
                for (Aio block : List.<Aio>of(owned, a, g, s)) {
                    block.aioReturn();
                }
                s.submit();
                Aio.aioSuspend(List.of(s), null);
                s.aioReturn();
                assertSame(staged, OperationAccess.of(s).ioBuffer(), "a resubmitted block reuses its staged memory");
            }
        }
    }
}
