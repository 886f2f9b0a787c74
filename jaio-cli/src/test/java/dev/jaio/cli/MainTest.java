package dev.jaio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The command line as a user meets it: exit statuses, and what lands on stdout and stderr. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MainTest {

    /** What one run of {@code jaio ARGS} printed and returned. */
    private record Outcome(int status, String out, String err) {
    }

    private static Outcome jaio(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = Main.run(args, o, e);
        }
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void demoRunsTheThreeExamplesAndSaysSo() {
        Outcome r = jaio("demo");
        assertEquals(Main.EXIT_OK, r.status(), () -> "stdout:\n" + r.out() + "\nstderr:\n" + r.err());
        assertEquals("", r.err());
        assertEquals(3, r.out().lines().filter(l -> l.endsWith("   ok")).count(), r.out());
        assertEquals(3, r.out().lines().filter(l -> l.contains("aio_return = 12")).count(), r.out());
        assertEquals(3, r.out().lines().filter(l -> l.contains("\"\\0\\0abcdef123456\" (14 bytes)")).count(), r.out());
        assertTrue(r.out().contains("\nengine: "), r.out());
        assertTrue(r.out().endsWith("all three examples passed" + System.lineSeparator()), r.out());
    }

    @Test
    void demoRunsOnTheEngineNamed() {
        for (dev.jaio.AioProbe.EngineStatus engine : dev.jaio.AioProbe.engines()) {
            Outcome r = jaio("demo", "--engine", engine.name());
            if (!engine.works()) {
                assertEquals(Main.EXIT_FAILED, r.status(), r.err());
                continue;
            }
            assertEquals(Main.EXIT_OK, r.status(), () -> "stdout:\n" + r.out() + "\nstderr:\n" + r.err());
            assertTrue(r.out().startsWith("jaio demo: the three lio_listio examples of Rust's nix::sys::aio, on the "
                    + engine.name() + " engine."), r.out());
            assertTrue(r.out().contains("\nengine: " + engine.name() + System.lineSeparator()), r.out());
            assertEquals(3, r.out().lines().filter(l -> l.endsWith("   ok")).count(), r.out());
        }
    }

    @Test
    void demoRefusesAnUnknownEngineInOneLine() {
        assertUsageError(jaio("demo", "--engine", "aio"), "jaio: --engine: unknown engine 'aio' (engines: ");
        assertUsageError(jaio("demo", "--engine"), "jaio: --engine needs a name: ");
        assertUsageError(jaio("demo", "--fast"), "jaio: demo takes only --engine NAME, got '--fast'");
    }

    @Test
    void versionNamesJaioJavaAndTheKernel() {
        Outcome r = jaio("--version");
        assertEquals(Main.EXIT_OK, r.status(), r.err());
        assertEquals("", r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r.out());
        assertTrue(lines.get(0).startsWith("jaio "), r.out());
        assertTrue(lines.get(1).startsWith("Java " + Runtime.version()), r.out());
        assertTrue(lines.get(2).contains(System.getProperty("os.version")), r.out());
        assertUsageError(jaio("--version", "x"), "jaio: --version takes no arguments, got 'x'");
    }

    @Test
    void benchIsTheDefaultCommandAndDemoStaysAvailable() {
        // Running the default bench takes half a minute; BenchTest runs it in short.
        assertEquals("bench", Main.DEFAULT_COMMAND);
        Outcome r = jaio("help");
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  bench ") && l.endsWith("(the default)")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  demo ") && !l.endsWith("(the default)")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  probe ")), r.out());
    }

    @Test
    void helpListsEveryCommand() {
        for (String word : new String[] {"help", "--help", "-h"}) {
            Outcome r = jaio(word);
            assertEquals(Main.EXIT_OK, r.status(), word);
            assertEquals("", r.err(), word);
            assertTrue(r.out().contains("usage: jaio [COMMAND]"), r.out());
            for (Command c : Main.COMMANDS) {
                assertTrue(r.out().contains("  " + c.name() + " "), () -> c.name() + " missing from\n" + r.out());
            }
        }
    }

    @Test
    void helpForOneCommandShowsItsUsage() {
        Outcome viaHelp = jaio("help", "demo");
        Outcome viaFlag = jaio("demo", "--help");
        assertEquals(Main.EXIT_OK, viaHelp.status());
        assertEquals(Main.EXIT_OK, viaFlag.status());
        assertTrue(viaHelp.out().startsWith("usage: jaio demo"), viaHelp.out());
        assertEquals(viaHelp.out(), viaFlag.out());
        assertFalse(viaFlag.out().contains("all three examples passed"), "--help must not run the demo");
    }

    @Test
    void unknownCommandIsOneLineAndStatusTwo() {
        assertUsageError(jaio("frobnicate"), "unknown command 'frobnicate'");
    }

    @Test
    void unknownOptionIsOneLineAndStatusTwo() {
        assertUsageError(jaio("--frobnicate"), "unknown option '--frobnicate'");
        assertUsageError(jaio("demo", "--frobnicate"), "demo takes only --engine NAME, got '--frobnicate'");
        assertUsageError(jaio("help", "frobnicate"), "unknown command 'frobnicate'");
        assertUsageError(jaio("help", "demo", "demo"), "help takes at most one command name");
    }

    @Test
    void quotedShowsBytesAsAJavaLiteral() {
        assertEquals("\"\\0\\0ab\\\"\\\\\\n\\xff\"", Demo.quoted(new byte[] {0, 0, 'a', 'b', '"', '\\', '\n', (byte) 0xff}));
    }

    private static void assertUsageError(Outcome r, String expected) {
        assertEquals(Main.EXIT_USAGE, r.status(), r.err());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), () -> "one line expected on stderr, got:\n" + r.err());
        assertTrue(r.err().startsWith("jaio: ") && r.err().contains(expected), r.err());
    }
}
