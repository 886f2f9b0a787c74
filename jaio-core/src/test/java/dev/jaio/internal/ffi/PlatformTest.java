package dev.jaio.internal.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What jaio decides for each platform description ({@code os.name}, {@code os.arch}, C library),
 * including those this machine is not, and how it recognizes the C library.
 */
class PlatformTest {
    private static final Optional<CLibrary> GLIBC = Optional.of(CLibrary.GLIBC);
    private static final Optional<CLibrary> MUSL = Optional.of(CLibrary.MUSL);

    @Test
    void platformsOfEachDescription() {
        assertEquals(Platform.LINUX_X86_64_GLIBC, Platform.of("Linux", "amd64", GLIBC));
        assertEquals(Platform.LINUX_AARCH64_GLIBC, Platform.of("Linux", "aarch64", GLIBC));
        assertEquals(Platform.LINUX_X86_64_MUSL, Platform.of("Linux", "amd64", MUSL));
        assertEquals(Platform.UNSUPPORTED, Platform.of("Linux", "aarch64", MUSL), "musl aarch64 is not verified");
        assertEquals(Platform.UNSUPPORTED, Platform.of("Linux", "riscv64", GLIBC));
        assertEquals(Platform.UNSUPPORTED, Platform.of("Linux", "amd64", Optional.empty()));
        assertEquals(Platform.UNSUPPORTED, Platform.of("Mac OS X", "aarch64", Optional.empty()));
        assertEquals(Platform.UNSUPPORTED, Platform.of("FreeBSD", "amd64", Optional.empty()));
    }

    @Test
    void glibcRunsEveryEngine() {
        for (Platform p : List.of(Platform.LINUX_X86_64_GLIBC, Platform.LINUX_AARCH64_GLIBC)) {
            for (String engine : List.of("io_uring", "threads", "posix")) {
                assertEquals(Optional.empty(), p.engineRefusal(engine), p + " " + engine);
            }
        }
    }

    @Test
    void muslRunsIoUringAndThreadsAndRefusesPosixSayingWhy() {
        assertEquals(Optional.empty(), Platform.LINUX_X86_64_MUSL.engineRefusal("io_uring"));
        assertEquals(Optional.empty(), Platform.LINUX_X86_64_MUSL.engineRefusal("threads"));
        String why = Platform.LINUX_X86_64_MUSL.engineRefusal("posix").orElseThrow();
        assertTrue(why.contains("musl") && why.contains("x86_64") && why.contains("POSIX AIO")
                && why.contains("io_uring or threads"), why);
        assertEquals(CLibrary.MUSL, Platform.LINUX_X86_64_MUSL.library());
        assertEquals(Architecture.X86_64, Platform.LINUX_X86_64_MUSL.architecture());
    }

    @Test
    void refusalsNameThePlatformAndWhatIsMissing() {
        String muslArm = Platform.unsupportedReason("Linux", "aarch64", MUSL);
        assertTrue(muslArm.contains("Linux aarch64 (musl)") && muslArm.contains("musl's aarch64 headers"), muslArm);
        String riscv = Platform.unsupportedReason("Linux", "riscv64", GLIBC);
        assertTrue(riscv.contains("Linux riscv64 (glibc)") && riscv.contains("system call numbers"), riscv);
        String other = Platform.unsupportedReason("Linux", "amd64", Optional.empty());
        assertTrue(other.contains("neither glibc nor musl"), other);
        String mac = Platform.unsupportedReason("Mac OS X", "aarch64", Optional.empty());
        assertTrue(mac.contains("Mac OS X aarch64") && mac.contains("Linux's"), mac);
    }

    @Test
    void cLibraryFromTheMappedFiles() {
        String musl = """
                7f3a1c000000-7f3a1c014000 r--p 00000000 08:01 1234 /lib/ld-musl-x86_64.so.1
                7ffd2a1e0000-7ffd2a201000 rw-p 00000000 00:00 0 [stack]
                """;
        String glibc = """
                7f3a1c000000-7f3a1c028000 r--p 00000000 08:01 1234 /usr/lib/x86_64-linux-gnu/libc.so.6
                """;
        assertEquals(MUSL, CLibrary.fromMappedFiles(musl));
        assertEquals(GLIBC, CLibrary.fromMappedFiles(glibc));
        assertEquals(Optional.empty(), CLibrary.fromMappedFiles("00400000-00452000 r-xp 00000000 08:02 173521 /bin/x\n"));
    }

    @Test
    void thisMachineIsLinuxWithGlibc() throws Exception {
        assertEquals(GLIBC, CLibrary.detect());
        assertEquals(GLIBC, CLibrary.fromMappedFiles(Files.readString(Path.of("/proc/self/maps"))));
        assertEquals(CLibrary.GLIBC, Platform.current().library());
        assertTrue(Platform.describe().endsWith("(glibc)"), Platform.describe());
    }
}
