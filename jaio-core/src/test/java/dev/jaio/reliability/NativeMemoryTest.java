package dev.jaio.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.AioEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No leak per operation: {@link NativeMemoryRun} in a child JVM with
 * {@code -XX:NativeMemoryTracking=summary} and a pre-touched fixed heap runs
 * {@code jaio.memory.ops} soak operations per engine (60,000 in the default build, 1,000,000
 * with {@code -Psoak}), plus 15,000 blocks created and closed or dropped and 10 engines opened and
 * closed per engine, and the C heap in use, NMT's committed memory, the resident size, the open
 * descriptors and the threads must end within a small bound of where they were after warm-up.
 */
class NativeMemoryTest {
    static final long OPS = Long.getLong("jaio.memory.ops", 60_000);

    @TempDir
    Path dir;

    @Test
    void nativeMemoryReturnsToWhereItStartedAfterTheSoak() throws Exception {
        List<String> args = new ArrayList<>(List.of(Long.toString(OPS)));
        for (String name : EngineUnderTest.names()) {
            try {
                AioEngine.open(name).close();
                args.add(name);
            } catch (UnsupportedOperationException cannotWorkHere) {
                System.out.println("NativeMemoryTest: " + name + " left out: " + cannotWorkHere.getMessage());
            }
        }
        ChildJvm.Outcome o = ChildJvm.run(NativeMemoryRun.class, List.of("-XX:NativeMemoryTracking=summary",
                        "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC"), args, dir.resolve("child"),
                Duration.ofSeconds(120 + OPS / 1000), "  [memory] ");
        System.out.println("native memory: " + o.describe() + "; " + o.linesStartingWith("MEMORY-SUMMARY "));
        assertTrue(o.crashLogs().isEmpty(), () -> "the JVM crashed\n" + o.output());
        assertEquals(0, o.exitCode(), () -> "native memory grew past its bound, or the run failed\n" + o.output());
    }
}
