package dev.jaio.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.AioEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JVM survives any sequence of public calls: {@link MisuseFuzzMain} runs the regression
 * sequences and {@code jaio.fuzz.tries} random ones (250 in the default build, 4000 with
 * {@code -Psoak}) per engine in a child JVM, which must exit with status 0 and leave no
 * {@code hs_err_pid*.log}; every call in it either succeeded or threw what {@code docs/API.md}
 * documents, and every check of the model and the data held (see {@link MisuseWorld}).
 */
class MisuseFuzzTest {
    static final int TRIES = Integer.getInteger("jaio.fuzz.tries", 250);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jaio.reliability.EngineUnderTest#names")
    void randomMisuseNeverHarmsTheJvm(String name) throws Exception {
        EngineUnderTest.open(name).close(); // aborts, saying why, where the engine cannot work
        List<String> jvm = new ArrayList<>(List.of("-Xmx512m"));
        ChildJvm.Outcome o = ChildJvm.run(MisuseFuzzMain.class, jvm, List.of(name, Integer.toString(TRIES)),
                dir.resolve(name), Duration.ofSeconds(300 + TRIES / 2), "  [fuzz " + name + "] ");
        List<String> summary = o.linesStartingWith("FUZZ-SUMMARY ");
        System.out.println("misuse fuzzer [" + name + "]: " + o.describe() + "; " + summary);
        assertTrue(o.crashLogs().isEmpty(), () -> "the JVM crashed: " + o.crashLogs() + "\n" + crashFrames(o)
                + "\n" + o.output());
        assertFalse(o.timedOut(), () -> "the fuzzer hung\n" + o.output());
        assertEquals(0, o.exitCode(), () -> "the fuzzer found a violation (exit " + o.exitCode() + "); its report:\n"
                + o.output());
        assertEquals(1, summary.size(), o::output);
        long sequences = Long.parseLong(summary.getFirst().replaceAll(".*sequences=(\\d+).*", "$1"));
        assertTrue(sequences >= TRIES, "only " + sequences + " sequences ran");
    }

    /** The thread and frames of each crash log, which the temporary directory does not keep. */
    private static String crashFrames(ChildJvm.Outcome o) {
        StringBuilder out = new StringBuilder();
        for (Path log : o.crashLogs()) {
            try {
                for (String line : Files.readAllLines(log)) {
                    if (line.startsWith("Current thread") || line.matches("^[jJCVv] .*") || line.startsWith("siginfo")) {
                        out.append(line).append('\n');
                    }
                }
            } catch (java.io.IOException e) {
                out.append("(could not read ").append(log).append(": ").append(e).append(")\n");
            }
        }
        return out.toString();
    }
}
