package dev.jaio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.AioProbe;
import dev.jaio.internal.ffi.SystemInfo;
import dev.jaio.internal.ffi.CLibrary;
import dev.jaio.testing.CProbe;
import dev.jaio.testing.CTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link AioProbe}'s facts against what C says on this machine. */
class ProbeFactsTest {

    /**
     * {@code struct statx} as glibc declares it (the kernel's), and the constants jaio passes with
     * it, for each target. musl 1.2.3 declares no {@code struct statx} (musl 1.2.5 added it);
     * jaio makes the raw system call there too, so musl is held only to the constants.
     */
    @ParameterizedTest
    @EnumSource(CTarget.class)
    void statxAndSysconfLayoutMatchC(CTarget target) {
        boolean glibc = target.library() == CLibrary.GLIBC;
        Map<String, Long> c = CProbe.run(target, CProbe.header("sys/stat.h", "fcntl.h", "unistd.h") + """
                int main(void) {
                #ifdef STATX_DIOALIGN
                    SIZE(struct statx);
                    OFF(struct statx, stx_mask);
                    OFF(struct statx, stx_dio_mem_align);
                    OFF(struct statx, stx_dio_offset_align);
                    FSIZE(struct statx, stx_dio_mem_align);
                    CONST(STATX_DIOALIGN);
                #endif
                    CONST(AT_FDCWD);
                    CONST(_SC_AIO_PRIO_DELTA_MAX);
                    return 0;
                }
                """);
        if (glibc) {
            assertEquals(c.get("sizeof.struct statx"), SystemInfo.STATX_SIZE);
            assertEquals(c.get("offsetof.struct statx.stx_mask"), SystemInfo.STX_MASK);
            assertEquals(c.get("offsetof.struct statx.stx_dio_mem_align"), SystemInfo.STX_DIO_MEM_ALIGN);
            assertEquals(c.get("offsetof.struct statx.stx_dio_offset_align"), SystemInfo.STX_DIO_OFFSET_ALIGN);
            assertEquals(4L, c.get("fieldsize.struct statx.stx_dio_mem_align"));
            assertEquals(c.get("const.STATX_DIOALIGN"), (long) SystemInfo.STATX_DIOALIGN);
        }
        assertEquals(c.get("const.AT_FDCWD"), (long) SystemInfo.AT_FDCWD, target.toString());
        assertEquals(c.get("const._SC_AIO_PRIO_DELTA_MAX"), (long) SystemInfo.SC_AIO_PRIO_DELTA_MAX, target.toString());
    }

    /**
     * The names up to the header's {@code IORING_OP_LAST} (the machine's kernel headers may be
     * older than jaio's list) are the header's, at the same numbers.
     */
    @Test
    void ioUringOpcodeNamesMatchTheHeader() {
        List<String> names = ProbeFacts.knownIoUringOpNames();
        long last = CProbe.run(CProbe.header("linux/io_uring.h") + """
                int main(void) {
                    CONST(IORING_OP_LAST);
                    return 0;
                }
                """).get("const.IORING_OP_LAST");
        assertTrue(last >= 49 && last <= names.size(), "IORING_OP_LAST of the header: " + last + ", names: " + names.size());
        StringBuilder main = new StringBuilder("int main(void) {\n");
        for (String n : names.subList(0, (int) last)) {
            main.append("    CONST(IORING_OP_").append(n).append(");\n");
        }
        main.append("    return 0;\n}\n");
        Map<String, Long> c = CProbe.run(CProbe.header("linux/io_uring.h") + main);
        for (int i = 0; i < last; i++) {
            assertEquals(i, c.get("const.IORING_OP_" + names.get(i)), names.get(i));
        }
    }

    /** Every opcode the running kernel supports has its name, not a number ({@code OP_49}). */
    @Test
    void everyOpcodeOfThisKernelHasAName() {
        List<String> ops = AioProbe.ioUringOpcodes();
        assertTrue(ops.stream().noneMatch(op -> op.startsWith("OP_")),
                "kernel " + AioProbe.kernelRelease() + " has opcodes jaio cannot name: " + ops);
    }

    @Test
    void factsOfThisMachine() throws Exception {
        Map<String, String> c = CProbe.runText(CProbe.header("gnu/libc-version.h", "unistd.h") + """
                int main(void) {
                    printf("version %s\\n", gnu_get_libc_version());
                    printf("prio %ld\\n", sysconf(_SC_AIO_PRIO_DELTA_MAX));
                    return 0;
                }
                """);
        assertEquals("glibc " + c.get("version"), AioProbe.libc(), "jaio probe's C-library line");
        assertEquals(Long.parseLong(c.get("prio")), AioProbe.aioPrioDeltaMax());
        assertTrue(AioProbe.nativeAccessEnabled());
        assertEquals("--enable-native-access=ALL-UNNAMED", AioProbe.nativeAccessFlag());
        List<AioProbe.EngineStatus> engines = AioProbe.engines();
        assertEquals(List.of("io_uring", "threads", "posix"), engines.stream().map(AioProbe.EngineStatus::name).toList());
        assertTrue(engines.stream().allMatch(AioProbe.EngineStatus::works), engines.toString());
        assertTrue(AioProbe.ioUringOpcodes().containsAll(List.of("READ", "WRITE", "READV", "WRITEV", "FSYNC",
                "ASYNC_CANCEL")), AioProbe.ioUringOpcodes().toString());
        assertEquals(Optional.empty(), AioProbe.ioUringRefusal());
    }

    /** jaio's raw statx system call answers what glibc's statx() answers for the same file. */
    @Test
    void directIoAlignmentIsWhatCsStatxSays(@TempDir Path dir) throws Exception {
        Path file = Files.createTempFile(dir, "f", ".bin");
        Map<String, Long> c = CProbe.run(CProbe.header("sys/stat.h", "fcntl.h", "string.h") + """
                int main(void) {
                    struct statx stx;
                    memset(&stx, 0, sizeof stx);
                    if (statx(AT_FDCWD, %s, 0, STATX_DIOALIGN, &stx) != 0) {
                        perror("statx");
                        return 1;
                    }
                    printf("told %%d\\n", (stx.stx_mask & STATX_DIOALIGN) != 0);
                    printf("memory %%u\\n", stx.stx_dio_mem_align);
                    printf("offset %%u\\n", stx.stx_dio_offset_align);
                    return 0;
                }
                """.formatted(CProbe.cString(file.toString())));
        Optional<AioProbe.DirectIoAlignment> expected = c.get("told") == 1
                ? Optional.of(new AioProbe.DirectIoAlignment(c.get("memory"), c.get("offset")))
                : Optional.empty();
        assertEquals(expected, AioProbe.directIoAlignment(file));
    }

    @Test
    void directIoAlignmentOfARealFileSystem(@TempDir Path dir) throws Exception {
        Optional<AioProbe.DirectIoAlignment> a = AioProbe.directIoAlignment(dir);
        Path file = Files.createTempFile(dir, "f", ".bin");
        Optional<AioProbe.DirectIoAlignment> b = AioProbe.directIoAlignment(file);
        assertEquals(a, b, "a directory is answered for a file in it");
        a.ifPresent(al -> assertTrue(al.memoryAlignment() == 0 || Long.bitCount(al.memoryAlignment()) == 1, al.toString()));
    }
}
