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
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The library bugs the reliability suite found, all fixed now (e7db33d, 4cccdf6): each test
 * failed before its fix and guards it since. The fuzzer's shrunk sequences for bugs 1 and 2 also
 * run with every fuzzer run ({@link MisuseRegressions}). A bug found and not fixed yet gets its
 * test here tagged {@code known-bug}: left out of the default build, run by {@code -Pknown-bugs}.
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

    /**
     * Bug 3, worked around in 4cccdf6 (posix engine, glibc 2.36): canceling an operation that
     * heads its descriptor's queue while it waits for one of glibc's worker threads strands the
     * operations queued behind it: they stay {@code EINPROGRESS} for ever, so did their waits,
     * their {@code close()} and the engine's {@code close()}. A plain C program shows the same
     * (RELIABILITY.md), so the defect is glibc's; the engine now keeps away from it. Child JVM: a
     * stranded request would belong to glibc for ever.
     */
    @Test
    void posixCancelOfAQueuedHeadDoesNotStrandTheOthers() throws Exception {
        EngineUnderTest.open("posix").close();
        ChildJvm.Outcome o = ChildJvm.run(BugProbes.class, List.of("-Xmx256m"), List.of("posix-cancel-strands"),
                dir.resolve("child"), Duration.ofSeconds(120), "  [bug 3] ");
        assertTrue(o.crashLogs().isEmpty(), () -> "the JVM crashed\n" + o.output());
        assertEquals(0, o.exitCode(), () -> "exit " + o.exitCode() + "\n" + o.output());
    }

    /**
     * Bug 10 (issue 9 item 6, the posix engine's own queues): with glibc's threads all blocked, of
     * three writes to one file the second and the third are only queued, and canceling them
     * answers AIO_CANCELED without stranding the first, which heads glibc's queue waiting for a
     * worker: the very state in which glibc 2.36 strands what is behind a canceled head. Child JVM,
     * as for bug 3.
     */
    @Test
    void posixCancelBehindAWaitingHeadCancelsAndStrandsNothing() throws Exception {
        EngineUnderTest.open("posix").close();
        ChildJvm.Outcome o = ChildJvm.run(BugProbes.class, List.of("-Xmx256m"),
                List.of("posix-cancel-behind-a-waiting-head"), dir.resolve("child10"), Duration.ofSeconds(120),
                "  [bug 10] ");
        assertTrue(o.crashLogs().isEmpty(), () -> "the JVM crashed\n" + o.output());
        assertEquals(0, o.exitCode(), () -> "exit " + o.exitCode() + "\n" + o.output());
    }

    /**
     * Bug 4, fixed in 4cccdf6 (every engine, {@code Operation.close}): {@code close()} of a block
     * whose I/O still ran, while its engine was closing, freed the block at once and returned: the
     * kernel or libc then wrote a buffer the caller believed free (and a freed glibc aiocb), and
     * io_uring met completions it no longer knew. Found by {@link SixteenThreadsOneEngineTest}.
     * Shown here on the engines whose running reads cannot be canceled; child JVM, as memory was
     * written after free.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"threads", "posix"})
    void closeOfABlockWhileItsEngineClosesWaitsForItsIo(String name) throws Exception {
        ChildJvm.Outcome o = ChildJvm.run(BugProbes.class, List.of("-Xmx256m"),
                List.of("close-while-engine-closes", name), dir.resolve("child-" + name), Duration.ofSeconds(120),
                "  [bug 4 " + name + "] ");
        assertTrue(o.crashLogs().isEmpty(), () -> "the JVM crashed\n" + o.output());
        assertEquals(0, o.exitCode(), () -> "exit " + o.exitCode() + "\n" + o.output());
    }
}
