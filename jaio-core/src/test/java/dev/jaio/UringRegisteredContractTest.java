package dev.jaio;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole engine contract on io_uring with registered files and registered buffers on: every
 * {@link AioFile} the contract opens gets a slot in the file table of the ring that uses it, and
 * every buffer the contract asks for (up to {@value #BUFFERS} per test, of at most
 * {@value #BUFFER_SIZE} bytes) is a slice of one of the engine's registered buffers, so its reads
 * and writes go as {@code READ_FIXED}/{@code WRITE_FIXED}. The SQEs themselves are checked in
 * {@code dev.jaio.internal.uring.UringRegisteredResourcesTest}.
 */
class UringRegisteredContractTest extends AioEngineContract {
    private static final int BUFFERS = 256;
    private static final int BUFFER_SIZE = 16384;
    private static AioEngine engine;
    private static int fixedHandedOut;

    /** The next registered buffer this test may take; JUnit makes a new instance per test. */
    private int next;

    @BeforeAll
    static void openEngine() {
        engine = AioEngine.open("io_uring", AioEngineOptions.defaults()
                .withRegisteredFiles(64)
                .withFixedBuffers(BUFFERS, BUFFER_SIZE));
    }

    @AfterAll
    static void closeEngine() {
        if (engine != null) {
            engine.close();
        }
        assertTrue(fixedHandedOut > 100, "only " + fixedHandedOut + " registered buffers were used");
    }

    @Override
    protected AioEngine engine() {
        return engine;
    }

    @Override
    protected boolean supportsVectored() {
        return true;
    }

    /** A registered buffer while this test has unused ones and the size fits, else the contract's own. */
    @Override
    MemorySegment buffer(long size) {
        List<MemorySegment> fixed = engine.fixedBuffers();
        if (size > BUFFER_SIZE || next == fixed.size()) {
            return super.buffer(size);
        }
        synchronized (UringRegisteredContractTest.class) {
            fixedHandedOut++;
        }
        return fixed.get(next++).asSlice(0, size).fill((byte) '.');
    }

    @Test
    void handsOutRegisteredBuffers() {
        MemorySegment b = buffer(100);
        assertTrue(engine.fixedBuffers().stream().anyMatch(f -> f.address() == b.address()));
    }
}
