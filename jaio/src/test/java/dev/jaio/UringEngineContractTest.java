package dev.jaio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.contract.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract on the "io_uring" engine, plus what it promises beyond posix: reads waiting on a
 * pipe are waiting in the kernel, not running on a thread, so every one of them can be canceled.
 */
class UringEngineContractTest extends AioEngineContract {
    private static AioEngine engine;

    @BeforeAll
    static void openEngine() {
        engine = AioEngine.open("io_uring");
    }

    @AfterAll
    static void closeEngine() {
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
        return true;
    }

    @Test
    void isNamedIoUring() {
        assertEquals("io_uring", engine().name());
    }

    @Test
    void everyReadWaitingOnAPipeIsCanceled() throws Exception {
        Pipe pipe = pipe();
        List<AioRead> reads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            AioRead r = track(new AioRead(engine(), pipe.readFd(), 0, buffer(1), 0, SigevNotify.none()));
            r.submit();
            reads.add(r);
        }
        for (AioRead r : reads) {
            assertEquals(AioCancelStat.AIO_CANCELED, r.cancel());
        }
        for (AioRead r : reads) {
            assertTrue(Aio.aioSuspend(List.of(r), Duration.ofSeconds(10)));
            assertEquals(Errno.ECANCELED, r.error());
            AioException e = assertThrows(AioException.class, r::aioReturn);
            assertEquals(Errno.ECANCELED, e.errno());
        }
    }
}
