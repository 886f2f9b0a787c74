package dev.jaio.internal.ffi;

import java.util.Optional;

/**
 * The processor architectures jaio runs on, each with every value of jaio's C interface that
 * depends on the architecture. This is the one place such a value lives; the classes that use
 * one ({@link Libc#O_DIRECT}, {@link Syscall}, {@link SystemInfo}) take it from
 * {@link Platform#architecture()}, and {@code ArchitectureMatchesCTest} holds each constant
 * against a C program built for that architecture (x86_64 with the machine's gcc, aarch64 with
 * Debian's cross compiler, run under qemu-user).
 *
 * <p>Everything else jaio passes to C is the same on both, and the layout tests check that on
 * both: glibc's {@code struct aiocb} (168 bytes) and {@code struct sigevent} (64), {@code struct
 * timespec}, {@code struct statx}, the io_uring structs (fixed-width fields only), the errno
 * and signal numbers (x86_64 keeps the i386 numbering of signals 1 to 31, which the generic
 * table aarch64 uses repeats) and every other open flag. What differs:
 * <ul>
 *   <li>{@code O_DIRECT}: x86_64 {@code 040000}; aarch64 {@code 0200000}, where {@code 040000}
 *       is {@code O_DIRECTORY} (arm64 took its flags from 32-bit arm, which swapped them).</li>
 *   <li>system call numbers outside the range handed to every architecture at once:
 *       {@code statx} is 332 on x86_64 ({@code asm/unistd_64.h}) and 291 in the generic table
 *       ({@code asm-generic/unistd.h}) that aarch64 uses. The io_uring calls (425, 426, 427)
 *       come from that shared range and agree.</li>
 * </ul>
 *
 * <p>Immutable.
 */
public enum Architecture {
    /** x86_64 (Java calls it {@code amd64}). */
    X86_64("x86_64", "amd64", 040000, 332),
    /** aarch64, 64-bit ARM (Debian calls it {@code arm64}). */
    AARCH64("aarch64", "arm64", 0200000, 291);

    /** {@code O_DIRECT} of {@code <fcntl.h>}. */
    public final int oDirect;
    /** {@code __NR_statx}. */
    public final long nrStatx;
    /** {@code __NR_io_uring_setup}: 425 on every architecture jaio knows. */
    public final long nrIoUringSetup = 425;
    /** {@code __NR_io_uring_enter}: 426 on every architecture jaio knows. */
    public final long nrIoUringEnter = 426;
    /** {@code __NR_io_uring_register}: 427 on every architecture jaio knows. */
    public final long nrIoUringRegister = 427;

    private final String gnuName;
    private final String debianName;

    Architecture(String gnuName, String debianName, int oDirect, long nrStatx) {
        this.gnuName = gnuName;
        this.debianName = debianName;
        this.oDirect = oDirect;
        this.nrStatx = nrStatx;
    }

    /** The GNU name, as in the target triplet {@code aarch64-linux-gnu}: {@code "x86_64"}, {@code "aarch64"}. */
    public String gnuName() {
        return gnuName;
    }

    /** Debian's name, as in package names: {@code "amd64"}, {@code "arm64"}. */
    public String debianName() {
        return debianName;
    }

    /**
     * The architecture a JVM's {@code os.arch} names ({@code amd64} or {@code x86_64},
     * {@code aarch64} or {@code arm64}), or empty for any other.
     *
     * @param osArch the value of the {@code os.arch} system property
     * @return the architecture, if jaio knows it
     */
    public static Optional<Architecture> of(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> Optional.of(X86_64);
            case "aarch64", "arm64" -> Optional.of(AARCH64);
            default -> Optional.empty();
        };
    }
}
