package dev.jaio.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jaio.testing.CProbe;
import dev.jaio.testing.CTarget;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The constants and the {@code struct loop_config} offsets of {@link LinuxCalls}, held against
 * the C headers of glibc on x86_64 and on aarch64 (built with the cross compiler, run under
 * qemu-user): a wrong offset would configure a loop device over the wrong descriptor, a wrong
 * ioctl number would ask a driver for something else. The reliability suite runs on glibc only
 * ({@code mallinfo2} is glibc's), so musl is not a target here.
 */
class LinuxCallsMatchCTest {

    @ParameterizedTest
    @EnumSource(value = CTarget.class, names = {"GLIBC_X86_64", "GLIBC_AARCH64"})
    void constantsAndLayoutsAgreeWithTheHeaders(CTarget target) {
        Map<String, Long> c = CProbe.run(target, CProbe.header("fcntl.h", "sys/mman.h", "sys/mount.h", "linux/loop.h",
                "malloc.h") + """
                int main(void) {
                    CONST(O_RDONLY); CONST(O_RDWR); CONST(O_CLOEXEC); CONST(F_DUPFD_CLOEXEC);
                    CONST(MFD_CLOEXEC); CONST(MFD_ALLOW_SEALING);
                    CONST(F_ADD_SEALS); CONST(F_SEAL_SHRINK); CONST(F_SEAL_GROW);
                    CONST(LOOP_CTL_GET_FREE); CONST(LOOP_CONFIGURE); CONST(LO_FLAGS_AUTOCLEAR);
                    CONST(MNT_DETACH);
                    SIZE(struct loop_config);
                    OFF(struct loop_config, fd);
                    OFF(struct loop_config, block_size);
                    OFF(struct loop_config, info.lo_flags);
                    SIZE(struct mallinfo2);
                    OFF(struct mallinfo2, hblkhd);
                    OFF(struct mallinfo2, uordblks);
                    return 0;
                }
                """);
        assertEquals(LinuxCalls.O_RDONLY, c.get("const.O_RDONLY"));
        assertEquals(LinuxCalls.O_RDWR, c.get("const.O_RDWR"));
        assertEquals(LinuxCalls.O_CLOEXEC, c.get("const.O_CLOEXEC"));
        assertEquals(LinuxCalls.F_DUPFD_CLOEXEC, c.get("const.F_DUPFD_CLOEXEC"));
        assertEquals(LinuxCalls.MFD_CLOEXEC, c.get("const.MFD_CLOEXEC"));
        assertEquals(LinuxCalls.MFD_ALLOW_SEALING, c.get("const.MFD_ALLOW_SEALING"));
        assertEquals(LinuxCalls.F_ADD_SEALS, c.get("const.F_ADD_SEALS"));
        assertEquals(LinuxCalls.F_SEAL_SHRINK, c.get("const.F_SEAL_SHRINK"));
        assertEquals(LinuxCalls.F_SEAL_GROW, c.get("const.F_SEAL_GROW"));
        assertEquals(LinuxCalls.LOOP_CTL_GET_FREE, c.get("const.LOOP_CTL_GET_FREE"));
        assertEquals(LinuxCalls.LOOP_CONFIGURE, c.get("const.LOOP_CONFIGURE"));
        assertEquals(LinuxCalls.LO_FLAGS_AUTOCLEAR, c.get("const.LO_FLAGS_AUTOCLEAR"));
        assertEquals(LinuxCalls.MNT_DETACH, c.get("const.MNT_DETACH"));
        assertEquals(LinuxCalls.LOOP_CONFIG_SIZE, c.get("sizeof.struct loop_config"));
        assertEquals(LinuxCalls.LOOP_CONFIG_FD, c.get("offsetof.struct loop_config.fd"));
        assertEquals(LinuxCalls.LOOP_CONFIG_BLOCK_SIZE, c.get("offsetof.struct loop_config.block_size"));
        assertEquals(LinuxCalls.LOOP_CONFIG_LO_FLAGS, c.get("offsetof.struct loop_config.info.lo_flags"));
        assertEquals(LinuxCalls.MALLINFO2.byteSize(), c.get("sizeof.struct mallinfo2"));
        assertEquals(LinuxCalls.MALLINFO2.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("hblkhd")),
                c.get("offsetof.struct mallinfo2.hblkhd"));
        assertEquals(LinuxCalls.MALLINFO2.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("uordblks")),
                c.get("offsetof.struct mallinfo2.uordblks"));
    }
}
