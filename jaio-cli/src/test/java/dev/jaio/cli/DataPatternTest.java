package dev.jaio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The data pattern: words name their offset, seed and generation; the check finds the first wrong word. */
class DataPatternTest {
    private final DataPattern p = new DataPattern(1);

    @Test
    void whatIsFilledPassesTheCheckAndNothingElseDoes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(3 * 4096 + 512);
            long offset = 5 * 4096 - 512; // straddles pages
            p.fill(buf, offset, buf.byteSize(), 3);
            assertEquals(-1, p.firstMismatch(buf, offset, buf.byteSize(), 3, 3));
            assertEquals(-1, p.firstMismatch(buf, offset, buf.byteSize(), 0, 3));
            assertEquals(offset, p.firstMismatch(buf, offset, buf.byteSize(), 0, 0), "another generation");
            assertEquals(offset + 4096, p.firstMismatch(buf, offset + 4096, buf.byteSize(), 3, 3), "another offset");
            assertEquals(offset, new DataPattern(2).firstMismatch(buf, offset, buf.byteSize(), 3, 3), "another seed");
            buf.set(ValueLayout.JAVA_BYTE, 777, (byte) (buf.get(ValueLayout.JAVA_BYTE, 777) ^ 0x40));
            assertEquals(offset + 776, p.firstMismatch(buf, offset, buf.byteSize(), 3, 3));
            assertTrue(p.describeMismatch(buf, 776, offset + 776, 3, 3).startsWith("found 0x"));
        }
    }

    @Test
    void generationsAreRecoverableAndWordsDiffer() {
        assertEquals(7, p.generationOf(p.word(4096 * 9 + 8, 7), 4096 * 9 + 8));
        assertEquals(-1, p.generationOf(p.word(4096 * 9 + 8, 7), 4096 * 9 + 16));
        assertEquals(-1, p.generationOf(0, 0));
        assertNotEquals(p.word(0, 0), p.word(4096, 0));
        assertNotEquals(p.word(0, 0), new DataPattern(0).word(0, 0));
    }

    @Test
    void aWordOfANearbyOffsetIsNamed() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096);
            p.fill(buf, 8192, 4096, 0);
            assertTrue(p.describeMismatch(buf, 0, 12288, 0, 0).contains("it is the word of offset 8192"),
                    p.describeMismatch(buf, 0, 12288, 0, 0));
        }
    }
}
