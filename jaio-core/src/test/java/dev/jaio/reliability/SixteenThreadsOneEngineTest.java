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
 * Sixteen threads submitting, waiting, cancelling and closing against one engine at once
 * ({@link StressRun}), for {@code jaio.stress.seconds} (4 in the default build, 60 with
 * {@code -Psoak}), then the engine closed under the same load; in a child JVM, because a close
 * racing I/O is exactly where a library could free memory the kernel still writes. The child's
 * watchdog prints every thread's stack and exits 3 on a stall; a crash leaves an
 * {@code hs_err_pid*.log}.
 */
class SixteenThreadsOneEngineTest {
    static final long SECONDS = Long.getLong("jaio.stress.seconds", 4);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jaio.reliability.EngineUnderTest#names")
    void sixteenThreadsSubmitWaitCancelAndCloseAtOnce(String name) throws Exception {
        EngineUnderTest.open(name).close(); // aborts, saying why, where the engine cannot work
        long seed = Long.getLong("jaio.test.seed", System.nanoTime());
        System.out.println("SixteenThreadsOneEngineTest[" + name + "] seed=" + seed + " (rerun with -Djaio.test.seed="
                + seed + ")");
        ChildJvm.Outcome o = ChildJvm.run(StressRun.class, List.of("-Xmx512m"),
                List.of(name, Long.toString(SECONDS), Long.toString(seed)), dir.resolve(name),
                Duration.ofSeconds(SECONDS + 180), "  [16 threads " + name + "] ");
        System.out.println("16 threads [" + name + "]: " + o.describe());
        assertTrue(o.crashLogs().isEmpty(), () -> "the JVM crashed: " + o.crashLogs() + "\n" + o.output());
        assertFalse(o.timedOut(), () -> "the run hung past its own watchdog\n" + o.output());
        assertEquals(0, o.exitCode(), () -> (o.exitCode() == 3 ? "the watchdog saw a hang" : "a check failed")
                + " (exit " + o.exitCode() + ")\n" + o.output());
        assertEquals(1, o.linesStartingWith("STRESS-SUMMARY ").size(), o::output);
    }
}
