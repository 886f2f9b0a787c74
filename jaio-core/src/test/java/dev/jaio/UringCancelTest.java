package dev.jaio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.contract.Pipe;
import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * io_uring cancels in the kernel, and the kernel posts the canceled request's CQE separately from
 * the cancel's own, sometimes after it (a read armed on a pipe's poll is completed by task work).
 * POSIX wants {@code aio_error()} to say ECANCELED as soon as {@code aio_cancel()} said
 * {@code AIO_CANCELED}: the engine must not answer before it has reaped the canceled request.
 */
class UringCancelTest {

    @Test
    void aCanceledPipeReadReportsEcanceledTheMomentCancelReturns() throws Exception {
        try (AioEngine engine = AioEngine.open("io_uring"); Arena arena = Arena.ofShared()) {
            int canceled = 0;
            for (int i = 0; i < 500; i++) {
                try (Pipe pipe = Pipe.open()) {
                    AioRead read = new AioRead(engine, pipe.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
                    read.submit();
                    AioCancelStat stat = read.cancel();
                    if (stat == AioCancelStat.AIO_CANCELED) {
                        canceled++;
                        assertEquals(Errno.ECANCELED, read.error(), "round " + i + ": AIO_CANCELED, then error()");
                    } else {
                        pipe.write(new byte[] {7});
                        assertTrue(Aio.aioSuspend(List.of(read), Duration.ofSeconds(10)));
                    }
                    read.close();
                }
            }
            assertTrue(canceled > 400, "most reads on an empty pipe are canceled: " + canceled);
        }
    }

    /**
     * The same for a read that the engine's reaper thread submitted (the second read of a pipe,
     * released from its call-order lane when the reaper reaped the first): the kernel completes
     * the canceled request by task work of the thread that submitted it, the reaper, after the
     * cancel's own CQE. This one did answer EINPROGRESS after AIO_CANCELED.
     */
    @Test
    void aCanceledReadTheReaperSubmittedReportsEcanceledTheMomentCancelReturns() throws Exception {
        try (AioEngine engine = AioEngine.open("io_uring"); Arena arena = Arena.ofShared()) {
            int canceled = 0;
            for (int i = 0; i < 200; i++) {
                try (Pipe pipe = Pipe.open()) {
                    AioRead first = new AioRead(engine, pipe.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
                    AioRead second = new AioRead(engine, pipe.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
                    first.submit();
                    second.submit();
                    pipe.write(new byte[] {1});
                    Thread.sleep(2); // nobody calls the engine: the reaper reaps the first, submits the second
                    AioCancelStat stat = second.cancel();
                    if (stat == AioCancelStat.AIO_CANCELED) {
                        canceled++;
                        assertEquals(Errno.ECANCELED, second.error(), "round " + i + ": AIO_CANCELED, then error()");
                    } else {
                        pipe.write(new byte[] {2});
                        assertTrue(Aio.aioSuspend(List.of(second), Duration.ofSeconds(10)));
                    }
                    assertTrue(Aio.aioSuspend(List.of(first), Duration.ofSeconds(10)));
                    first.close();
                    second.close();
                }
            }
            assertTrue(canceled > 100, "most second reads are canceled: " + canceled);
        }
    }
}
