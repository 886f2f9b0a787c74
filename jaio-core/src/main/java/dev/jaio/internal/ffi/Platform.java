package dev.jaio.internal.ffi;

import java.util.Locale;

/**
 * The C ABI jaio is running on, and whether its struct layouts are known.
 *
 * <p>jaio's layouts are those of <b>glibc on Linux, x86_64 and aarch64</b>: both are LP64 and
 * glibc uses its generic {@code struct aiocb} (168 bytes), {@code struct sigevent} (64 bytes),
 * and the generic Linux errno and signal numbers on both. The x86_64 layouts are checked against
 * gcc in every test run; aarch64 shares the same generic headers (only {@code O_DIRECT} and
 * {@code O_DIRECTORY} differ, see {@link Libc}).
 *
 * <p>Described but refused, because they cannot be verified on the machines that build jaio:
 * <ul>
 *   <li><b>musl</b> (Alpine): its {@code struct aiocb} has the same public fields but different
 *       private ones ({@code __err}, {@code __ret}) and its AIO is a separate implementation
 *       known to hang in nix's list tests (nix #2788).</li>
 *   <li><b>FreeBSD</b>: kernel AIO, {@code struct aiocb} with {@code _aiocb_private} and a
 *       different {@code sigevent}; {@code AIO_CANCELED}=1, {@code LIO_READ}=2; errno numbers
 *       differ (EAGAIN is 35).</li>
 *   <li><b>macOS</b>: {@code AIO_CANCELED}=2, {@code LIO_WAIT}=2, no {@code SIGEV_THREAD} for
 *       AIO, a per-process limit of 16 queued operations.</li>
 * </ul>
 * On any of these {@link #requireSupported()} throws {@link UnsupportedOperationException}
 * naming the platform instead of letting a wrong layout reach the C library.
 *
 * <p>Thread-safe: immutable after class initialisation.
 */
public enum Platform {
    LINUX_X86_64_GLIBC,
    LINUX_AARCH64_GLIBC,
    UNSUPPORTED;

    private static final String OS = System.getProperty("os.name", "?");
    private static final String ARCH = System.getProperty("os.arch", "?");
    private static final Platform CURRENT = detect();

    /** The platform this JVM runs on. */
    public static Platform current() {
        return CURRENT;
    }

    /** A short human description, such as {@code "Linux amd64"}. */
    public static String describe() {
        return OS + " " + ARCH;
    }

    /**
     * Returns normally on a platform whose layouts jaio knows.
     *
     * @throws UnsupportedOperationException naming the platform otherwise
     */
    public static void requireSupported() {
        if (CURRENT == UNSUPPORTED) {
            throw new UnsupportedOperationException("jaio supports glibc on Linux x86_64 and aarch64;"
                    + " this is " + describe() + (isLinux() ? " (a C library other than glibc, such as musl)" : "")
                    + ": its struct aiocb/sigevent layouts are not verified, so jaio refuses to guess them");
        }
    }

    private static boolean isLinux() {
        return OS.toLowerCase(Locale.ROOT).startsWith("linux");
    }

    private static Platform detect() {
        if (!isLinux()) {
            return UNSUPPORTED;
        }
        if (!GlibcProbe.isGlibc()) {
            return UNSUPPORTED;
        }
        return switch (ARCH) {
            case "amd64", "x86_64" -> LINUX_X86_64_GLIBC;
            case "aarch64", "arm64" -> LINUX_AARCH64_GLIBC;
            default -> UNSUPPORTED;
        };
    }

    /** Detecting glibc needs no native call: glibc exports {@code gnu_get_libc_version}. */
    private static final class GlibcProbe {
        static boolean isGlibc() {
            try {
                return java.lang.foreign.Linker.nativeLinker().defaultLookup()
                        .find("gnu_get_libc_version").isPresent();
            } catch (RuntimeException e) {
                return false;
            }
        }
    }
}
