package dev.jaio;

import dev.jaio.internal.ProbeFacts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What this machine offers jaio: which engines work and why the others do not, the kernel's
 * io_uring opcodes, a file system's O_DIRECT alignment, the C library. The {@code jaio probe}
 * command prints it; applications can log it at start-up.
 *
 * {@snippet class=dev.jaio.examples.EngineExample region=engines}
 *
 * <p>Thread-safe. Methods that need native access throw {@link IllegalCallerException} naming the
 * flag when it is not enabled, except {@link #engines()}, which reports it as every engine's
 * reason.
 */
public final class AioProbe {
    private AioProbe() {
    }

    /**
     * Whether an engine opens here, and if not, why (the errno and its usual cause).
     *
     * @param name the engine's name, as {@link AioEngine#open(String)} takes it
     * @param works whether it opened
     * @param reason why it did not open, or empty when it works
     */
    public record EngineStatus(String name, boolean works, String reason) {
    }

    /**
     * O_DIRECT alignment of a file system ({@code statx} {@code STATX_DIOALIGN}, Linux 6.1).
     *
     * @param memoryAlignment the alignment an O_DIRECT buffer's address needs, in bytes
     * @param offsetAlignment the alignment O_DIRECT file offsets and lengths need, in bytes
     */
    public record DirectIoAlignment(long memoryAlignment, long offsetAlignment) {
    }

    /**
     * Every engine jaio has, in the default engine's order of preference, each opened and closed
     * again to see whether it works.
     *
     * @return one status per engine
     */
    public static List<EngineStatus> engines() {
        return ProbeFacts.engines();
    }

    /**
     * The name of the engine {@link AioEngine#defaultEngine()} chose (choosing it if needed).
     *
     * @return {@code "io_uring"}, {@code "threads"} or {@code "posix"}
     * @throws IllegalCallerException if native access is not enabled (the message names the flag)
     */
    public static String defaultEngineName() {
        return AioEngine.defaultEngine().name();
    }

    /**
     * The io_uring opcodes this kernel supports ({@code IORING_REGISTER_PROBE}), by their
     * {@code IORING_OP_*} names, such as {@code "READ"}; empty when io_uring is refused.
     *
     * @return the supported opcodes' names, in opcode order
     */
    public static List<String> ioUringOpcodes() {
        return ProbeFacts.ioUringOpcodes();
    }

    /**
     * Why io_uring is refused here (the call that was refused, {@code io_uring_setup},
     * {@code io_uring_register} or {@code io_uring_enter}, its errno and what usually causes it),
     * or empty when it works.
     *
     * @return the reason, or empty
     */
    public static Optional<String> ioUringRefusal() {
        return ProbeFacts.ioUringRefusal();
    }

    /**
     * The O_DIRECT alignment of the file system holding {@code path}, or empty when the kernel or
     * file system does not tell ({@code STATX_DIOALIGN} unsupported, or O_DIRECT not supported
     * at all: both alignments 0 mean the latter).
     *
     * @param path a file or directory on the file system to ask about
     * @return the alignments, or empty
     * @throws IOException if {@code statx} fails on {@code path}
     */
    public static Optional<DirectIoAlignment> directIoAlignment(Path path) throws IOException {
        return ProbeFacts.directIoAlignment(path);
    }

    /**
     * The C library and its version.
     *
     * @return such as {@code "glibc 2.36"}; on musl, which has no call that reports its version,
     *         {@code "musl (version not reported: ...)"}
     */
    public static String libc() {
        return ProbeFacts.libc();
    }

    /**
     * {@code sysconf(_SC_AIO_PRIO_DELTA_MAX)}: the highest {@code aio_reqprio}.
     *
     * @return the highest priority a block may have (20 on Linux)
     */
    public static long aioPrioDeltaMax() {
        return ProbeFacts.aioPrioDeltaMax();
    }

    /**
     * Whether jaio may call native code here.
     *
     * @return true when native access is enabled for jaio's module, or the JVM runs with
     *         {@code --illegal-native-access=allow} (then jaio has printed a warning)
     */
    public static boolean nativeAccessEnabled() {
        return ProbeFacts.nativeAccessEnabled();
    }

    /**
     * The flag that enables native access for jaio as it is loaded now.
     *
     * @return {@code --enable-native-access=dev.jaio} on the module path,
     *         {@code --enable-native-access=ALL-UNNAMED} on the class path
     */
    public static String nativeAccessFlag() {
        return ProbeFacts.nativeAccessFlag();
    }

    /**
     * The kernel's release ({@code uname -r}).
     *
     * @return such as {@code "6.18.44"}
     */
    public static String kernelRelease() {
        return System.getProperty("os.version");
    }
}
