package dev.jaio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.examples.ChannelExample;
import dev.jaio.examples.EngineExample;
import dev.jaio.examples.PackageOverviewExample;
import dev.jaio.examples.ProtocolExample;
import dev.jaio.examples.SignalExample;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every code example of the public Javadoc. The Javadoc shows regions of the classes in
 * {@code dev.jaio.examples} ({@code {@snippet class=... region=...}}, the javadoc tool reading
 * them from {@code src/test/java}), so an example that no longer compiles breaks the test build
 * and one that no longer does what its comments say fails here, as nix's doctests do.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class JavadocExamplesTest {

    /** package-info.java: the example checks what it wrote and read itself, and throws if not. */
    @Test
    void packageOverview() throws Exception {
        PackageOverviewExample.run();
    }

    /** Aio: "5 5 hello". */
    @Test
    void protocol() throws Exception {
        assertEquals("5 5 hello", ProtocolExample.protocol());
    }

    /** AioRead and Errno: bytes 2..5, then 6..9 of "0123456789" through one block. */
    @Test
    void pollAndReuse() throws Exception {
        assertEquals("4 2345 4 6789", ProtocolExample.pollAndReuse());
    }

    /** AioWrite: four bytes. */
    @Test
    void writeCopy() throws Exception {
        assertEquals(4, ProtocolExample.writeCopy());
    }

    /**
     * AioException: a failure other than EAGAIN is thrown with the block that was not queued;
     * the good block of the list was queued and completes.
     */
    @Test
    void notQueuedIsThrownUnlessEagain() throws Exception {
        try (AioFile f = AioFile.tempfile();
                AioWrite good = AioWrite.of(f.fd(), 0, "ok".getBytes(), 0, SigevNotify.none());
                AioWrite bad = AioWrite.of(f.fd(), 2, "no".getBytes(), 21, SigevNotify.none())) {
            AioException e = assertThrows(AioException.class, () -> ProtocolExample.resubmitNotQueued(List.of(good, bad)));
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals(1, e.notQueued().size());
            assertSame(bad, e.notQueued().get(0));
            assertFalse(bad.inProgress());
            assertTrue(Aio.aioSuspend(List.of(good), java.time.Duration.ofSeconds(30)));
            assertEquals(2, good.aioReturn());
        }
    }

    /** AioEngineOptions: io_uring with registered files and buffers, where io_uring works. */
    @Test
    void registered(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(AioProbe.engines().stream().anyMatch(e -> e.name().equals("io_uring") && e.works()),
                "io_uring does not work here");
        Path file = dir.resolve("data");
        Files.write(file, new byte[8192]);
        assertEquals(4096, EngineExample.registered(file));
    }

    /** AioEngineOptions: an engine of one's own, on every engine that works here. */
    @Test
    void ownEngine() throws Exception {
        int opened = 0;
        for (AioProbe.EngineStatus status : AioProbe.engines()) {
            if (status.works()) {
                assertEquals(4096, EngineExample.ownEngine(status.name()), status.name());
                opened++;
            }
        }
        assertTrue(opened > 0, "no engine works here: " + AioProbe.engines());
    }

    /** AioFile: an O_DIRECT read, where the file system of the temporary folder supports it. */
    @Test
    void directRead(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("direct.dat");
        Files.write(file, new byte[8192]);
        try (AioFile probe = AioFile.open(file, AioOpenOption.DIRECT)) {
            // opened: O_DIRECT works here
        } catch (IOException e) {
            Assumptions.abort("the file system of " + dir + " refuses O_DIRECT: " + e.getMessage());
        }
        assertEquals(4096, EngineExample.directRead(file));
    }

    /** AioProbe: one line per engine, each saying whether it works. */
    @Test
    void engines() {
        List<String> lines = EngineExample.engines();
        assertEquals(AioEngine.names().size(), lines.size(), lines.toString());
        assertTrue(lines.stream().allMatch(l -> l.contains(" works") || l.contains(" refused: ")), lines.toString());
    }

    /** Signal: a write announced by SIGUSR2. */
    @Test
    void signal() throws Exception {
        assertEquals("signalled".length(), SignalExample.oneWrite());
    }

    /** SigevNotify: a list announced by SIGUSR2. */
    @Test
    void listSignal() throws Exception {
        assertTrue(SignalExample.listSignal(), "no SIGUSR2 within 10 s");
    }

    /** AioFileChannel: one read and 32 futures of a 32-block file, every block full. */
    @Test
    void channelFutures(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("blocks.dat");
        Files.write(file, new byte[32 * 4096]);
        assertEquals(33 * 4096, ChannelExample.futures(file));
    }

    /** AioFileChannel.open(AioEngine, ...): an O_DIRECT block through io_uring, where both work here. */
    @Test
    void channelOnAnEngineWithODirect(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("direct.dat");
        Files.write(file, new byte[8192]);
        try (AioFile probe = AioFile.open(file, AioOpenOption.DIRECT)) {
            // opened: O_DIRECT works here
        } catch (IOException e) {
            Assumptions.abort("the file system of " + dir + " refuses O_DIRECT: " + e.getMessage());
        }
        Assumptions.assumeTrue(AioProbe.ioUringRefusal().isEmpty(), () -> "io_uring is refused here: " + AioProbe.ioUringRefusal().orElse(""));
        assertEquals(4096, ChannelExample.direct(file));
    }

    /** AioFileChannel.read with a deadline: a cached read is well within a minute. */
    @Test
    void channelDeadline(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("deadline.dat");
        Files.write(file, new byte[4096]);
        try (AioFileChannel ch = AioFileChannel.open(file, StandardOpenOption.READ)) {
            assertEquals(4096, ChannelExample.deadline(ch, ByteBuffer.allocateDirect(4096), 0, Duration.ofMinutes(1)));
        }
    }

    /** AioBatch: 32 reads, then the log record written and forced. */
    @Test
    void batch(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data.dat");
        Files.write(data, new byte[32 * 4096]);
        Path logFile = dir.resolve("log.dat");
        try (AioFileChannel ch = AioFileChannel.open(data, StandardOpenOption.READ);
                AioFileChannel log = AioFileChannel.open(logFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            assertEquals(32 * 4096 + 10, ChannelExample.batch(ch, log, 0));
        }
        assertEquals("committed\n", Files.readString(logFile));
    }
}
