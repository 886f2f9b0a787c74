package dev.jaio.testing;

import dev.jaio.internal.ffi.Architecture;
import dev.jaio.internal.ffi.CLibrary;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * A C library on an architecture that {@link CProbe} can compile for and run on this machine,
 * so that one layout test checks jaio's values for every platform jaio knows, not only for the
 * machine that builds it.
 *
 * <ul>
 *   <li>the machine's own architecture with glibc: {@code gcc}, run directly. Required: without it
 *       a probe fails, as it always did.</li>
 *   <li>the other architecture with glibc: the Debian cross compiler
 *       ({@code aarch64-linux-gnu-gcc} from {@code gcc-aarch64-linux-gnu} and
 *       {@code libc6-dev-arm64-cross}), linked {@code -static} so that no foreign dynamic loader is
 *       needed, run under {@code qemu-aarch64-static} ({@code qemu-user-static}).</li>
 *   <li>musl on the machine's architecture: {@code musl-gcc} ({@code musl-tools}), linked
 *       {@code -static}, run directly. musl-gcc sees only musl's headers; a probe that needs the
 *       kernel's ({@code <linux/...>}) cannot be built for it.</li>
 * </ul>
 * An optional target whose tools are missing is skipped through a JUnit assumption whose message
 * names the Debian packages to install ({@code .ci/run} installs them).
 *
 * <p>Immutable; the tool look-up reads {@code PATH} once per call.
 */
public enum CTarget {
    GLIBC_X86_64(Architecture.X86_64, CLibrary.GLIBC),
    GLIBC_AARCH64(Architecture.AARCH64, CLibrary.GLIBC),
    MUSL_X86_64(Architecture.X86_64, CLibrary.MUSL);

    private final Architecture architecture;
    private final CLibrary library;

    CTarget(Architecture architecture, CLibrary library) {
        this.architecture = architecture;
        this.library = library;
    }

    /** The architecture the target's programs are built for. */
    public Architecture architecture() {
        return architecture;
    }

    /** The C library the target's programs are built against. */
    public CLibrary library() {
        return library;
    }

    /** The architecture of the machine running the tests, or empty on one jaio does not know. */
    static Optional<Architecture> host() {
        return Architecture.of(System.getProperty("os.arch", "?"));
    }

    /**
     * The machine's own target: glibc on its architecture, built with {@code gcc} (x86_64 where
     * the architecture is one jaio does not know, so that the probe still runs with gcc).
     */
    public static CTarget ofHost() {
        Architecture arch = host().orElse(Architecture.X86_64);
        for (CTarget t : values()) {
            if (t.library == CLibrary.GLIBC && t.architecture == arch) {
                return t;
            }
        }
        throw new IllegalStateException("no glibc target for " + arch);
    }

    /** Whether this is the machine's own compiler (glibc, native architecture): never skipped. */
    public boolean isHost() {
        return this == ofHost();
    }

    /**
     * The compiler command, without the source and output: {@code gcc -O0} for the host; the
     * cross compiler or {@code musl-gcc}, {@code -static}, for the others.
     */
    List<String> compiler() {
        List<String> cmd = new ArrayList<>();
        if (isHost()) {
            cmd.add("gcc");
        } else if (library == CLibrary.MUSL) {
            cmd.add("musl-gcc");
            cmd.add("-static");
        } else {
            cmd.add(crossCompiler());
            cmd.add("-static");
        }
        cmd.add("-O0");
        return cmd;
    }

    /** The program that runs a binary of this target here (empty: run it directly). */
    List<String> runner() {
        return isHost() || host().orElse(null) == architecture ? List.of() : List.of(emulator());
    }

    /** {@code aarch64-linux-gnu-gcc}: Debian's name, the GNU triplet of the target. */
    private String crossCompiler() {
        return architecture.gnuName() + "-linux-gnu-gcc";
    }

    private String emulator() {
        return "qemu-" + architecture.gnuName() + "-static";
    }

    /**
     * Why this target cannot be probed here, or empty when it can: a missing compiler or
     * emulator, named with the Debian package that provides it.
     */
    public Optional<String> missingTools() {
        return missingTools(System.getenv("PATH"));
    }

    /** {@link #missingTools()} with {@code path} as the {@code PATH}. */
    Optional<String> missingTools(String path) {
        if (isHost()) {
            return Optional.empty(); // CProbe fails with the install hint if gcc is missing
        }
        if (host().isEmpty()) {
            return Optional.of("this machine's architecture (" + System.getProperty("os.arch")
                    + ") is not one jaio knows, so no " + this + " binary can run here");
        }
        List<String> missing = new ArrayList<>();
        if (library == CLibrary.MUSL) {
            if (host().get() != architecture) {
                return Optional.of(this + " needs a musl cross compiler, which Debian does not package");
            }
            if (!onPath(path, "musl-gcc")) {
                missing.add("musl-gcc (apt-get install musl-tools)");
            }
        } else {
            if (!onPath(path, crossCompiler())) {
                missing.add(crossCompiler() + " (apt-get install gcc-" + architecture.gnuName()
                        + "-linux-gnu libc6-dev-" + architecture.debianName() + "-cross)");
            }
            if (!onPath(path, emulator())) {
                missing.add(emulator() + " (apt-get install qemu-user-static)");
            }
        }
        return missing.isEmpty() ? Optional.empty()
                : Optional.of(this + " is not checked: " + String.join(" and ", missing) + " not found on the PATH");
    }

    /**
     * Skips the calling test (a JUnit assumption, reported with the reason) when
     * {@link #missingTools()} says this target cannot be probed here.
     */
    public void assumeTools() {
        Optional<String> missing = missingTools();
        Assumptions.assumeTrue(missing.isEmpty(), () -> missing.orElse(""));
    }

    /** "glibc aarch64": for messages. */
    @Override
    public String toString() {
        return library.toString().toLowerCase(Locale.ROOT) + " " + architecture.gnuName();
    }

    private static boolean onPath(String path, String program) {
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return true;
            }
        }
        return false;
    }
}
