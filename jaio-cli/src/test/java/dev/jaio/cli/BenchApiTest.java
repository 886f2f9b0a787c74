package dev.jaio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code jaio bench --api}: parsing, and a short real run of each shape through
 * {@code AioFileChannel} (and the JDK baselines that share the shape), every read checked.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BenchApiTest {
    private static final List<String> QUICK = List.of("--size", "256k", "--runtime", "0.3", "--ramp", "0",
            "--iodepth", "8");

    @Test
    void apiIsParsedAndChecked() throws UsageException {
        assertEquals(BenchOptions.API_LISTS, BenchOptions.parse(List.of()).api());
        for (String api : List.of("lists", "channel", "futures", "vthreads")) {
            assertEquals(api, BenchOptions.parse(List.of("--api", api)).api());
        }
        UsageException e = assertThrows(UsageException.class, () -> BenchOptions.parse(List.of("--api", "nio")));
        assertTrue(e.getMessage().contains("lists, channel, futures or vthreads"), e.getMessage());
    }

    @Test
    void eachShapeRunsAndChecksItsReads() {
        for (String[] run : new String[][] {
                {"--api", "channel", "--engine", "threads"},
                {"--api", "futures", "--engine", "threads,afc"},
                {"--api", "vthreads", "--engine", "threads,filechannel"},
                {"--api", "futures", "--engine", "threads", "--rw", "randrw"}}) {
            List<String> args = new ArrayList<>(List.of("bench"));
            args.addAll(QUICK);
            args.addAll(List.of(run));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status;
            try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
                status = Main.run(args.toArray(String[]::new), o, e);
            }
            String text = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
            assertEquals(Main.EXIT_OK, status, String.join(" ", run) + ":\n" + text);
            assertTrue(text.contains("all correct"), String.join(" ", run) + ":\n" + text);
        }
    }
}
