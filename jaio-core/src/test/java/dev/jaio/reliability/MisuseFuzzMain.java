package dev.jaio.reliability;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The misuse fuzzer's own JVM: runs {@link MisuseRegressions} and the jqwik property of
 * {@link MisuseProperties} on one engine through the JUnit Platform launcher, prints a summary
 * ({@code FUZZ-SUMMARY} lines) and exits 0 when every sequence passed, 1 when one failed. A
 * watchdog ends the JVM with status 3 and every thread's stack when one step takes longer than
 * {@link #STEP_PATIENCE_SECONDS}: a hang is a finding too.
 *
 * <p>Arguments: {@code engine tries}. Regression cases tagged {@code known-bug} are left out.
 */
public final class MisuseFuzzMain {
    static final long STEP_PATIENCE_SECONDS = 120;
    private static final AtomicLong LAST_PROGRESS = new AtomicLong(System.nanoTime());
    private static final AtomicReference<Object> CURRENT = new AtomicReference<>("starting");

    private MisuseFuzzMain() {
    }

    /** Called at each step: the watchdog's heartbeat. */
    static void progress(Object step) {
        CURRENT.set(step);
        LAST_PROGRESS.set(System.nanoTime());
    }

    public static void main(String[] args) throws Exception {
        String engine = args[0];
        int tries = Integer.parseInt(args[1]);
        System.setProperty("jaio.fuzz.engine", engine);
        startWatchdog();
        long t0 = System.nanoTime();
        LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(MisuseRegressions.class), selectClass(MisuseProperties.class))
                .configurationParameter("jqwik.tries.default", Integer.toString(tries))
                .configurationParameter("jqwik.database", ".jqwik-database")
                .configurationParameter("jqwik.shrinking.bounded.seconds", "60")
                .configurationParameter("jqwik.reporting.onlyfailures", "true")
                .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "false");
        request.filters(TagFilter.excludeTags("known-bug"));
        LauncherDiscoveryRequest built = request.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(built, listener);
        TestExecutionSummary summary = listener.getSummary();
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        summary.printTo(out);
        summary.printFailuresTo(out, 40);
        MisuseWorld.Stats s = MisuseWorld.STATS;
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.printf("FUZZ-SUMMARY engine=%s sequences=%d steps=%d calls=%d completed-ops=%d data-checks=%d"
                        + " callbacks=%d failed-tests=%d succeeded-tests=%d millis=%d%n",
                engine, s.sequences.get(), s.steps.get(), s.calls.get(), s.completedOps.get(), s.dataChecks.get(),
                s.callbacks.get(), summary.getTotalFailureCount(), summary.getTestsSucceededCount(), millis);
        System.out.println("FUZZ-OUTCOMES " + s.outcomes());
        System.out.flush();
        boolean ran = summary.getTestsFoundCount() > 0;
        Runtime.getRuntime().halt(summary.getTotalFailureCount() == 0 && ran ? 0 : 1);
    }

    private static void startWatchdog() {
        Thread.ofPlatform().daemon().name("fuzz-watchdog").start(() -> {
            while (true) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                long idle = System.nanoTime() - LAST_PROGRESS.get();
                if (idle > TimeUnit.SECONDS.toNanos(STEP_PATIENCE_SECONDS)) {
                    System.out.println("FUZZ-HANG no progress for " + STEP_PATIENCE_SECONDS + " s; last step: "
                            + CURRENT.get());
                    System.out.println(ThreadDump.all());
                    System.out.flush();
                    Runtime.getRuntime().halt(3);
                }
            }
        });
    }
}
