package dev.jaio.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.AioEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Nothing lost, nothing corrupted: {@link Soak} on every engine, {@code jaio.soak.ops}
 * operations each (20,000 in the default build, 1,000,000 with {@code -Psoak}), four threads over
 * one 4 MiB file. Prints the counts; the seed repeats a run with {@code -Djaio.test.seed=}.
 */
class SoakTest {
    static final long OPERATIONS = Long.getLong("jaio.soak.ops", 20_000);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jaio.reliability.EngineUnderTest#names")
    void mixedReadsWritesAndFsyncsLoseNothing(String name) throws Exception {
        long seed = Long.getLong("jaio.test.seed", System.nanoTime());
        System.out.println("SoakTest[" + name + "] seed=" + seed + " (rerun with -Djaio.test.seed=" + seed + ")");
        Soak.Settings settings = new Soak.Settings(OPERATIONS, 4, 1024, 4096, seed);
        Soak.Result r;
        try (AioEngine engine = EngineUnderTest.open(name)) {
            r = Soak.run(engine, dir.resolve("soak-" + name), settings);
        }
        System.out.println(r.summary());
        r.problems().forEach(p -> System.out.println("  problem: " + p));
        assertTrue(r.clean(), () -> r.summary() + "\n" + String.join("\n", r.problems()));
        assertTrue(r.operations() >= OPERATIONS, () -> "only " + r.operations() + " of " + OPERATIONS + " ran");
        assertTrue(r.blocksChecked() == settings.blocks(), () -> "final check covered " + r.blocksChecked()
                + " of " + settings.blocks() + " blocks");
        assertTrue(Files.notExists(dir.resolve("soak-" + name)));
    }
}
