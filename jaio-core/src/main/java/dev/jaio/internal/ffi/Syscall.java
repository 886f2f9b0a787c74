package dev.jaio.internal.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.jaio.Errno;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The Linux system calls that glibc has no wrapper for, made through {@code long syscall(long
 * number, ...)} of {@code <unistd.h>}: {@code io_uring_setup}, {@code io_uring_enter} and
 * {@code io_uring_register}.
 *
 * <p>Every method returns a {@code long}: {@code >= 0} is the system call's result, {@code < 0}
 * is {@code -errno} (captured with {@code Linker.Option.captureCallState("errno")} into the
 * calling thread's {@link CallState}, so no call allocates). Nothing here throws for a failed
 * system call.
 *
 * <p>The io_uring calls got numbers 425, 426 and 427 in Linux 5.1, from the range that was
 * handed out to every architecture at once: x86_64 ({@code asm/unistd_64.h}) and the generic
 * table used by aarch64 and riscv64 ({@code asm-generic/unistd.h}) agree; they live with the
 * other architecture-dependent values in {@link Architecture}, whose test checks them against
 * {@code <sys/syscall.h>} of each architecture. (Only alpha and the MIPS ABIs add a base; jaio
 * does not run there, see {@link Platform}.)
 *
 * <p>{@code syscall} is variadic. Every argument after the number is passed as a full 64-bit
 * {@code long} (unsigned {@code int}s widened with {@link Integer#toUnsignedLong}), which is what
 * glibc's {@code syscall} reads with {@code va_arg(ap, long)} and hands to the kernel in whole
 * registers; passing a Java {@code int} would leave the upper half of the register undefined.
 *
 * <p>Callable from any thread; the ring discipline (one submitter, one reaper) is the caller's
 * business, see {@code dev.jaio.internal.uring}.
 */
public final class Syscall {
    /** {@code __NR_io_uring_setup} of this platform's {@link Architecture}. */
    public static final long NR_IO_URING_SETUP = Platform.current().architecture().nrIoUringSetup;
    /** {@code __NR_io_uring_enter} of this platform's {@link Architecture}. */
    public static final long NR_IO_URING_ENTER = Platform.current().architecture().nrIoUringEnter;
    /** {@code __NR_io_uring_register} of this platform's {@link Architecture}. */
    public static final long NR_IO_URING_REGISTER = Platform.current().architecture().nrIoUringRegister;

    private static final int EINTR = Errno.EINTR.code();

    private Syscall() {
    }

    /** Created on first use, after {@link NativeAccess#ensureEnabled()} (through {@link Libc#downcall}). */
    private static final class Handles {
        private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
        /** Everything after the system call number is a variadic argument. */
        private static final Linker.Option VARIADIC = Linker.Option.firstVariadicArg(1);

        /** {@code long syscall(SYS_io_uring_setup, unsigned entries, struct io_uring_params *p)}. */
        static final MethodHandle SETUP = Libc.downcall("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS), ERRNO, VARIADIC);
        /**
         * {@code long syscall(SYS_io_uring_enter, unsigned fd, unsigned to_submit,
         * unsigned min_complete, unsigned flags, const sigset_t *sig, size_t sigsz)}.
         */
        static final MethodHandle ENTER = Libc.downcall("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS,
                        JAVA_LONG), ERRNO, VARIADIC);
        /**
         * {@code long syscall(SYS_io_uring_register, unsigned fd, unsigned opcode, void *arg,
         * unsigned nr_args)}.
         */
        static final MethodHandle REGISTER = Libc.downcall("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG),
                ERRNO, VARIADIC);
    }

    /**
     * {@code io_uring_setup(entries, params)}: a new ring's descriptor, or {@code -errno}.
     * {@code params} must be a zeroed {@code struct io_uring_params} with the input fields set;
     * the kernel writes the granted sizes, features and ring offsets back into it.
     * Not retried: io_uring_setup never reports EINTR.
     */
    public static long ioUringSetup(int entries, MemorySegment params) {
        CallState state = CallState.current();
        long r;
        try {
            r = (long) Handles.SETUP.invokeExact(state.capture, NR_IO_URING_SETUP,
                    Integer.toUnsignedLong(entries), params);
        } catch (Throwable t) {
            throw Downcalls.unexpected("syscall(io_uring_setup)", t);
        }
        return r >= 0 ? r : -state.errno();
    }

    /**
     * {@code io_uring_enter(fd, toSubmit, minComplete, flags, NULL, 0)}: the number of SQEs the
     * kernel consumed, or {@code -errno}.
     *
     * <p>This is jaio's one EINTR loop for io_uring. A signal that arrives while the call waits
     * for completions ({@link IoUringAbi#IORING_ENTER_GETEVENTS}) ends it with EINTR; the kernel
     * returns EINTR only when it consumed no SQE (if it consumed some, it returns their number,
     * and the wait is simply cut short), so calling again with the same arguments neither loses
     * nor repeats a submission. Java's {@code Thread.interrupt()} sends no signal, so this loop
     * does not swallow interrupts: waiting that must honour them parks in Java instead.
     * Every other errno (EAGAIN, EBUSY when completions must be reaped first, EBADF, ...) goes
     * back to the caller, who alone knows what to do about it.
     */
    public static long ioUringEnter(int fd, int toSubmit, int minComplete, int flags) {
        CallState state = CallState.current();
        while (true) {
            long r;
            try {
                r = (long) Handles.ENTER.invokeExact(state.capture, NR_IO_URING_ENTER, Integer.toUnsignedLong(fd),
                        Integer.toUnsignedLong(toSubmit), Integer.toUnsignedLong(minComplete),
                        Integer.toUnsignedLong(flags), MemorySegment.NULL, 0L);
            } catch (Throwable t) {
                throw Downcalls.unexpected("syscall(io_uring_enter)", t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = state.errno();
            if (errno != EINTR) {
                return -errno;
            }
        }
    }

    /**
     * {@code io_uring_register(fd, opcode, arg, nrArgs)}: the opcode's result ({@code >= 0}), or
     * {@code -errno}. Not retried: the opcodes jaio uses ({@link IoUringAbi#IORING_REGISTER_PROBE})
     * do not wait and never report EINTR.
     */
    public static long ioUringRegister(int fd, int opcode, MemorySegment arg, int nrArgs) {
        CallState state = CallState.current();
        long r;
        try {
            r = (long) Handles.REGISTER.invokeExact(state.capture, NR_IO_URING_REGISTER, Integer.toUnsignedLong(fd),
                    Integer.toUnsignedLong(opcode), arg, Integer.toUnsignedLong(nrArgs));
        } catch (Throwable t) {
            throw Downcalls.unexpected("syscall(io_uring_register)", t);
        }
        return r >= 0 ? r : -state.errno();
    }
}
