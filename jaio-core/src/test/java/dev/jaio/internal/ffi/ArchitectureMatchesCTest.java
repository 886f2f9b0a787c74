package dev.jaio.internal.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.testing.CProbe;
import dev.jaio.testing.CTarget;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Holds every value of {@link Architecture} against {@code <fcntl.h>} and {@code <sys/syscall.h>}
 * as each {@link CTarget} compiles them: glibc x86_64 (gcc), glibc aarch64 (cross compiler, run
 * under qemu-user) and musl x86_64 ({@code musl-gcc}); a target whose tools are missing is
 * skipped with the packages to install.
 */
class ArchitectureMatchesCTest {

    private static final Map<CTarget, Map<String, Long>> C = new ConcurrentHashMap<>();

    /** One probe per target, compiled once for the whole class. */
    private static Map<String, Long> c(CTarget target) {
        return C.computeIfAbsent(target, t -> CProbe.run(t, CProbe.header("fcntl.h", "sys/syscall.h") + """
                int main(void) {
                    CONST(O_DIRECT);
                    CONST(O_DIRECTORY);
                    CONST(__NR_statx);
                    CONST(__NR_io_uring_setup);
                    CONST(__NR_io_uring_enter);
                    CONST(__NR_io_uring_register);
                    return 0;
                }
                """));
    }

    @ParameterizedTest
    @EnumSource(CTarget.class)
    void everyValueMatchesTheHeadersOfItsArchitecture(CTarget target) {
        Architecture arch = target.architecture();
        Map<String, Long> java = new LinkedHashMap<>();
        java.put("const.O_DIRECT", (long) arch.oDirect);
        java.put("const.__NR_statx", arch.nrStatx);
        java.put("const.__NR_io_uring_setup", arch.nrIoUringSetup);
        java.put("const.__NR_io_uring_enter", arch.nrIoUringEnter);
        java.put("const.__NR_io_uring_register", arch.nrIoUringRegister);
        Map<String, Long> c = c(target);
        Map<String, String> wrong = new LinkedHashMap<>();
        java.forEach((key, value) -> {
            if (!value.equals(c.get(key))) {
                wrong.put(key, "Architecture." + arch + " says " + value + ", " + target + " says " + c.get(key));
            }
        });
        assertTrue(wrong.isEmpty(), "Architecture differs from C: " + wrong);
        // The flag jaio must never send for O_DIRECT: on aarch64 040000 opens only directories.
        assertNotEquals(c.get("const.O_DIRECTORY"), (long) arch.oDirect, "O_DIRECT is O_DIRECTORY on " + target);
    }

    @Test
    void thisMachineUsesItsOwnArchitecture() {
        CTarget host = CTarget.ofHost();
        assertEquals(host.architecture(), Platform.current().architecture());
        assertEquals(host.architecture().oDirect, Libc.O_DIRECT);
        assertEquals(host.architecture().nrStatx, SystemInfo.NR_STATX);
        assertEquals(host.architecture().nrIoUringEnter, Syscall.NR_IO_URING_ENTER);
    }

    @Test
    void javaNamesOfTheArchitectures() {
        assertEquals(Architecture.X86_64, Architecture.of("amd64").orElseThrow());
        assertEquals(Architecture.X86_64, Architecture.of("x86_64").orElseThrow());
        assertEquals(Architecture.AARCH64, Architecture.of("aarch64").orElseThrow());
        assertEquals(Architecture.AARCH64, Architecture.of("arm64").orElseThrow());
        assertTrue(Architecture.of("riscv64").isEmpty());
        assertTrue(Architecture.of("ppc64le").isEmpty());
    }
}
