package dev.jaio;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.contract.Pipe;
import dev.jaio.testing.EngineUnderTest;
import dev.jaio.testing.OnEngine;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The contract on the "threads" engine, plus what only it promises: operations of different
 * descriptors run side by side, one per worker, while those of one pipe keep call order.
 */
@OnEngine(EngineUnderTest.THREADS)
class ThreadsEngineContractTest extends AioEngineContract {
    @Test
    @Tag("Engines")
    void isNamedThreads() {
        assertEquals("threads", engine().name());
    }

    /**
     * Two reads of one empty pipe and one read of another: the read of the second pipe completes
     * as soon as that pipe is fed, though the first read of the first pipe still blocks a worker
     * (different descriptors do not wait for each other). The second read of the first pipe
     * waits behind the first, in its descriptor's lane, so it is still queued and is canceled,
     * as glibc cancels a request queued behind a running one. Feeding the first pipe then
     * completes its first read, unless that one had not reached a worker yet and was canceled too.
     */
    @Test
    @Tag("CallOrder")
    void readsOfOnePipeWaitInCallOrderWhileOtherDescriptorsGoOn() throws Exception {
        Pipe first = pipe();
        Pipe second = pipe();
        AioRead blocked = track(new AioRead(engine(), first.readFd(), 0, buffer(1), 0, SigevNotify.none()));
        AioRead behind = track(new AioRead(engine(), first.readFd(), 0, buffer(1), 0, SigevNotify.none()));
        AioRead other = track(new AioRead(engine(), second.readFd(), 0, buffer(1), 0, SigevNotify.none()));
        blocked.submit();
        behind.submit();
        other.submit();
        second.write("o".getBytes(ISO_8859_1));
        assertTrue(Aio.aioSuspend(List.of(other), PATIENCE), "the other pipe's read waited for the first pipe");
        assertEquals(1, other.aioReturn());
        assertEquals("o", str(other.buffer()));

        assertEquals(AioCancelStat.AIO_CANCELED, behind.cancel(), "a read waiting behind another of its pipe");
        assertAioException(Errno.ECANCELED, behind::aioReturn);
        AioCancelStat stat = blocked.cancel();
        first.write("x".getBytes(ISO_8859_1));
        assertTrue(Aio.aioSuspend(List.of(blocked), PATIENCE));
        if (stat == AioCancelStat.AIO_CANCELED) {
            assertAioException(Errno.ECANCELED, blocked::aioReturn);
        } else {
            assertEquals(AioCancelStat.AIO_NOTCANCELED, stat);
            assertEquals(1, blocked.aioReturn());
            assertEquals("x", str(blocked.buffer()));
        }
        assertEquals(".", str(behind.buffer()), "the canceled read read nothing");
    }

    /**
     * A read canceled while it waited in its pipe's lane, returned and submitted again, takes its
     * new place at the end of the lane: its old place, still in the lane, must not start the new
     * submission ahead of a read submitted in between.
     */
    @Test
    @Tag("Cancel")
    void aReadCanceledInItsLaneAndSubmittedAgainGoesToTheEnd() throws Exception {
        Pipe p = pipe();
        AioRead first = newRead(p.readFd(), 0, 1);
        AioRead again = newRead(p.readFd(), 0, 1);
        AioRead between = newRead(p.readFd(), 0, 1);
        first.submit();
        again.submit();
        assertEquals(AioCancelStat.AIO_CANCELED, again.cancel());
        assertAioException(Errno.ECANCELED, again::aioReturn);
        between.submit();
        again.submit();
        p.write("abc".getBytes(ISO_8859_1));
        suspendUntilAllDone(List.of(first, between, again));
        StringBuilder got = new StringBuilder();
        for (AioRead r : List.of(first, between, again)) {
            assertEquals(1, r.aioReturn());
            got.append(str(r.buffer()));
        }
        assertEquals("abc", got.toString(), "call order of the submissions");
    }
}
