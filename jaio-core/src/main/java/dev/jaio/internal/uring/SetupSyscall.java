package dev.jaio.internal.uring;

import dev.jaio.Errno;
import dev.jaio.internal.ffi.Syscall;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The seam in front of {@code io_uring_setup}, so that tests can make setup fail with a chosen
 * errno on a machine where io_uring works, and the engine's fallback can be tested everywhere.
 *
 * <p>Two ways in:
 * <ul>
 *   <li>Inside this package: {@link IoUring#setup(int, int, int, SetupSyscall)} with
 *       {@link #failing(int, int)}.</li>
 *   <li>From anywhere (another package's tests, a forked JVM, the CLI): the system property
 *       {@value IoUring#FAIL_SETUP_PROPERTY}, read at every {@link IoUring#setup}, whose value is
 *       an errno name ({@code EPERM}, {@code ENOMEM}, {@code ENOSYS}, ...), a decimal errno, or
 *       {@code io_uring_disabled} (EPERM as {@code kernel.io_uring_disabled=2} produces it).</li>
 * </ul>
 * Only the setup call is replaced; a real ring is never half made.
 *
 * <p>Implementations are stateless and usable from any thread.
 */
interface SetupSyscall {

    /** {@code io_uring_setup(entries, params)}: the ring's descriptor or {@code -errno}. */
    long ioUringSetup(int entries, MemorySegment params);

    /**
     * {@code kernel.io_uring_disabled} as it would explain an EPERM: 0, 1 or 2, or -1 when
     * unknown. Read only after a failure, to word the explanation.
     */
    int ioUringDisabled();

    /** The real system call and the real sysctl. */
    SetupSyscall KERNEL = new SetupSyscall() {
        @Override
        public long ioUringSetup(int entries, MemorySegment params) {
            return Syscall.ioUringSetup(entries, params);
        }

        @Override
        public int ioUringDisabled() {
            return readIoUringDisabled();
        }

        @Override
        public String toString() {
            return "io_uring_setup";
        }
    };

    /**
     * A setup that always fails with {@code errno}, on a machine whose
     * {@code kernel.io_uring_disabled} reads {@code ioUringDisabled} (-1: unknown).
     */
    static SetupSyscall failing(int errno, int ioUringDisabled) {
        if (errno <= 0) {
            throw new IllegalArgumentException("a forced io_uring_setup failure needs a positive errno, not " + errno);
        }
        return new SetupSyscall() {
            @Override
            public long ioUringSetup(int entries, MemorySegment params) {
                return -errno;
            }

            @Override
            public int ioUringDisabled() {
                return ioUringDisabled;
            }

            @Override
            public String toString() {
                return "io_uring_setup forced to fail with errno " + errno;
            }
        };
    }

    /** {@link #KERNEL}, unless {@value IoUring#FAIL_SETUP_PROPERTY} asks for a failure. */
    static SetupSyscall current() {
        String forced = System.getProperty(IoUring.FAIL_SETUP_PROPERTY);
        return forced == null || forced.isBlank() ? KERNEL : parse(forced.strip());
    }

    /**
     * Parses a value of {@value IoUring#FAIL_SETUP_PROPERTY}.
     *
     * @throws IllegalArgumentException naming the accepted forms, for anything else: a typo in a
     *         test knob must not silently test the success path
     */
    static SetupSyscall parse(String value) {
        if (value.equals("io_uring_disabled")) {
            return failing(Errno.EPERM.code(), 2);
        }
        int errno;
        try {
            errno = !value.isEmpty() && value.chars().allMatch(Character::isDigit)
                    ? Integer.parseInt(value)
                    : Errno.valueOf(value).code();
        } catch (IllegalArgumentException notAnErrno) { // NumberFormatException included
            errno = -1;
        }
        if (errno <= 0) {
            throw new IllegalArgumentException(IoUring.FAIL_SETUP_PROPERTY + "=" + value
                    + " is not understood: use an errno name (EPERM, ENOMEM, ENOSYS, ...), a positive errno"
                    + " number, or io_uring_disabled");
        }
        // What the machine itself says, so a forced EPERM is explained as a real one would be.
        return failing(errno, readIoUringDisabled());
    }

    /**
     * Reads {@code /proc/sys/kernel/io_uring_disabled} (Linux 6.6+). Any failure (an older
     * kernel without the file, a sandbox hiding /proc/sys, unexpected text) means "unknown": this
     * only words an error message and must not replace the error being explained.
     */
    static int readIoUringDisabled() {
        try {
            return Integer.parseInt(Files.readString(Path.of("/proc/sys/kernel/io_uring_disabled")).strip());
        } catch (IOException | NumberFormatException | SecurityException e) {
            return -1;
        }
    }
}
