package dev.jaio.reliability;

import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;

/**
 * The misuse fuzzer as jqwik properties: random sequences of public calls ({@link MisuseStep}),
 * each run in a fresh {@link MisuseWorld} on the engine named by the system property
 * {@code jaio.fuzz.engine}; jqwik shrinks a failing sequence to a short one and prints it with
 * its seed.
 *
 * <p>Run only by {@link MisuseFuzzMain} in a child JVM (so that a crash is seen as one; the
 * class name keeps Surefire from running it in its own JVM). Failed sequences found so far are
 * kept as regression cases in {@link MisuseRegressions}.
 */
class MisuseProperties {
    static String engine() {
        return System.getProperty("jaio.fuzz.engine", "threads");
    }

    @Provide
    Arbitrary<List<MisuseStep>> sequences() {
        return net.jqwik.api.Combinators.combine(MisuseStep.prologue(), MisuseStep.chunks().list().ofMinSize(4).ofMaxSize(50))
                .as((first, rest) -> {
                    List<MisuseStep> all = new java.util.ArrayList<>(first);
                    rest.forEach(all::addAll);
                    return all;
                });
    }

    @Property(shrinking = net.jqwik.api.ShrinkingMode.BOUNDED, edgeCases = net.jqwik.api.EdgeCasesMode.NONE)
    @Tag("fuzz")
    void publicCallsNeverHarmTheJvm(@ForAll("sequences") List<MisuseStep> steps) throws Exception {
        try (MisuseWorld world = new MisuseWorld(engine())) {
            world.run(steps);
        }
    }
}
