package dev.jaio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Without {@code --enable-native-access}, the first use of jaio fails with an error that names
 * the exact flag, instead of a warning and a half-working library. Runs a child JVM without the
 * flag, on the class path (so the flag to name is {@code ALL-UNNAMED}).
 */
class NativeAccessRequiredTest {

    /** The child: uses jaio and prints what it got. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            try (AioFile f = AioFile.tempfile()) {
                AioWrite.of(f.fd(), 0, new byte[] {1}, 0, SigevNotify.none());
                System.out.println("NO FAILURE");
            } catch (IllegalCallerException e) {
                System.out.println("FAILED: " + e.getMessage());
            }
            try {
                AioEngine.defaultEngine();
                System.out.println("SECOND: NO FAILURE");
            } catch (Throwable e) {
                System.out.println("SECOND: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
    }

    @Test
    void firstUseNamesTheFlag() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                Child.class.getName())).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("FAILED: ") && out.contains("--enable-native-access=ALL-UNNAMED"), out);
        assertTrue(out.contains("SECOND: IllegalCallerException") && out.contains("--enable-native-access=ALL-UNNAMED"),
                "later uses fail the same clear way: " + out);
    }
}
