package dev.jaio.internal.uring;

import dev.jaio.Errno;
import dev.jaio.internal.ffi.IoUringAbi;

/**
 * Why no ring could be had, or none that works: the call that failed ({@code "io_uring_setup"},
 * the mmap of one of the ring's regions, or, on a ring that was set up, {@code io_uring_register}
 * or {@code io_uring_enter}), its errno, and what that errno means <em>for io_uring</em>, which is
 * rarely what {@code strerror} says (EPERM is not a file permission, ENOMEM often a memlock
 * limit). A security policy can allow {@code io_uring_setup} and refuse the other two (a seccomp
 * filter can), so each names its own call first.
 *
 * <p>{@link #message()} is the text an engine chooser logs when it falls back, for example
 * {@code "io_uring_setup refused: EPERM (kernel.io_uring_disabled=2: io_uring is disabled for
 * every process on this machine)"}.
 *
 * <p>Immutable; any thread.
 *
 * @param call        the failed call: {@code "io_uring_setup"}, {@code "mmap(SQ ring)"},
 *                    {@code "io_uring_register(IORING_REGISTER_PROBE)"}, {@code "io_uring_enter"}...
 * @param errno       the positive errno it failed with
 * @param explanation what this errno means for io_uring here, and what to do about it
 */
public record SetupFailure(String call, int errno, String explanation) {

    static final String IO_URING_SETUP = "io_uring_setup";
    static final String IO_URING_ENTER = "io_uring_enter";

    /** errno's name ({@code "EPERM"}), or {@code "errno N"} for a number jaio does not know. */
    public String errnoName() {
        return name(errno);
    }

    /**
     * One line for logs and exception messages: call, errno name, explanation. The io_uring system
     * calls are "refused" (the kernel or a policy said no), an mmap "failed".
     */
    public String message() {
        return call + (call.startsWith("io_uring_") ? " refused: " : " failed: ") + errnoName()
                + " (" + explanation + ")";
    }

    @Override
    public String toString() {
        return message();
    }

    /** An errno's name ({@code "EPERM"}), or {@code "errno N"} for a number jaio does not know. */
    static String name(int errno) {
        Errno e = Errno.of(errno);
        return e == Errno.UNKNOWN ? "errno " + errno : e.name();
    }

    /**
     * Explains a failed {@code io_uring_setup}.
     *
     * @param errno           the positive errno
     * @param entries         the entry count that was asked for
     * @param flags           the {@code IORING_SETUP_*} flags that were asked for
     * @param ioUringDisabled {@code kernel.io_uring_disabled} (0, 1 or 2, since Linux 6.6), or -1
     *                        when it could not be read (older kernel, or /proc/sys hidden)
     */
    static SetupFailure ofSetup(int errno, int entries, int flags, int ioUringDisabled) {
        Errno e = Errno.of(errno);
        String why = switch (e) {
            case EPERM -> (flags & IoUringAbi.IORING_SETUP_SQPOLL) != 0 && ioUringDisabled != 2
                    ? "IORING_SETUP_SQPOLL (AioEngineOptions.withSqPoll): before Linux 5.11 only a privileged process"
                    + " (CAP_SYS_ADMIN) may have a kernel poller thread, and a seccomp filter or"
                    + " kernel.io_uring_disabled=1 may forbid io_uring itself; open the engine without withSqPoll"
                    : switch (ioUringDisabled) {
                case 2 -> "kernel.io_uring_disabled=2: io_uring is disabled for every process on this machine";
                case 1 -> "kernel.io_uring_disabled=1: only members of the group kernel.io_uring_group"
                        + " (or CAP_SYS_ADMIN) may create rings";
                case 0 -> "kernel.io_uring_disabled=0, so a seccomp filter such as Docker's default profile,"
                        + " or a security module policy, forbids io_uring here";
                default -> "kernel.io_uring_disabled=1 or 2, or a seccomp filter such as Docker's default profile";
            };
            case ENOSYS -> "this kernel has no io_uring: older than Linux 5.1, built without CONFIG_IO_URING,"
                    + " or a seccomp filter that answers ENOSYS";
            case ENOMEM -> (flags & IoUringAbi.IORING_SETUP_SQPOLL) != 0
                    ? "IORING_SETUP_SQPOLL (AioEngineOptions.withSqPoll) with the locked-memory limit RLIMIT_MEMLOCK at "
                    + FixedBuffers.memlockLimit() + ": an unprivileged process with a small limit gets this (seen"
                    + " on Linux 6.18 with ulimit -l 64); raise the limit (ulimit -l) or open the engine without"
                    + " withSqPoll"
                    : "the kernel could not allocate rings for " + entries + " entries; before Linux 5.12"
                    + " ring memory counts against RLIMIT_MEMLOCK (ulimit -l): ask for fewer entries or raise"
                    + " the limit";
            case EINVAL -> "entries=" + entries + ", flags=0x" + Integer.toHexString(flags)
                    + ": a flag newer than this kernel (SUBMIT_ALL needs 5.18, COOP_TASKRUN 5.19,"
                    + " SINGLE_ISSUER 6.0, DEFER_TASKRUN 6.1), or more than 32768 entries without"
                    + " IORING_SETUP_CLAMP";
            case EMFILE, ENFILE -> "out of file descriptors (ulimit -n)";
            case EFAULT -> "the kernel could not read struct io_uring_params: a bug in jaio";
            default -> e.description();
        };
        return new SetupFailure(IO_URING_SETUP, errno, why);
    }

    /**
     * Explains a failed {@code io_uring_register} of {@code opcode} (its name, such as
     * {@code "IORING_REGISTER_PROBE"}) on a ring that was set up.
     */
    static SetupFailure ofRegister(String opcode, int errno) {
        Errno e = Errno.of(errno);
        String why = switch (e) {
            case EPERM, EACCES -> "a seccomp filter or security policy forbids it";
            case ENOSYS -> "a seccomp filter answers ENOSYS for it, though io_uring_setup was allowed";
            case EINVAL -> opcode.equals("IORING_REGISTER_PROBE")
                    ? "kernel older than 5.6, which jaio needs"
                    : "this kernel does not know " + opcode + " or its arguments";
            default -> e.description();
        };
        return new SetupFailure("io_uring_register(" + opcode + ")", errno, why);
    }

    /**
     * Explains a failed {@code io_uring_enter} on a ring that was set up: the engine's check
     * before it is chosen, or a submission at run time.
     */
    static SetupFailure ofEnter(int errno) {
        Errno e = Errno.of(errno);
        String why = switch (e) {
            case EPERM, EACCES -> "io_uring_setup was allowed, but a seccomp filter or security policy forbids"
                    + " io_uring_enter, as gVisor-like sandboxes and some container profiles do";
            case ENOSYS -> "a seccomp filter answers ENOSYS for io_uring_enter, though io_uring_setup was allowed";
            default -> e.description();
        };
        return new SetupFailure(IO_URING_ENTER, errno, why);
    }

    /** Explains a failed mmap of one ring region ({@code what}) of {@code length} bytes. */
    static SetupFailure ofMmap(String what, int errno, long length) {
        String why = Errno.of(errno) == Errno.ENOMEM
                ? "no memory to map " + length + " bytes of ring; before Linux 5.12 this counts against"
                        + " RLIMIT_MEMLOCK (ulimit -l)"
                : Errno.of(errno).description() + ", mapping " + length + " bytes";
        return new SetupFailure("mmap(" + what + ")", errno, why);
    }

    /** No io_uring on a platform jaio's native layer does not run on. */
    static SetupFailure unsupportedPlatform(String platform) {
        return new SetupFailure(IO_URING_SETUP, Errno.ENOSYS.code(),
                "jaio's io_uring engine runs on Linux x86_64 or aarch64 with glibc, and on Linux x86_64 with"
                        + " musl; this is " + platform);
    }
}
