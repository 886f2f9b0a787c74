package dev.jaio.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.internal.ffi.Architecture;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How {@link CTarget} builds and runs probes, and what it says when its tools are missing. */
class CTargetTest {

    @Test
    void theMachinesOwnTargetIsGccAndRunsDirectly() {
        CTarget host = CTarget.ofHost();
        assertTrue(host.isHost());
        assertEquals(List.of("gcc", "-O0"), host.compiler());
        assertEquals(List.of(), host.runner());
        assertEquals(Optional.empty(), host.missingTools(""), "the host target fails, never skips");
    }

    @Test
    void aarch64IsBuiltStaticWithTheCrossCompilerAndRunUnderQemu() {
        if (CTarget.ofHost() != CTarget.GLIBC_X86_64) {
            return; // the commands below are those of an x86_64 machine
        }
        assertEquals(List.of("aarch64-linux-gnu-gcc", "-static", "-O0"), CTarget.GLIBC_AARCH64.compiler());
        assertEquals(List.of("qemu-aarch64-static"), CTarget.GLIBC_AARCH64.runner());
        assertEquals(List.of("musl-gcc", "-static", "-O0"), CTarget.MUSL_X86_64.compiler());
        assertEquals(List.of(), CTarget.MUSL_X86_64.runner());
        assertEquals(Architecture.AARCH64, CTarget.GLIBC_AARCH64.architecture());
    }

    @Test
    void missingToolsAreNamedWithTheirDebianPackages() {
        if (CTarget.ofHost() != CTarget.GLIBC_X86_64) {
            return;
        }
        String arm = CTarget.GLIBC_AARCH64.missingTools("/nonexistent").orElseThrow();
        assertEquals("glibc aarch64 is not checked: aarch64-linux-gnu-gcc (apt-get install gcc-aarch64-linux-gnu"
                + " libc6-dev-arm64-cross) and qemu-aarch64-static (apt-get install qemu-user-static) not found on"
                + " the PATH", arm);
        String musl = CTarget.MUSL_X86_64.missingTools("/nonexistent").orElseThrow();
        assertEquals("musl x86_64 is not checked: musl-gcc (apt-get install musl-tools) not found on the PATH", musl);
    }
}
