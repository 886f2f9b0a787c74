package dev.jaio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.testing.NativeAccessChild;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Native access is checked the way the JDK checks it, stricter only where the JDK would merely
 * warn: without {@code --enable-native-access} the first use of jaio fails with an error that
 * names the exact flag, instead of a warning and a half-working library; with
 * {@code --illegal-native-access=allow} jaio works and prints one warning. Each case is a child JVM
 * ({@link NativeAccessChild}) with jaio on the class path or on the module path.
 */
class NativeAccessRequiredTest {

    @Test
    void classPathFirstUseNamesTheFlagAndTheManifestAttribute() throws Exception {
        String out = runChild(false, List.of());
        assertTrue(out.contains("FIRST: FAILED: ") && out.contains("--enable-native-access=ALL-UNNAMED"), out);
        assertTrue(out.contains("Enable-Native-Access: ALL-UNNAMED"), "an executable jar may use the manifest: " + out);
        assertTrue(out.contains("SECOND: IllegalCallerException") && out.contains("--enable-native-access=ALL-UNNAMED"),
                "later uses fail the same clear way: " + out);
    }

    @Test
    void modulePathNamesTheModuleAndNoManifestAttribute() throws Exception {
        String out = runChild(true, List.of());
        assertTrue(out.contains("FIRST: FAILED: ") && out.contains("--enable-native-access=dev.jaio"), out);
        assertFalse(out.contains("Enable-Native-Access"),
                "the JDK reads the manifest attribute for the unnamed module only: " + out);
        assertFalse(out.contains("ALL-UNNAMED"), out);
    }

    @Test
    void illegalNativeAccessAllowWorksWithAWarningOnTheClassPath() throws Exception {
        String out = runChild(false, List.of("--illegal-native-access=allow"));
        assertTrue(out.contains("FIRST: NO FAILURE") && out.contains("SECOND: NO FAILURE"), out);
        assertTrue(out.contains("WARNING: jaio: native access is not enabled")
                && out.contains("--enable-native-access=ALL-UNNAMED"), "one warning naming the flag: " + out);
        assertEquals(1, out.split("WARNING: jaio", -1).length - 1, "warned once: " + out);
    }

    @Test
    void illegalNativeAccessAllowWorksWithAWarningOnTheModulePath() throws Exception {
        String out = runChild(true, List.of("--illegal-native-access=allow"));
        assertTrue(out.contains("FIRST: NO FAILURE") && out.contains("SECOND: NO FAILURE"), out);
        assertTrue(out.contains("WARNING: jaio: native access is not enabled for module dev.jaio")
                && out.contains("--enable-native-access=dev.jaio"), out);
    }

    @Test
    void illegalNativeAccessDenyIsRefused() throws Exception {
        String out = runChild(false, List.of("--illegal-native-access=deny"));
        assertTrue(out.contains("FIRST: FAILED: ") && out.contains("--enable-native-access=ALL-UNNAMED"), out);
    }

    /**
     * Runs {@link NativeAccessChild} in a new JVM without {@code --enable-native-access}: with
     * everything on the class path, or with jaio's classes on the module path
     * ({@code --add-modules dev.jaio}) and the child on the class path.
     */
    private static String runChild(boolean modulePath, List<String> jvmArgs) throws IOException, InterruptedException,
            URISyntaxException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        if (modulePath) {
            command.addAll(List.of("--module-path", codeSource(AioFile.class), "--add-modules", "dev.jaio",
                    "-cp", codeSource(NativeAccessChild.class)));
        } else {
            command.addAll(List.of("-cp", System.getProperty("java.class.path")));
        }
        command.add(NativeAccessChild.class.getName());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), out);
        return command + "\n" + out;
    }

    private static String codeSource(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
