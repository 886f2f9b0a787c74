package dev.jaio.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.Aio;
import dev.jaio.AioEngine;
import dev.jaio.AioException;
import dev.jaio.AioFile;
import dev.jaio.AioRead;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.contract.Pipe;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Library bugs the reliability suite found and that are fixed (commit e7db33d): each test failed
 * before its fix and guards it now. Bugs without a fix yet are in {@link KnownBugsTest}; the
 * fuzzer's shrunk sequences for these two run with every fuzzer run ({@link MisuseRegressions}).
 */
class BugRegressionTest {

    @TempDir
    Path dir;

    /**
     * Bug 1 (every engine, {@code AbstractEngine.lioListio}): a {@code LIO_WAIT} list of which one
     * block was refused (here: priority 21, {@code EINVAL}) and whose wait was then interrupted
     * threw {@code EINTR} with an empty {@code notQueued()}: the refused block, never queued, was
     * not named, and a caller following {@code AioException}'s contract ("all others were
     * queued") would wait for it for ever. Found by the misuse fuzzer (threads engine, seed
     * 2513872430183591983), shrunk to this.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jaio.reliability.EngineUnderTest#names")
    void lioWaitInterruptedAfterAPartialSubmissionNamesWhatWasNotQueued(String name) throws Exception {
        try (AioEngine engine = EngineUnderTest.open(name); AioFile f = AioFile.tempfile(); Arena arena = Arena.ofShared();
                Pipe pipe = Pipe.open();
                AioRead waiting = new AioRead(engine, pipe.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
                AioRead refused = new AioRead(engine, f.fd(), 0, arena.allocate(3), 21, SigevNotify.none())) {
            Thread.currentThread().interrupt(); // the wait for `waiting` is interrupted at once
            AioException e;
            try {
                e = assertThrows(AioException.class,
                        () -> Aio.lioListio(LioMode.LIO_WAIT, List.of(waiting, refused), SigevNotify.none()));
            } finally {
                Thread.interrupted();
            }
            assertEquals(Errno.EINTR, e.errno(), e::toString);
            assertTrue(waiting.inProgress(), "the valid block was queued and waits");
            assertFalse(refused.inProgress(), "priority 21 is refused: never queued");
            assertEquals(Errno.EINVAL, refused.error());
            pipe.closeWriteEnd();
            Waits.untilComplete(List.of(waiting));
            assertEquals(0, waiting.aioReturn());
            assertEquals(List.of(refused), e.notQueued(), () -> "the exception must name exactly the block that was"
                    + " not queued (AioException.notQueued: \"all others were queued\"); message: " + e.getMessage());
        }
    }

    /**
     * Bug 2 (io_uring engine, {@code UringEngine.enqueue}): a read or write whose buffer is
     * larger than an SQE's {@code __u32 len} (4 GiB - 1) threw {@code IllegalArgumentException}
     * from {@code submit()} after a submission-queue entry was reserved and the in-flight count
     * raised. The entry, still holding an older request, went to the kernel with the next
     * submission: the kernel ran the old request again (an old write put old data back over newer
     * data, acknowledged by nobody), and the engine's {@code close()} waited for ever. Now the
     * transfer is capped as {@code read(2)} caps it, as on the other engines. Found by the misuse
     * fuzzer (a 5 GiB buffer at address 0). Child JVM: the stale request could write memory.
     */
    @Test
    void ioUringBufferOverFourGibibytesLeavesTheEngineSound() throws Exception {
        EngineUnderTest.open("io_uring").close();
        ChildJvm.Outcome o = ChildJvm.run(BugProbes.class, List.of("-Xmx256m"), List.of("io_uring-huge-buffer"),
                dir.resolve("child"), Duration.ofSeconds(120), "  [bug 2] ");
        assertTrue(o.crashLogs().isEmpty(), () -> "the JVM crashed\n" + o.output());
        assertEquals(0, o.exitCode(), () -> "exit " + o.exitCode() + "\n" + o.output());
    }
}
