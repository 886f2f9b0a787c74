package dev.jaio.internal.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jaio.Errno;
import dev.jaio.internal.ffi.IoUringAbi;
import dev.jaio.internal.ffi.Mman;
import dev.jaio.internal.ffi.Syscall;
import dev.jaio.testing.CProbe;
import dev.jaio.testing.CTarget;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Holds {@link IoUringAbi}, {@link Syscall}'s numbers and {@link Mman}'s constants against
 * {@code <linux/io_uring.h>}, {@code <sys/syscall.h>} and {@code <sys/mman.h>} for x86_64 (gcc)
 * and aarch64 (the cross compiler's headers, the program run under qemu-user).
 *
 * <p>Every named member of every Java layout (through anonymous unions, into nested structs) is
 * printed by C with {@code offsetof} and {@code sizeof}, so a wrong offset, a wrong width (a
 * {@code __u32} flag kept in a byte) or a missing padding field fails here. The named offset
 * constants and every constant the ring layer uses are checked one by one. All differences are
 * reported together.
 */
class IoUringLayoutTest {

    private static final List<StructLayout> LAYOUTS = List.of(IoUringAbi.IO_URING_SQE, IoUringAbi.IO_URING_CQE,
            IoUringAbi.IO_SQRING_OFFSETS, IoUringAbi.IO_CQRING_OFFSETS, IoUringAbi.IO_URING_PARAMS,
            IoUringAbi.IO_URING_PROBE, IoUringAbi.IO_URING_PROBE_OP,
            IoUringAbi.IO_URING_FILES_UPDATE);

    /** A member of a Java layout: its C path ({@code sq_off.head}), offset and size. */
    private record Field(String struct, String path, long offset, long size) {
    }

    private static final String[] HEADERS = {"linux/io_uring.h", "sys/syscall.h", "sys/mman.h", "errno.h"};

    private static final Map<CTarget, Map<String, Long>> C = new ConcurrentHashMap<>();

    /**
     * By target, the constants that the machine's own headers define as macros and the target's
     * headers do not define at all: Debian's aarch64 cross headers can be older than the
     * machine's (linux-libc-dev-arm64-cross 6.1.4 beside linux-libc-dev 6.1.187 on Debian 12,
     * whose stable updates added IORING_ASYNC_CANCEL_USERDATA). Those are checked on the machine's
     * architecture only, and listed in the test's output; the kernel's io_uring constants are
     * the same on every architecture.
     */
    private static final Map<CTarget, Set<String>> ABSENT = new ConcurrentHashMap<>();

    /**
     * One probe per target, compiled once for the class. The kernel's headers are the same
     * whatever the C library, and musl-gcc does not see them, so the targets are glibc's:
     * x86_64, and aarch64 through the cross compiler and qemu-user.
     */
    private static Map<String, Long> c(CTarget target) {
        return C.computeIfAbsent(target, IoUringLayoutTest::probeC);
    }

    private static Map<String, Long> probeC(CTarget target) {
        Set<String> absent = new TreeSet<>();
        if (!target.isHost()) {
            Set<String> targetMacros = CProbe.macros(target, HEADERS).keySet();
            Set<String> hostMacros = CProbe.macros(CTarget.ofHost(), HEADERS).keySet();
            for (String name : constants(target).keySet()) {
                if (hostMacros.contains(name) && !targetMacros.contains(name)) {
                    absent.add(name);
                }
            }
        }
        ABSENT.put(target, absent);
        StringBuilder src = new StringBuilder(CProbe.header(HEADERS));
        src.append("""
                /* Linux 6.5 renamed io_sqring_offsets.resv2 and io_cqring_offsets.resv2 to user_addr. */
                #ifndef IORING_SETUP_NO_MMAP
                #define user_addr resv2
                #endif
                int main(void) {
                """);
        for (StructLayout layout : LAYOUTS) {
            String type = "struct " + layout.name().orElseThrow();
            src.append("    SIZE(").append(type).append(");\n");
            src.append("    ALIGN(").append(type).append(");\n");
            for (Field f : fields(layout)) {
                src.append("    OFF(").append(type).append(", ").append(f.path()).append(");\n");
                src.append("    FSIZE(").append(type).append(", ").append(f.path()).append(");\n");
            }
        }
        src.append("    OFF(struct io_uring_probe, ops);\n");
        for (String name : constants(target).keySet()) {
            if (!absent.contains(name)) {
                src.append("    CONST(").append(name).append(");\n");
            }
        }
        src.append("    return 0;\n}\n");
        return CProbe.run(target, src.toString());
    }

    @ParameterizedTest
    @EnumSource(value = CTarget.class, names = {"GLIBC_X86_64", "GLIBC_AARCH64"})
    void everyLayoutMemberMatchesC(CTarget target) {
        Map<String, Long> c = c(target);
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (StructLayout layout : LAYOUTS) {
            String type = "struct " + layout.name().orElseThrow();
            checked += compare(c, wrong, "sizeof." + type, layout.byteSize());
            checked += compare(c, wrong, "alignof." + type, layout.byteAlignment());
            for (Field f : fields(layout)) {
                checked += compare(c, wrong, "offsetof." + type + "." + f.path(), f.offset());
                checked += compare(c, wrong, "fieldsize." + type + "." + f.path(), f.size());
            }
        }
        assertTrue(wrong.isEmpty(), "Java layouts differ from <linux/io_uring.h> of " + target + ":\n  "
                + String.join("\n  ", wrong));
        assertTrue(checked > 100, "only " + checked + " layout facts checked");
    }

    @ParameterizedTest
    @EnumSource(value = CTarget.class, names = {"GLIBC_X86_64", "GLIBC_AARCH64"})
    void namedOffsetsMatchC(CTarget target) {
        Map<String, Long> c = c(target);
        Map<String, Long> java = new LinkedHashMap<>();
        String sqe = "offsetof.struct io_uring_sqe.";
        java.put("sizeof.struct io_uring_sqe", IoUringAbi.SQE_SIZE);
        java.put(sqe + "opcode", IoUringAbi.SQE_OPCODE);
        java.put(sqe + "flags", IoUringAbi.SQE_FLAGS);
        java.put(sqe + "ioprio", IoUringAbi.SQE_IOPRIO);
        java.put(sqe + "fd", IoUringAbi.SQE_FD);
        java.put(sqe + "off", IoUringAbi.SQE_OFF);
        java.put(sqe + "addr", IoUringAbi.SQE_ADDR);
        java.put(sqe + "len", IoUringAbi.SQE_LEN);
        java.put(sqe + "rw_flags", IoUringAbi.SQE_RW_FLAGS);
        java.put(sqe + "fsync_flags", IoUringAbi.SQE_FSYNC_FLAGS);
        java.put(sqe + "cancel_flags", IoUringAbi.SQE_CANCEL_FLAGS);
        java.put(sqe + "user_data", IoUringAbi.SQE_USER_DATA);
        java.put(sqe + "buf_index", IoUringAbi.SQE_BUF_INDEX);
        java.put(sqe + "personality", IoUringAbi.SQE_PERSONALITY);
        java.put(sqe + "file_index", IoUringAbi.SQE_FILE_INDEX);
        java.put(sqe + "addr3", IoUringAbi.SQE_ADDR3);
        java.put(sqe + "__pad2", IoUringAbi.SQE_PAD2);
        String cqe = "offsetof.struct io_uring_cqe.";
        java.put("sizeof.struct io_uring_cqe", IoUringAbi.CQE_SIZE);
        java.put(cqe + "user_data", IoUringAbi.CQE_USER_DATA);
        java.put(cqe + "res", IoUringAbi.CQE_RES);
        java.put(cqe + "flags", IoUringAbi.CQE_FLAGS);
        String sq = "offsetof.struct io_sqring_offsets.";
        java.put(sq + "head", IoUringAbi.SQ_OFF_HEAD);
        java.put(sq + "tail", IoUringAbi.SQ_OFF_TAIL);
        java.put(sq + "ring_mask", IoUringAbi.SQ_OFF_RING_MASK);
        java.put(sq + "ring_entries", IoUringAbi.SQ_OFF_RING_ENTRIES);
        java.put(sq + "flags", IoUringAbi.SQ_OFF_FLAGS);
        java.put(sq + "dropped", IoUringAbi.SQ_OFF_DROPPED);
        java.put(sq + "array", IoUringAbi.SQ_OFF_ARRAY);
        String cq = "offsetof.struct io_cqring_offsets.";
        java.put(cq + "head", IoUringAbi.CQ_OFF_HEAD);
        java.put(cq + "tail", IoUringAbi.CQ_OFF_TAIL);
        java.put(cq + "ring_mask", IoUringAbi.CQ_OFF_RING_MASK);
        java.put(cq + "ring_entries", IoUringAbi.CQ_OFF_RING_ENTRIES);
        java.put(cq + "overflow", IoUringAbi.CQ_OFF_OVERFLOW);
        java.put(cq + "cqes", IoUringAbi.CQ_OFF_CQES);
        java.put(cq + "flags", IoUringAbi.CQ_OFF_FLAGS);
        String params = "offsetof.struct io_uring_params.";
        java.put("sizeof.struct io_uring_params", IoUringAbi.IO_URING_PARAMS.byteSize());
        java.put(params + "sq_entries", IoUringAbi.PARAMS_SQ_ENTRIES);
        java.put(params + "cq_entries", IoUringAbi.PARAMS_CQ_ENTRIES);
        java.put(params + "flags", IoUringAbi.PARAMS_FLAGS);
        java.put(params + "features", IoUringAbi.PARAMS_FEATURES);
        java.put(params + "sq_thread_idle", IoUringAbi.PARAMS_SQ_THREAD_IDLE);
        java.put(params + "wq_fd", IoUringAbi.PARAMS_WQ_FD);
        java.put(params + "sq_off", IoUringAbi.PARAMS_SQ_OFF);
        java.put(params + "cq_off", IoUringAbi.PARAMS_CQ_OFF);
        java.put("offsetof.struct io_uring_probe.last_op", IoUringAbi.PROBE_LAST_OP);
        java.put("offsetof.struct io_uring_probe.ops_len", IoUringAbi.PROBE_OPS_LEN);
        java.put("offsetof.struct io_uring_probe.ops", IoUringAbi.PROBE_OPS);
        java.put("sizeof.struct io_uring_probe_op", IoUringAbi.PROBE_OP_SIZE);
        java.put("offsetof.struct io_uring_files_update.offset", IoUringAbi.FILES_UPDATE_OFFSET);
        java.put("offsetof.struct io_uring_files_update.fds", IoUringAbi.FILES_UPDATE_FDS);
        java.put("offsetof.struct io_uring_probe_op.op", IoUringAbi.PROBE_OP_OP);
        java.put("offsetof.struct io_uring_probe_op.flags", IoUringAbi.PROBE_OP_FLAGS);

        List<String> wrong = new ArrayList<>();
        java.forEach((key, value) -> compare(c, wrong, key, value));
        assertTrue(wrong.isEmpty(), "named offsets differ from C of " + target + ":\n  " + String.join("\n  ", wrong));
        assertEquals(64, IoUringAbi.SQE_SIZE, "sizeof(struct io_uring_sqe)");
        assertEquals(16, IoUringAbi.CQE_SIZE, "sizeof(struct io_uring_cqe)");
    }

    @ParameterizedTest
    @EnumSource(value = CTarget.class, names = {"GLIBC_X86_64", "GLIBC_AARCH64"})
    void everyConstantMatchesC(CTarget target) {
        Map<String, Long> c = c(target);
        List<String> wrong = new ArrayList<>();
        Set<String> absent = ABSENT.get(target);
        constants(target).forEach((name, value) -> {
            if (!absent.contains(name)) {
                compare(c, wrong, "const." + name, value);
            }
        });
        if (!absent.isEmpty()) {
            System.out.println(target + ": not in its headers, checked on " + CTarget.ofHost() + " only: " + absent);
        }
        assertTrue(absent.size() < constants(target).size() / 4, "most constants missing from " + target + ": " + absent);
        assertTrue(wrong.isEmpty(), "constants differ from the C headers of " + target + ":\n  "
                + String.join("\n  ", wrong));
    }

    /**
     * Every constant of {@link IoUringAbi}, {@link Syscall} and {@link Mman}, by its C name; the
     * system call numbers are those of {@code target}'s architecture.
     */
    private static Map<String, Long> constants(CTarget target) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("IORING_OFF_SQ_RING", IoUringAbi.IORING_OFF_SQ_RING);
        m.put("IORING_OFF_CQ_RING", IoUringAbi.IORING_OFF_CQ_RING);
        m.put("IORING_OFF_SQES", IoUringAbi.IORING_OFF_SQES);
        m.put("IORING_SETUP_SQPOLL", (long) IoUringAbi.IORING_SETUP_SQPOLL);
        m.put("IORING_SETUP_ATTACH_WQ", (long) IoUringAbi.IORING_SETUP_ATTACH_WQ);
        m.put("IORING_FEAT_SQPOLL_NONFIXED", (long) IoUringAbi.IORING_FEAT_SQPOLL_NONFIXED);
        m.put("IORING_SETUP_CQSIZE", (long) IoUringAbi.IORING_SETUP_CQSIZE);
        m.put("IORING_SETUP_CLAMP", (long) IoUringAbi.IORING_SETUP_CLAMP);
        m.put("IORING_SETUP_SUBMIT_ALL", (long) IoUringAbi.IORING_SETUP_SUBMIT_ALL);
        m.put("IORING_SETUP_COOP_TASKRUN", (long) IoUringAbi.IORING_SETUP_COOP_TASKRUN);
        m.put("IORING_SETUP_TASKRUN_FLAG", (long) IoUringAbi.IORING_SETUP_TASKRUN_FLAG);
        m.put("IORING_SETUP_SINGLE_ISSUER", (long) IoUringAbi.IORING_SETUP_SINGLE_ISSUER);
        m.put("IORING_SETUP_DEFER_TASKRUN", (long) IoUringAbi.IORING_SETUP_DEFER_TASKRUN);
        m.put("IORING_FEAT_SINGLE_MMAP", (long) IoUringAbi.IORING_FEAT_SINGLE_MMAP);
        m.put("IORING_FEAT_NODROP", (long) IoUringAbi.IORING_FEAT_NODROP);
        m.put("IORING_FEAT_SUBMIT_STABLE", (long) IoUringAbi.IORING_FEAT_SUBMIT_STABLE);
        m.put("IORING_FEAT_RW_CUR_POS", (long) IoUringAbi.IORING_FEAT_RW_CUR_POS);
        m.put("IORING_FEAT_FAST_POLL", (long) IoUringAbi.IORING_FEAT_FAST_POLL);
        m.put("IORING_FEAT_EXT_ARG", (long) IoUringAbi.IORING_FEAT_EXT_ARG);
        m.put("IORING_FEAT_NATIVE_WORKERS", (long) IoUringAbi.IORING_FEAT_NATIVE_WORKERS);
        m.put("IORING_FEAT_CQE_SKIP", (long) IoUringAbi.IORING_FEAT_CQE_SKIP);
        m.put("IORING_FEAT_LINKED_FILE", (long) IoUringAbi.IORING_FEAT_LINKED_FILE);
        m.put("IORING_ENTER_GETEVENTS", (long) IoUringAbi.IORING_ENTER_GETEVENTS);
        m.put("IORING_ENTER_SQ_WAKEUP", (long) IoUringAbi.IORING_ENTER_SQ_WAKEUP);
        m.put("IORING_SQ_NEED_WAKEUP", (long) IoUringAbi.IORING_SQ_NEED_WAKEUP);
        m.put("IORING_SQ_CQ_OVERFLOW", (long) IoUringAbi.IORING_SQ_CQ_OVERFLOW);
        m.put("IORING_SQ_TASKRUN", (long) IoUringAbi.IORING_SQ_TASKRUN);
        m.put("IORING_CQ_EVENTFD_DISABLED", (long) IoUringAbi.IORING_CQ_EVENTFD_DISABLED);
        m.put("IORING_OP_NOP", (long) IoUringAbi.IORING_OP_NOP);
        m.put("IORING_OP_READV", (long) IoUringAbi.IORING_OP_READV);
        m.put("IORING_OP_WRITEV", (long) IoUringAbi.IORING_OP_WRITEV);
        m.put("IORING_OP_FSYNC", (long) IoUringAbi.IORING_OP_FSYNC);
        m.put("IORING_OP_READ_FIXED", (long) IoUringAbi.IORING_OP_READ_FIXED);
        m.put("IORING_OP_WRITE_FIXED", (long) IoUringAbi.IORING_OP_WRITE_FIXED);
        m.put("IORING_OP_ASYNC_CANCEL", (long) IoUringAbi.IORING_OP_ASYNC_CANCEL);
        m.put("IORING_OP_READ", (long) IoUringAbi.IORING_OP_READ);
        m.put("IORING_OP_WRITE", (long) IoUringAbi.IORING_OP_WRITE);
        m.put("IORING_FSYNC_DATASYNC", (long) IoUringAbi.IORING_FSYNC_DATASYNC);
        m.put("IOSQE_FIXED_FILE", (long) IoUringAbi.IOSQE_FIXED_FILE);
        m.put("IOSQE_IO_DRAIN", (long) IoUringAbi.IOSQE_IO_DRAIN);
        m.put("IOSQE_IO_LINK", (long) IoUringAbi.IOSQE_IO_LINK);
        m.put("IOSQE_IO_HARDLINK", (long) IoUringAbi.IOSQE_IO_HARDLINK);
        m.put("IOSQE_ASYNC", (long) IoUringAbi.IOSQE_ASYNC);
        m.put("IOSQE_CQE_SKIP_SUCCESS", (long) IoUringAbi.IOSQE_CQE_SKIP_SUCCESS);
        m.put("IORING_ASYNC_CANCEL_ALL", (long) IoUringAbi.IORING_ASYNC_CANCEL_ALL);
        m.put("IORING_ASYNC_CANCEL_FD", (long) IoUringAbi.IORING_ASYNC_CANCEL_FD);
        m.put("IORING_ASYNC_CANCEL_ANY", (long) IoUringAbi.IORING_ASYNC_CANCEL_ANY);
        m.put("IORING_ASYNC_CANCEL_USERDATA", (long) IoUringAbi.IORING_ASYNC_CANCEL_USERDATA);
        m.put("IORING_REGISTER_PROBE", (long) IoUringAbi.IORING_REGISTER_PROBE);
        m.put("IORING_REGISTER_BUFFERS", (long) IoUringAbi.IORING_REGISTER_BUFFERS);
        m.put("IORING_UNREGISTER_BUFFERS", (long) IoUringAbi.IORING_UNREGISTER_BUFFERS);
        m.put("IORING_REGISTER_FILES", (long) IoUringAbi.IORING_REGISTER_FILES);
        m.put("IORING_UNREGISTER_FILES", (long) IoUringAbi.IORING_UNREGISTER_FILES);
        m.put("IORING_REGISTER_FILES_UPDATE", (long) IoUringAbi.IORING_REGISTER_FILES_UPDATE);
        m.put("IO_URING_OP_SUPPORTED", (long) IoUringAbi.IO_URING_OP_SUPPORTED);
        m.put("__NR_io_uring_setup", target.architecture().nrIoUringSetup);
        m.put("__NR_io_uring_enter", target.architecture().nrIoUringEnter);
        m.put("__NR_io_uring_register", target.architecture().nrIoUringRegister);
        m.put("PROT_READ", (long) Mman.PROT_READ);
        m.put("PROT_WRITE", (long) Mman.PROT_WRITE);
        m.put("MAP_SHARED", (long) Mman.MAP_SHARED);
        m.put("MAP_POPULATE", (long) Mman.MAP_POPULATE);
        // The errnos the ring layer compares against by number.
        m.put("EINTR", (long) Errno.EINTR.code());
        m.put("EPERM", (long) Errno.EPERM.code());
        m.put("ENOMEM", (long) Errno.ENOMEM.code());
        m.put("ENOSYS", (long) Errno.ENOSYS.code());
        m.put("EINVAL", (long) Errno.EINVAL.code());
        return m;
    }

    /** The named members of a layout, looking through anonymous unions and into named structs. */
    private static List<Field> fields(StructLayout layout) {
        List<Field> out = new ArrayList<>();
        collect(layout.name().orElseThrow(), layout, "", 0, out);
        return out;
    }

    private static void collect(String struct, GroupLayout group, String prefix, long base, List<Field> out) {
        long offset = 0;
        for (MemoryLayout member : group.memberLayouts()) {
            long at = base + (group instanceof StructLayout ? offset : 0);
            if (member.name().isPresent()) {
                String path = prefix + member.name().get();
                out.add(new Field(struct, path, at, member.byteSize()));
                if (member instanceof GroupLayout named) {
                    collect(struct, named, path + ".", at, out);
                }
            } else if (member instanceof GroupLayout anonymous) {
                collect(struct, anonymous, prefix, at, out);
            } else {
                fail(struct + " has an unnamed member " + member + ": name it as C does");
            }
            offset += member.byteSize();
        }
    }

    private static int compare(Map<String, Long> c, List<String> wrong, String key, long java) {
        Long inC = c.get(key);
        if (inC == null) {
            wrong.add(key + ": C printed nothing");
        } else if (inC != java) {
            wrong.add(key + ": Java " + java + ", C " + inC);
        }
        return 1;
    }
}
