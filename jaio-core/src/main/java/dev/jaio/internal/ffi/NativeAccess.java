package dev.jaio.internal.ffi;

/**
 * The gate in front of every binding: native access must be enabled for jaio's module, and the
 * platform must be one whose layouts are known ({@link Platform}).
 *
 * <p>Java 22+ lets restricted FFM methods run with only a warning when native access was not
 * enabled; jaio refuses instead, once, with the exact flag to pass, so a user never meets a
 * half-working library or a warning buried in the log. The check is cached: the first failure
 * is rethrown as a fresh exception with the same message on every later use.
 *
 * <p>Thread-safe.
 */
public final class NativeAccess {
    private static final String FAILURE = check();

    private NativeAccess() {
    }

    /**
     * Throws unless jaio may call native code here.
     *
     * @throws IllegalCallerException if native access is not enabled for jaio's module; the
     *         message names the flag ({@code --enable-native-access=dev.jaio} or
     *         {@code --enable-native-access=ALL-UNNAMED})
     * @throws UnsupportedOperationException on a platform whose layouts jaio does not know
     */
    public static void ensureEnabled() {
        if (FAILURE != null) {
            throw new IllegalCallerException(FAILURE);
        }
        Platform.requireSupported();
    }

    /** The flag that enables native access for the module jaio was loaded in. */
    public static String flag() {
        Module module = NativeAccess.class.getModule();
        return "--enable-native-access=" + (module.isNamed() ? module.getName() : "ALL-UNNAMED");
    }

    /** Whether native access is enabled for jaio's module. */
    public static boolean isEnabled() {
        return FAILURE == null;
    }

    private static String check() {
        if (NativeAccess.class.getModule().isNativeAccessEnabled()) {
            return null;
        }
        return "jaio calls the C library through the Foreign Function & Memory API, and native access is"
                + " not enabled for it: start java with " + flag()
                + " (executable jars may instead carry 'Enable-Native-Access: ALL-UNNAMED' in their manifest)";
    }
}
