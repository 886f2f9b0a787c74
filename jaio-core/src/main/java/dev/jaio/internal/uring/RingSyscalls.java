package dev.jaio.internal.uring;

import dev.jaio.internal.ffi.Syscall;
import java.lang.foreign.MemorySegment;

/**
 * The seam in front of {@code io_uring_enter} and {@code io_uring_register}, so that tests can
 * make them fail with a chosen errno on a machine where io_uring works: a security policy may
 * allow {@code io_uring_setup} and still refuse the other two (a seccomp filter can), and the
 * engine must then fall back, or fail the operations concerned, instead of breaking.
 *
 * <p>Each ring reads the system properties {@value IoUring#FAIL_ENTER_PROPERTY} and
 * {@value IoUring#FAIL_REGISTER_PROPERTY} once, when it is set up, and counts its own calls
 * (see {@link ForcedErrno} for the values). For tests; not a user setting.
 *
 * <p>Implementations are usable from any thread.
 */
interface RingSyscalls {

    /** {@code io_uring_enter(fd, toSubmit, minComplete, flags)}: SQEs consumed or {@code -errno}. */
    long enter(int fd, int toSubmit, int minComplete, int flags);

    /** {@code io_uring_register(fd, opcode, arg, nrArgs)}: the opcode's result or {@code -errno}. */
    long register(int fd, int opcode, MemorySegment arg, int nrArgs);

    /** The real system calls. */
    RingSyscalls KERNEL = new RingSyscalls() {
        @Override
        public long enter(int fd, int toSubmit, int minComplete, int flags) {
            return Syscall.ioUringEnter(fd, toSubmit, minComplete, flags);
        }

        @Override
        public long register(int fd, int opcode, MemorySegment arg, int nrArgs) {
            return Syscall.ioUringRegister(fd, opcode, arg, nrArgs);
        }

        @Override
        public String toString() {
            return "io_uring_enter, io_uring_register";
        }
    };

    /**
     * {@link #KERNEL}, unless {@value IoUring#FAIL_ENTER_PROPERTY} or
     * {@value IoUring#FAIL_REGISTER_PROPERTY} asks for failures: then a new instance with its own
     * call counts.
     *
     * @throws IllegalArgumentException for a value that is not understood
     */
    static RingSyscalls current() {
        ForcedErrno enter = ForcedErrno.parse(IoUring.FAIL_ENTER_PROPERTY,
                System.getProperty(IoUring.FAIL_ENTER_PROPERTY));
        ForcedErrno register = ForcedErrno.parse(IoUring.FAIL_REGISTER_PROPERTY,
                System.getProperty(IoUring.FAIL_REGISTER_PROPERTY));
        return enter == null && register == null ? KERNEL : failing(enter, register);
    }

    /** Fails the calls {@code enter} and {@code register} say (either may be null: never). */
    static RingSyscalls failing(ForcedErrno enter, ForcedErrno register) {
        return new RingSyscalls() {
            @Override
            public long enter(int fd, int toSubmit, int minComplete, int flags) {
                int forced = enter == null ? 0 : enter.nextCall();
                return forced != 0 ? -forced : KERNEL.enter(fd, toSubmit, minComplete, flags);
            }

            @Override
            public long register(int fd, int opcode, MemorySegment arg, int nrArgs) {
                int forced = register == null ? 0 : register.nextCall();
                return forced != 0 ? -forced : KERNEL.register(fd, opcode, arg, nrArgs);
            }

            @Override
            public String toString() {
                return "io_uring_enter " + (enter == null ? "real" : "forced to fail with " + enter)
                        + ", io_uring_register " + (register == null ? "real" : "forced to fail with " + register);
            }
        };
    }
}
