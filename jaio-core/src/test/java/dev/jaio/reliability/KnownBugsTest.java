package dev.jaio.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * Library bugs the reliability suite found and that are not fixed yet, one test each, failing
 * until the fix is in. Tagged {@code known-bug}: left out of the default build, run alone with
 * {@code ./mvnw -Pknown-bugs verify}. The proposed fixes are in {@code /tmp/h-rel/patches} and
 * described in {@code RELIABILITY.md} ("Bugs found"); once one is applied, its test passes and
 * moves to {@link BugRegressionTest}.
 */
@Tag("known-bug")
class KnownBugsTest {

    @TempDir
    Path dir;

    /**
     * Bug 3 (posix engine, glibc 2.36): canceling an operation that heads its descriptor's queue
     * while it waits for one of glibc's worker threads strands the operations queued behind it:
     * they stay {@code EINPROGRESS} for ever, so their waits, {@code close()} and the engine's
     * {@code close()} hang. A plain C program shows the same (RELIABILITY.md), so the defect is
     * glibc's; the proposed patch keeps the posix engine away from it. Child JVM: the stranded
     * request belongs to glibc for ever.
     */
    @Test
    void posixCancelOfAQueuedHeadDoesNotStrandTheOthers() throws Exception {
        EngineUnderTest.open("posix").close();
        ChildJvm.Outcome o = ChildJvm.run(BugProbes.class, List.of("-Xmx256m"), List.of("posix-cancel-strands"),
                dir.resolve("child"), Duration.ofSeconds(120), "  [known bug 3] ");
        assertTrue(o.crashLogs().isEmpty(), () -> "the JVM crashed\n" + o.output());
        assertEquals(0, o.exitCode(), () -> "exit " + o.exitCode() + "\n" + o.output());
    }

    /**
     * Bug 4 (every engine, {@code Operation.close}): {@code close()} of a block whose I/O still
     * runs, while its engine is closing, frees the block at once and returns: the kernel or libc
     * then writes a buffer the caller believes free (and a glibc aiocb that is freed), and on
     * io_uring the engine's {@code close()} waits for ever for a completion it no longer
     * recognizes. Found by {@link SixteenThreadsOneEngineTest} (expose mode). Shown here on the
     * engines whose running reads cannot be canceled; child JVM, as memory is written after free.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"threads", "posix"})
    void closeOfABlockWhileItsEngineClosesWaitsForItsIo(String name) throws Exception {
        ChildJvm.Outcome o = ChildJvm.run(BugProbes.class, List.of("-Xmx256m"),
                List.of("close-while-engine-closes", name), dir.resolve("child-" + name), Duration.ofSeconds(120),
                "  [known bug 4 " + name + "] ");
        assertTrue(o.crashLogs().isEmpty(), () -> "the JVM crashed\n" + o.output());
        assertEquals(0, o.exitCode(), () -> "exit " + o.exitCode() + "\n" + o.output());
    }
}
