package dev.jaio.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ChannelStressRun}: {@code AioFileChannel} futures, deadlines, cancels from another
 * thread, channels closed under load and the engine closed under it, for
 * {@code jaio.stress.seconds} (4 in the default build, 60 with {@code -Psoak}); in a child JVM,
 * because a cancel or a close racing I/O is where a buffer could be written after its future
 * completed, or memory freed that the kernel still writes.
 */
class ChannelStressTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jaio.reliability.EngineUnderTest#names")
    void channelsUnderCancelsDeadlinesAndClosesLoseNothing(String name) throws Exception {
        EngineUnderTest.open(name).close(); // aborts, saying why, where the engine cannot work
        long seconds = SixteenThreadsOneEngineTest.SECONDS;
        long seed = Long.getLong("jaio.test.seed", System.nanoTime());
        System.out.println("ChannelStressTest[" + name + "] seed=" + seed + " (rerun with -Djaio.test.seed=" + seed + ")");
        ChildJvm.Outcome o = ChildJvm.run(ChannelStressRun.class, List.of("-Xmx512m"),
                List.of(name, Long.toString(seconds), Long.toString(seed)), dir.resolve(name),
                Duration.ofSeconds(seconds + 180), "  [channel stress " + name + "] ");
        System.out.println("channel stress [" + name + "]: " + o.describe());
        assertTrue(o.crashLogs().isEmpty(), () -> "the JVM crashed: " + o.crashLogs() + "\n" + o.output());
        assertFalse(o.timedOut(), () -> "the run hung past its own watchdog\n" + o.output());
        assertEquals(0, o.exitCode(), () -> (o.exitCode() == 3 ? "the watchdog saw a hang" : "a check failed")
                + " (exit " + o.exitCode() + ")\n" + o.output());
        List<String> summary = o.linesStartingWith("CHANNEL-STRESS-SUMMARY ");
        assertEquals(1, summary.size(), o::output);
        assertTrue(summary.getFirst().contains("channel-closed-under-load="), () -> "no channel was closed under load: "
                + summary.getFirst());
    }
}
