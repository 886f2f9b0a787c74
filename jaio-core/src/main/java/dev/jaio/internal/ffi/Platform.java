package dev.jaio.internal.ffi;

import java.util.Locale;
import java.util.Optional;

/**
 * The platform jaio is running on (operating system, architecture, C library), and what jaio
 * does there: which engines may load, and why the others may not.
 *
 * <p>Verified, by the layout and constant tests on every build (see {@link Architecture}):
 * <ul>
 *   <li><b>Linux x86_64 and aarch64 with glibc</b>: every engine. The tests compile their C for
 *       x86_64 with gcc and for aarch64 with the cross compiler, and run the aarch64 programs
 *       under qemu-user.</li>
 *   <li><b>Linux x86_64 with musl</b> (Alpine): the {@code io_uring} and {@code threads}
 *       engines, which need nothing of glibc: the kernel's io_uring ABI through
 *       {@code syscall}, and {@code pread}, {@code pwrite}, {@code fsync}, {@code eventfd},
 *       {@code mmap} and the like by symbol, which the tests find in musl's {@code libc.a}
 *       with musl's header values. The {@code posix} engine is refused: musl's POSIX AIO is a
 *       separate implementation (a thread per request, its private {@code __err}/{@code __ret}
 *       aiocb fields) that jaio's engine tests have never run against.</li>
 * </ul>
 * Refused, with a message naming the platform and what is missing: musl on aarch64 (no musl
 * cross compiler is packaged by Debian, so its headers are not checked), any other
 * architecture, C library or operating system (FreeBSD and macOS have other {@code aiocb},
 * {@code sigevent} and errno numbers). Refusing keeps a wrong layout from ever reaching C.
 *
 * <p>Thread-safe: immutable after class initialisation.
 */
public enum Platform {
    LINUX_X86_64_GLIBC(Architecture.X86_64, CLibrary.GLIBC),
    LINUX_AARCH64_GLIBC(Architecture.AARCH64, CLibrary.GLIBC),
    LINUX_X86_64_MUSL(Architecture.X86_64, CLibrary.MUSL),
    UNSUPPORTED(null, null);

    private static final String OS = System.getProperty("os.name", "?");
    private static final String ARCH = System.getProperty("os.arch", "?");
    private static final Optional<CLibrary> LIBRARY = isLinux(OS) ? CLibrary.detect() : Optional.empty();
    private static final Platform CURRENT = of(OS, ARCH, LIBRARY);

    private final Architecture architecture;
    private final CLibrary library;

    Platform(Architecture architecture, CLibrary library) {
        this.architecture = architecture;
        this.library = library;
    }

    /** The platform this JVM runs on. */
    public static Platform current() {
        return CURRENT;
    }

    /** A short human description of this JVM's platform, such as {@code "Linux amd64 (glibc)"}. */
    public static String describe() {
        return describe(OS, ARCH, LIBRARY);
    }

    /** The C library of this JVM's process, if it is one jaio recognizes. */
    public static Optional<CLibrary> currentLibrary() {
        return LIBRARY;
    }

    /**
     * The platform of the given description.
     *
     * @param osName  the {@code os.name} system property
     * @param osArch  the {@code os.arch} system property
     * @param library the C library, empty when not recognized
     * @return one of the supported platforms, or {@link #UNSUPPORTED}
     */
    public static Platform of(String osName, String osArch, Optional<CLibrary> library) {
        if (!isLinux(osName) || library.isEmpty()) {
            return UNSUPPORTED;
        }
        Optional<Architecture> arch = Architecture.of(osArch);
        if (arch.isEmpty()) {
            return UNSUPPORTED;
        }
        for (Platform p : values()) {
            if (p.architecture == arch.get() && p.library == library.get()) {
                return p;
            }
        }
        return UNSUPPORTED;
    }

    /**
     * The architecture whose values jaio uses here. On {@link #UNSUPPORTED} it is the machine's
     * if jaio knows it, else x86_64, only so that constants can be initialised: none of them
     * reaches C there, because {@link NativeAccess#ensureEnabled()} refuses first.
     */
    public Architecture architecture() {
        return architecture != null ? architecture : Architecture.of(ARCH).orElse(Architecture.X86_64);
    }

    /**
     * The C library of this platform.
     *
     * @throws UnsupportedOperationException on {@link #UNSUPPORTED}, naming the platform
     */
    public CLibrary library() {
        if (library == null) {
            throw new UnsupportedOperationException(unsupportedReason(OS, ARCH, LIBRARY));
        }
        return library;
    }

    /**
     * Why engine {@code engine} may not load on this platform, or empty when it may.
     *
     * @param engine an engine name: {@code "io_uring"}, {@code "threads"} or {@code "posix"}
     * @return the refusal, naming the platform and what is missing
     */
    public Optional<String> engineRefusal(String engine) {
        if (this == UNSUPPORTED) {
            return Optional.of(unsupportedReason(OS, ARCH, LIBRARY));
        }
        if (library == CLibrary.MUSL && engine.equals("posix")) {
            return Optional.of("jaio's posix engine drives glibc's POSIX AIO; this is Linux "
                    + architecture.gnuName() + " with musl, whose aio_* functions are a separate implementation"
                    + " (a thread per request, private aiocb fields __err and __ret) that jaio's engine tests do"
                    + " not run against. Use the io_uring or threads engine, which work with musl");
        }
        return Optional.empty();
    }

    /**
     * Returns normally on a platform where jaio may call C at all.
     *
     * @throws UnsupportedOperationException naming the platform and what is missing otherwise
     */
    public static void requireSupported() {
        if (CURRENT == UNSUPPORTED) {
            throw new UnsupportedOperationException(unsupportedReason(OS, ARCH, LIBRARY));
        }
    }

    /**
     * Why jaio does not run on the described platform: the sentence {@link #requireSupported()}
     * throws with.
     *
     * @param osName  the {@code os.name} system property
     * @param osArch  the {@code os.arch} system property
     * @param library the C library, empty when not recognized
     * @return the reason, naming the platform
     */
    public static String unsupportedReason(String osName, String osArch, Optional<CLibrary> library) {
        String what;
        if (!isLinux(osName)) {
            what = "jaio's struct layouts, errno and signal numbers are Linux's";
        } else if (Architecture.of(osArch).isEmpty()) {
            what = "its open flags and system call numbers for this architecture are not known to jaio";
        } else if (library.isEmpty()) {
            what = "its C library is neither glibc nor musl, so the layouts it uses are not verified";
        } else {
            what = "jaio's values are checked against glibc on x86_64 and aarch64 and against musl on x86_64,"
                    + " but not against musl's aarch64 headers (no musl cross compiler to check them with)";
        }
        return "jaio runs on Linux x86_64 and aarch64 with glibc, and on Linux x86_64 with musl (io_uring and"
                + " threads engines); this is " + describe(osName, osArch, library) + ": " + what
                + ", so jaio refuses to guess them";
    }

    private static String describe(String osName, String osArch, Optional<CLibrary> library) {
        return osName + " " + osArch + library.map(l -> " (" + l + ")").orElse(isLinux(osName)
                ? " (a C library other than glibc or musl)" : "");
    }

    private static boolean isLinux(String osName) {
        return osName.toLowerCase(Locale.ROOT).startsWith("linux");
    }
}
