package dev.jaio;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.testing.EngineUnderTest;
import dev.jaio.testing.OnEngine;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The whole engine contract on io_uring with registered files and registered buffers on: every
 * {@link AioFile} the contract opens gets a slot in the file table of the ring that uses it, and
 * every buffer the contract asks for (while the test has registered buffers left, of at most
 * {@value #BUFFER_SIZE} bytes) is a slice of one of the engine's registered buffers, so its reads
 * and writes go as {@code READ_FIXED}/{@code WRITE_FIXED}. The SQEs themselves are checked in
 * {@code dev.jaio.internal.uring.UringRegisteredResourcesTest}.
 */
@OnEngine(EngineUnderTest.IO_URING_REGISTERED)
class UringRegisteredContractTest extends AioEngineContract {
    /** The size of each registered buffer of {@link EngineUnderTest#IO_URING_REGISTERED}. */
    private static final int BUFFER_SIZE = 16384;
    private static final AtomicInteger FIXED_HANDED_OUT = new AtomicInteger();

    /** The next registered buffer this test may take; JUnit makes a new instance per test. */
    private int next;

    @AfterAll
    static void registeredBuffersWereUsed() {
        assertTrue(FIXED_HANDED_OUT.get() > 100, "only " + FIXED_HANDED_OUT + " registered buffers were used");
    }

    /** A registered buffer while this test has unused ones and the size fits, else the contract's own. */
    @Override
    MemorySegment buffer(long size) {
        List<MemorySegment> fixed = engine().fixedBuffers();
        if (size > BUFFER_SIZE || next == fixed.size()) {
            return super.buffer(size);
        }
        FIXED_HANDED_OUT.incrementAndGet();
        return fixed.get(next++).asSlice(0, size).fill((byte) '.');
    }

    @Test
    @Tag("Engines")
    void handsOutRegisteredBuffers() {
        MemorySegment b = buffer(100);
        assertTrue(engine().fixedBuffers().stream().anyMatch(f -> f.address() == b.address()));
    }
}
