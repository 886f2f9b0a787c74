package dev.jaio.internal.ffi;

import java.io.IOException;
import java.lang.foreign.Linker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The C libraries jaio recognizes on Linux. Recognizing one says nothing yet about what jaio
 * does there: {@link Platform} decides that.
 *
 * <p>Immutable; {@link #detect()} is thread-safe.
 */
public enum CLibrary {
    /** The GNU C library: Debian, Ubuntu, Fedora, RHEL and most other distributions. */
    GLIBC,
    /** musl: Alpine Linux and the containers built on it. */
    MUSL;

    @Override
    public String toString() {
        return this == GLIBC ? "glibc" : "musl";
    }

    /**
     * The C library this process runs on, without a native call: glibc exports
     * {@code gnu_get_libc_version}; musl has no such function, but its dynamic loader, which is
     * also the library, is mapped from a file called {@code ld-musl-<arch>.so.1}.
     *
     * @return the C library, or empty when it is neither
     */
    public static Optional<CLibrary> detect() {
        if (exportsGlibcVersion()) {
            return Optional.of(GLIBC);
        }
        try {
            return fromMappedFiles(Files.readString(Path.of("/proc/self/maps")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The C library named by the file paths of a {@code /proc/<pid>/maps} text: musl when one
     * ends in {@code /ld-musl-<arch>.so.1}, glibc when one ends in {@code /libc.so.6}.
     *
     * @param maps the text of a {@code /proc/<pid>/maps} file
     * @return the C library, or empty when no mapped file names one
     */
    static Optional<CLibrary> fromMappedFiles(String maps) {
        for (String line : maps.lines().toList()) {
            int slash = line.lastIndexOf('/');
            if (slash < 0) {
                continue;
            }
            String file = line.substring(slash + 1);
            if (file.startsWith("ld-musl-") && file.endsWith(".so.1")) {
                return Optional.of(MUSL);
            }
            if (file.equals("libc.so.6")) {
                return Optional.of(GLIBC);
            }
        }
        return Optional.empty();
    }

    private static boolean exportsGlibcVersion() {
        try {
            return Linker.nativeLinker().defaultLookup().find("gnu_get_libc_version").isPresent();
        } catch (RuntimeException e) {
            return false;
        }
    }
}
