package dev.jaio;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract on the "posix" engine: the C library's own {@code aio_*} and {@code lio_listio}
 * (on Linux, glibc's user-space thread pool). glibc has no {@code aio_readv}/{@code aio_writev},
 * so this engine refuses vectored blocks.
 */
class PosixEngineContractTest extends AioEngineContract {
    private static AioEngine engine;

    @BeforeAll
    static void openEngine() throws Exception {
        engine = AioEngine.open("posix");
    }

    @AfterAll
    static void closeEngine() throws Exception {
        if (engine != null) {
            engine.close();
        }
    }

    @Override
    protected AioEngine engine() {
        return engine;
    }

    @Override
    protected boolean supportsVectored() {
        return false;
    }

    @Test
    void isNamedPosix() {
        assertEquals("posix", engine().name());
    }

    /**
     * glibc has no vectored AIO: submit() and lioListio say so with
     * UnsupportedOperationException naming the engine, and leave the blocks idle. A list holding
     * a vectored block is refused as a whole (an unchecked exception means the call did nothing).
     */
    @Test
    void vectoredBlocksAreUnsupportedAndSaySo() throws Exception {
        try (Arena arena = Arena.ofShared(); AioFile f = AioFile.tempfile()) {
            AioWrite plain = new AioWrite(engine(), f.fd(), 0, arena.allocateFrom(JAVA_BYTE,
                    "plain".getBytes(ISO_8859_1)), 0, SigevNotify.none());
            AioReadv readv = new AioReadv(engine(), f.fd(), 0, List.of(arena.allocate(4), arena.allocate(4)), 0,
                    SigevNotify.none());
            AioWritev writev = new AioWritev(engine(), f.fd(), 0, List.of(arena.allocateFrom(JAVA_BYTE,
                    "ab".getBytes(ISO_8859_1))), 0, SigevNotify.none());
            try (plain; readv; writev) {
                for (Aio op : List.<Aio>of(readv, writev)) {
                    assertNamesPosix(assertThrows(UnsupportedOperationException.class, op::submit));
                    assertFalse(op.inProgress());
                    for (LioMode mode : LioMode.values()) {
                        assertNamesPosix(assertThrows(UnsupportedOperationException.class,
                                () -> Aio.lioListio(mode, List.of(op), SigevNotify.none())));
                        assertNamesPosix(assertThrows(UnsupportedOperationException.class,
                                () -> Aio.lioListio(mode, List.of(plain, op), SigevNotify.none())));
                    }
                    assertFalse(op.inProgress());
                }
                Thread.sleep(20);
                assertFalse(plain.inProgress(), "a refused list submits nothing");
                assertEquals(0, f.size());
            }
        }
    }

    private static void assertNamesPosix(UnsupportedOperationException e) {
        assertTrue(String.valueOf(e.getMessage()).contains("posix"), () -> "should name the engine: " + e);
    }
}
