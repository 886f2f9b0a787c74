package dev.jaio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.contract.Pipe;
import dev.jaio.testing.EngineUnderTest;
import dev.jaio.testing.OnEngine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The contract on the "io_uring" engine, plus what it promises beyond posix: reads waiting on a
 * pipe are waiting in the kernel, not running on a thread, so every one of them can be canceled.
 */
@OnEngine(EngineUnderTest.IO_URING)
class UringEngineContractTest extends AioEngineContract {
    @Test
    @Tag("Engines")
    void isNamedIoUring() {
        assertEquals("io_uring", engine().name());
    }

    /**
     * Reads waiting on an empty pipe wait in the kernel (armed on the pipe's poll), so a cancel
     * reaches them: each ends with ECANCELED. A read the kernel had handed to an io-wq worker
     * answers EALREADY ({@code AIO_NOTCANCELED}); it is then interrupted or completes when the
     * pipe is fed, and either way it ends.
     */
    @Test
    @Tag("Cancel")
    void readsWaitingOnAPipeAreCanceled() throws Exception {
        Pipe pipe = pipe();
        List<AioRead> reads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            AioRead r = track(new AioRead(engine(), pipe.readFd(), 0, buffer(1), 0, SigevNotify.none()));
            r.submit();
            reads.add(r);
        }
        int canceled = 0;
        for (AioRead r : reads) {
            AioCancelStat stat = r.cancel();
            assertTrue(stat == AioCancelStat.AIO_CANCELED || stat == AioCancelStat.AIO_NOTCANCELED, stat.toString());
            if (stat == AioCancelStat.AIO_CANCELED) {
                canceled++;
                assertEquals(Errno.ECANCELED, r.error(), "a canceled read reports ECANCELED at once");
            }
        }
        assertTrue(canceled > 0, "at least one read waiting on a pipe is canceled");
        pipe.write(new byte[] {1, 2, 3});
        for (AioRead r : reads) {
            assertTrue(Aio.aioSuspend(List.of(r), Duration.ofSeconds(10)));
            if (r.error() == Errno.ECANCELED) {
                assertEquals(Errno.ECANCELED, assertThrows(AioException.class, r::aioReturn).errno());
            } else {
                assertEquals(1, r.aioReturn());
            }
        }
    }
}
