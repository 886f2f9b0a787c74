package dev.jaio.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.AioEngine;
import dev.jaio.AioFileChannel;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The {@link AsynchronousFileChannelContract} on {@link AioFileChannel} over one engine (a
 * subclass per engine opens it), plus what the JDK's Javadoc leaves open and jaio decides.
 */
abstract class AioFileChannelContract extends AsynchronousFileChannelContract {

    /** The engine under test, opened by the subclass for the class. */
    protected abstract AioEngine engine();

    @Override
    protected AsynchronousFileChannel openChannel(Path file, OpenOption... options) throws IOException {
        return AioFileChannel.open(engine(), file, options);
    }

    @Override
    protected AsynchronousFileChannel openChannel(Path file, Set<? extends OpenOption> options,
                                                  ExecutorService executor) throws IOException {
        // The engine-taking open has no executor parameter: go through the JDK-shaped one on the
        // default engine only when an executor is asked for.
        return AioFileChannel.open(file, options, executor);
    }

    /**
     * A buffer of a confined arena is refused by the call with an IllegalArgumentException that
     * names the arenas to use instead, and the channel goes on working.
     */
    @Test
    void buffersOfConfinedArenasAreRefusedNamingTheFix() throws Exception {
        Path p = fileWith(pattern(4096, 14));
        AioFileChannel ch = (AioFileChannel) open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try (Arena arena = Arena.ofConfined()) {
            ByteBuffer buf = arena.allocate(4096).asByteBuffer();
            for (IllegalArgumentException e : new IllegalArgumentException[] {
                    assertThrows(IllegalArgumentException.class, () -> ch.read(buf, 0)),
                    assertThrows(IllegalArgumentException.class, () -> ch.write(buf, 0)),
                    assertThrows(IllegalArgumentException.class, () -> ch.read(arena.allocate(10), 0))}) {
                assertTrue(e.getMessage().contains("Arena.ofShared()") && e.getMessage().contains("Arena.ofAuto()"),
                        e.getMessage());
            }
        }
        assertEquals(10, ch.read(ByteBuffer.allocate(10), 0).get(30, TimeUnit.SECONDS));
    }

    @Test
    void opensOnTheEngineItWasGiven() throws Exception {
        AioFileChannel ch = (AioFileChannel) open(fileWith(new byte[1]), StandardOpenOption.READ);
        assertSame(engine(), ch.engine());
    }
}
