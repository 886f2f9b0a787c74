package dev.jaio.internal.ffi;

import java.lang.management.ManagementFactory;

/**
 * The gate in front of every binding: native access must be enabled for jaio's module, and the
 * platform must be one whose layouts are known ({@link Platform}).
 *
 * <p>The JDK's own rule for a module without native access depends on
 * {@code --illegal-native-access}: {@code allow} lets restricted methods run silently,
 * {@code warn} (the default of JDK 24 and later) lets them run with one warning on the console,
 * {@code deny} refuses them. jaio follows it with one difference: where the JDK would only warn,
 * jaio refuses, once, with the exact flag to pass, so a user never meets a warning buried in a
 * log and a library that a later JDK will refuse. So:
 * <ul>
 *   <li>enabled for jaio's module ({@code --enable-native-access=dev.jaio} on the module path,
 *       {@code =ALL-UNNAMED} on the class path, or {@code Enable-Native-Access: ALL-UNNAMED} in the
 *       manifest of the {@code java -jar} jar): jaio works;</li>
 *   <li>not enabled, and {@code --illegal-native-access=allow}: jaio works, and prints one warning
 *       to standard error that names the flag, since the JDK says nothing;</li>
 *   <li>otherwise: every use throws {@link IllegalCallerException} whose message names the flag;
 *       on the class path it also names the manifest attribute, which only an executable jar can
 *       carry; on the module path it does not, as the JDK reads that attribute for the unnamed
 *       module only.</li>
 * </ul>
 * The option is read from the JVM's input arguments ({@code RuntimeMXBean}), where the launcher
 * leaves it whether it came from the command line, {@code JDK_JAVA_OPTIONS} or an {@code @file}.
 * The check runs once, when this class initializes; a failure is rethrown as a fresh exception with
 * the same message on every later use.
 *
 * <p>Thread-safe.
 */
public final class NativeAccess {
    private static final String ILLEGAL_NATIVE_ACCESS = "--illegal-native-access=";
    private static final String FAILURE = check();

    private NativeAccess() {
    }

    /**
     * Throws unless jaio may call native code here.
     *
     * @throws IllegalCallerException if native access is not enabled for jaio's module and the
     *         JVM does not run with {@code --illegal-native-access=allow}; the message names the
     *         flag ({@code --enable-native-access=dev.jaio} or {@code --enable-native-access=ALL-UNNAMED})
     * @throws UnsupportedOperationException on a platform whose layouts jaio does not know
     */
    public static void ensureEnabled() {
        if (FAILURE != null) {
            throw new IllegalCallerException(FAILURE);
        }
        Platform.requireSupported();
    }

    /**
     * The flag that enables native access for the module jaio was loaded in.
     *
     * @return {@code --enable-native-access=dev.jaio} or {@code --enable-native-access=ALL-UNNAMED}
     */
    public static String flag() {
        Module module = NativeAccess.class.getModule();
        return "--enable-native-access=" + (module.isNamed() ? module.getName() : "ALL-UNNAMED");
    }

    /**
     * Whether jaio may call native code: native access is enabled for its module, or
     * {@code --illegal-native-access=allow} lets it (with jaio's warning).
     *
     * @return false when every use of jaio throws {@link IllegalCallerException}
     */
    public static boolean isEnabled() {
        return FAILURE == null;
    }

    private static String check() {
        Module module = NativeAccess.class.getModule();
        if (module.isNativeAccessEnabled()) {
            return null;
        }
        if ("allow".equals(illegalNativeAccessOption())) {
            System.err.println("WARNING: jaio: native access is not enabled for " + describe(module)
                    + "; jaio calls native code anyway because of --illegal-native-access=allow."
                    + " Start java with " + flag() + " to enable it and silence this warning.");
            return null;
        }
        return "jaio calls the C library through the Foreign Function & Memory API, and native access is"
                + " not enabled for " + describe(module) + ": start java with " + flag()
                + (module.isNamed() ? "" : " (an executable jar may instead carry 'Enable-Native-Access: ALL-UNNAMED'"
                        + " in its manifest)");
    }

    private static String describe(Module module) {
        return module.isNamed() ? "module " + module.getName() : "the class path (the unnamed module)";
    }

    /**
     * The value of the last {@code --illegal-native-access=} option the JVM was started with
     * ({@code allow}, {@code warn} or {@code deny}), or null when there is none.
     */
    static String illegalNativeAccessOption() {
        String value = null;
        for (String argument : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (argument.startsWith(ILLEGAL_NATIVE_ACCESS)) {
                value = argument.substring(ILLEGAL_NATIVE_ACCESS.length());
            }
        }
        return value;
    }
}
