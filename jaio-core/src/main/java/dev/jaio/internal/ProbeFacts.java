package dev.jaio.internal;

import dev.jaio.AioEngine;
import dev.jaio.AioEngineOptions;
import dev.jaio.AioProbe;
import dev.jaio.internal.ffi.NativeAccess;
import dev.jaio.internal.ffi.Platform;
import dev.jaio.internal.ffi.SystemInfo;
import dev.jaio.internal.uring.Probe;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The implementation of {@link AioProbe}. */
public final class ProbeFacts {
    /**
     * {@code IORING_OP_*} names by number, from {@code <linux/io_uring.h>} (Linux 6.1, through
     * {@code SENDMSG_ZC}); newer opcodes are reported as {@code OP_<n>}.
     */
    /**
     * {@code enum io_uring_op} of {@code <linux/io_uring.h>}, in order: the name of opcode N is
     * entry N. Up to {@code SENDMSG_ZC} (48, Linux 6.1) ProbeFactsTest holds the list against the
     * header of the machine that builds jaio; the later ones come from the kernel's header as of
     * 6.18, whose last opcode is {@code PIPE} (49-53 in 6.7, 54 in 6.8, 55 in 6.9, 56-57 in 6.11,
     * 58-61 in 6.15, 62 in 6.16), and the test checks that the running kernel reports no opcode
     * without a name. A newer kernel's opcodes show as numbers ({@code OP_63}).
     */
    private static final List<String> IORING_OPS = List.of("NOP", "READV", "WRITEV", "FSYNC", "READ_FIXED",
            "WRITE_FIXED", "POLL_ADD", "POLL_REMOVE", "SYNC_FILE_RANGE", "SENDMSG", "RECVMSG", "TIMEOUT",
            "TIMEOUT_REMOVE", "ACCEPT", "ASYNC_CANCEL", "LINK_TIMEOUT", "CONNECT", "FALLOCATE", "OPENAT", "CLOSE",
            "FILES_UPDATE", "STATX", "READ", "WRITE", "FADVISE", "MADVISE", "SEND", "RECV", "OPENAT2", "EPOLL_CTL",
            "SPLICE", "PROVIDE_BUFFERS", "REMOVE_BUFFERS", "TEE", "SHUTDOWN", "RENAMEAT", "UNLINKAT", "MKDIRAT",
            "SYMLINKAT", "LINKAT", "MSG_RING", "FSETXATTR", "SETXATTR", "FGETXATTR", "GETXATTR", "SOCKET",
            "URING_CMD", "SEND_ZC", "SENDMSG_ZC",
            "READ_MULTISHOT", "WAITID", "FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_WAITV", "FIXED_FD_INSTALL", "FTRUNCATE",
            "BIND", "LISTEN", "RECV_ZC", "EPOLL_WAIT", "READV_FIXED", "WRITEV_FIXED", "PIPE");

    private ProbeFacts() {
    }

    /** The known opcode names, for the layout test. */
    public static List<String> knownIoUringOpNames() {
        return IORING_OPS;
    }

    public static List<AioProbe.EngineStatus> engines() {
        List<AioProbe.EngineStatus> out = new ArrayList<>();
        for (String name : Engines.fallbackOrder()) {
            try (AioEngine e = Engines.open(name, AioEngineOptions.defaults())) {
                out.add(new AioProbe.EngineStatus(e.name(), true, ""));
            } catch (UnsupportedOperationException | IllegalCallerException refused) {
                out.add(new AioProbe.EngineStatus(name, false, refused.getMessage()));
            }
        }
        return out;
    }

    public static List<String> ioUringOpcodes() {
        NativeAccess.ensureEnabled();
        Probe probe = Probe.ofKernel();
        List<String> out = new ArrayList<>();
        if (!probe.answered()) {
            return out;
        }
        for (int op = 0; op <= probe.lastOp(); op++) {
            if (probe.supports(op)) {
                // A kernel newer than this list: the number, which io_uring.h of that kernel names.
                out.add(op < IORING_OPS.size() ? IORING_OPS.get(op) : "OP_" + op);
            }
        }
        return out;
    }

    public static Optional<String> ioUringRefusal() {
        NativeAccess.ensureEnabled();
        try (AioEngine e = Engines.open("io_uring", AioEngineOptions.defaults().withQueueDepth(4))) {
            return Optional.empty();
        } catch (UnsupportedOperationException refused) {
            return Optional.of(refused.getMessage());
        }
    }

    public static Optional<AioProbe.DirectIoAlignment> directIoAlignment(Path path) throws IOException {
        NativeAccess.ensureEnabled();
        // STATX_DIOALIGN is answered for regular files only: ask about a file in a directory.
        Path file = path;
        boolean temporary = false;
        if (Files.isDirectory(path)) {
            file = Files.createTempFile(path, "jaio-probe-", ".tmp");
            temporary = true;
        }
        try {
            long[] r = SystemInfo.directIoAlignment(file.toString());
            if (r == null) {
                return Optional.empty();
            }
            if (r.length == 1) {
                throw new FileSystemException(file.toString(), null, "statx failed: " + Failures.text((int) -r[0]));
            }
            return Optional.of(new AioProbe.DirectIoAlignment(r[0], r[1]));
        } finally {
            if (temporary) {
                Files.deleteIfExists(file);
            }
        }
    }

    public static String libc() {
        NativeAccess.ensureEnabled();
        return switch (Platform.current().library()) {
            case GLIBC -> "glibc " + SystemInfo.glibcVersion();
            // musl deliberately offers no version call (its FAQ: test for features, not versions).
            case MUSL -> "musl (version not reported: musl has no call that tells it)";
        };
    }

    public static long aioPrioDeltaMax() {
        NativeAccess.ensureEnabled();
        return SystemInfo.sysconf(SystemInfo.SC_AIO_PRIO_DELTA_MAX);
    }

    public static boolean nativeAccessEnabled() {
        return NativeAccess.isEnabled();
    }

    public static String nativeAccessFlag() {
        return NativeAccess.flag();
    }
}
