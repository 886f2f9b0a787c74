package dev.jaio;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.contract.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract on the "threads" engine, plus what only it promises: operations on one
 * descriptor run in parallel, so a later read completes while an earlier one still waits.
 */
class ThreadsEngineContractTest extends AioEngineContract {
    private static AioEngine engine;

    @BeforeAll
    static void openEngine() {
        engine = AioEngine.open("threads", AioEngineOptions.defaults().withThreads(8));
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

    /** Reads of one descriptor run side by side, one per worker (the engine above has 8). */
    @Override
    protected int parallelOperationsPerDescriptor() {
        return 8;
    }

    @Test
    void isNamedThreads() {
        assertEquals("threads", engine().name());
    }

    /**
     * Three reads of one empty pipe are all running at once, each in its own worker: none can be
     * canceled ({@code AIO_NOTCANCELED}), because none is waiting in the queue. On glibc's posix
     * engine the second and third would be queued behind the first on the descriptor's one thread
     * and would be canceled. Feeding the pipe then completes all three.
     */
    @Test
    void operationsOnOneDescriptorRunInParallel() throws Exception {
        Pipe pipe = pipe();
        List<AioRead> reads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            AioRead r = track(new AioRead(engine(), pipe.readFd(), 0, buffer(1), 0, SigevNotify.none()));
            r.submit();
            reads.add(r);
        }
        Thread.sleep(200);
        for (AioRead r : reads) {
            assertEquals(AioCancelStat.AIO_NOTCANCELED, r.cancel(), "every read runs in its own worker");
            assertEquals(Errno.EINPROGRESS, r.error());
        }
        pipe.write("xyz".getBytes(ISO_8859_1));
        StringBuilder got = new StringBuilder();
        for (AioRead r : reads) {
            assertTrue(Aio.aioSuspend(List.of(r), Duration.ofSeconds(10)));
            assertEquals(1, r.aioReturn());
            got.append((char) r.buffer().get(JAVA_BYTE, 0));
        }
        assertEquals("xyz", got.chars().sorted().collect(StringBuilder::new, StringBuilder::appendCodePoint,
                StringBuilder::append).toString());
    }
}
