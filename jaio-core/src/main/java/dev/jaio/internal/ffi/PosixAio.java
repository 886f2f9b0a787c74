package dev.jaio.internal.ffi;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code <aio.h>} and the parts of {@code <signal.h>} it uses, for glibc on Linux (x86_64 and
 * aarch64, which share these LP64 layouts).
 *
 * <p>glibc (since 2.34 in libc.so.6 itself) implements POSIX AIO in user space: a pool of
 * threads, one per file descriptor, runs {@code pread}/{@code pwrite}/{@code fsync} and stores
 * the outcome in the aiocb's private {@code __error_code} and {@code __return_value}, under one
 * global mutex that {@code aio_error} also takes. So the aiocb must stay at one address, untouched
 * by Java, from submit until {@code aio_error} stops saying {@code EINPROGRESS}.
 *
 * <p>Functions return what C returns; the {@code -errno} conversion happens here, so callers see
 * {@code >= 0} for success and {@code < 0} for {@code -errno}. Callable from any thread.
 */
public final class PosixAio {
    private PosixAio() {
    }

    // ---- constants (glibc <aio.h>, <signal.h>, <bits/sigevent-consts.h>) -------------------------------
    public static final int LIO_READ = 0, LIO_WRITE = 1, LIO_NOP = 2;
    public static final int LIO_WAIT = 0, LIO_NOWAIT = 1;
    public static final int AIO_CANCELED = 0, AIO_NOTCANCELED = 1, AIO_ALLDONE = 2;
    public static final int SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2;
    /** {@code AIO_PRIO_DELTA_MAX} (glibc {@code <bits/local_lim.h>}); {@code sysconf} agrees. */
    public static final int AIO_PRIO_DELTA_MAX = 20;

    /**
     * <pre>{@code
     * typedef union sigval { int sival_int; void *sival_ptr; } sigval_t;
     * }</pre>
     */
    public static final UnionLayout SIGVAL = MemoryLayout.unionLayout(
            JAVA_INT.withName("sival_int"), ADDRESS.withName("sival_ptr")).withName("sigval");

    /**
     * glibc's {@code struct sigevent} (64 bytes; the tail is a union padded to 64):
     * <pre>{@code
     * struct sigevent {
     *   __sigval_t sigev_value;
     *   int sigev_signo;
     *   int sigev_notify;
     *   union {
     *     int _pad[__SIGEV_PAD_SIZE];
     *     __pid_t _tid;
     *     struct { void (*_function) (__sigval_t); pthread_attr_t *_attribute; } _sigev_thread;
     *   } _sigev_un;           // sigev_notify_function / sigev_notify_attributes
     * };
     * }</pre>
     */
    public static final StructLayout SIGEVENT = MemoryLayout.structLayout(
            SIGVAL.withName("sigev_value"),
            JAVA_INT.withName("sigev_signo"),
            JAVA_INT.withName("sigev_notify"),
            ADDRESS.withName("sigev_notify_function"),
            ADDRESS.withName("sigev_notify_attributes"),
            MemoryLayout.paddingLayout(32)).withName("sigevent");

    public static final long SIGEVENT_SIZE = SIGEVENT.byteSize();
    public static final long SIGEV_VALUE = SIGEVENT.byteOffset(groupElement("sigev_value"));
    public static final long SIGEV_SIGNO = SIGEVENT.byteOffset(groupElement("sigev_signo"));
    public static final long SIGEV_NOTIFY = SIGEVENT.byteOffset(groupElement("sigev_notify"));
    public static final long SIGEV_NOTIFY_FUNCTION = SIGEVENT.byteOffset(groupElement("sigev_notify_function"));
    public static final long SIGEV_NOTIFY_ATTRIBUTES = SIGEVENT.byteOffset(groupElement("sigev_notify_attributes"));

    /**
     * glibc's {@code struct aiocb} on LP64 (168 bytes), where {@code off_t} is 64 bits and the
     * {@code __USE_FILE_OFFSET64} padding vanishes:
     * <pre>{@code
     * struct aiocb {
     *   int aio_fildes;               // file descriptor
     *   int aio_lio_opcode;           // LIO_READ, LIO_WRITE, LIO_NOP for lio_listio
     *   int aio_reqprio;              // priority delta, 0..AIO_PRIO_DELTA_MAX
     *   volatile void *aio_buf;
     *   size_t aio_nbytes;
     *   struct sigevent aio_sigevent;
     *   // internal to glibc:
     *   struct aiocb *__next_prio;
     *   int __abs_prio;
     *   int __policy;
     *   int __error_code;             // what aio_error returns
     *   __ssize_t __return_value;     // what aio_return returns
     *   __off_t aio_offset;
     *   char __glibc_reserved[32];
     * };
     * }</pre>
     */
    public static final StructLayout AIOCB = MemoryLayout.structLayout(
            JAVA_INT.withName("aio_fildes"),
            JAVA_INT.withName("aio_lio_opcode"),
            JAVA_INT.withName("aio_reqprio"),
            MemoryLayout.paddingLayout(4),
            ADDRESS.withName("aio_buf"),
            JAVA_LONG.withName("aio_nbytes"),
            SIGEVENT.withName("aio_sigevent"),
            ADDRESS.withName("__next_prio"),
            JAVA_INT.withName("__abs_prio"),
            JAVA_INT.withName("__policy"),
            JAVA_INT.withName("__error_code"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("__return_value"),
            JAVA_LONG.withName("aio_offset"),
            MemoryLayout.sequenceLayout(32, java.lang.foreign.ValueLayout.JAVA_BYTE).withName("__glibc_reserved"))
            .withName("aiocb");

    public static final long AIOCB_SIZE = AIOCB.byteSize();
    public static final long AIO_FILDES = AIOCB.byteOffset(groupElement("aio_fildes"));
    public static final long AIO_LIO_OPCODE = AIOCB.byteOffset(groupElement("aio_lio_opcode"));
    public static final long AIO_REQPRIO = AIOCB.byteOffset(groupElement("aio_reqprio"));
    public static final long AIO_BUF = AIOCB.byteOffset(groupElement("aio_buf"));
    public static final long AIO_NBYTES = AIOCB.byteOffset(groupElement("aio_nbytes"));
    public static final long AIO_SIGEVENT = AIOCB.byteOffset(groupElement("aio_sigevent"));
    public static final long AIO_ERROR_CODE = AIOCB.byteOffset(groupElement("__error_code"));
    public static final long AIO_RETURN_VALUE = AIOCB.byteOffset(groupElement("__return_value"));
    public static final long AIO_OFFSET = AIOCB.byteOffset(groupElement("aio_offset"));

    /** The one errno {@code aio_error} can fail with (an unknown aiocb). */
    private static final int EINVAL = 22;

    /** The function type of a {@code SIGEV_THREAD} notification: {@code void fn(union sigval)}. */
    public static final FunctionDescriptor SIGEV_THREAD_FUNCTION = FunctionDescriptor.ofVoid(JAVA_LONG);

    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final FunctionDescriptor INT_OF_AIOCB = FunctionDescriptor.of(JAVA_INT, ADDRESS);

    private static final MethodHandle AIO_READ = Libc.downcall("aio_read", INT_OF_AIOCB, ERRNO);
    private static final MethodHandle AIO_WRITE = Libc.downcall("aio_write", INT_OF_AIOCB, ERRNO);
    private static final MethodHandle AIO_FSYNC = Libc.downcall("aio_fsync",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), ERRNO);
    /**
     * Without errno capture: aio_error returns its answer directly, and sets errno only for an
     * aiocb it does not know (EINVAL). Capturing errno on this call, made once per completed
     * operation, showed up as a small allocation per operation in some JIT compilations.
     */
    private static final MethodHandle AIO_ERROR = Libc.downcall("aio_error", INT_OF_AIOCB);
    private static final MethodHandle AIO_RETURN = Libc.downcall("aio_return",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    private static final MethodHandle AIO_CANCEL = Libc.downcall("aio_cancel",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), ERRNO);
    private static final MethodHandle AIO_SUSPEND = Libc.downcall("aio_suspend",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS), ERRNO);
    private static final MethodHandle LIO_LISTIO = Libc.downcall("lio_listio",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS), ERRNO);

    /** {@code aio_read(aiocb)}: 0 or {@code -errno}. */
    public static int aioRead(MemorySegment aiocb) {
        CallState state = CallState.current();
        try {
            return result((int) AIO_READ.invokeExact(state.capture, aiocb), state);
        } catch (Throwable t) {
            throw Downcalls.unexpected("aio_read", t);
        }
    }

    /** {@code aio_write(aiocb)}: 0 or {@code -errno}. */
    public static int aioWrite(MemorySegment aiocb) {
        CallState state = CallState.current();
        try {
            return result((int) AIO_WRITE.invokeExact(state.capture, aiocb), state);
        } catch (Throwable t) {
            throw Downcalls.unexpected("aio_write", t);
        }
    }

    /** {@code aio_fsync(op, aiocb)} with {@code op} = {@link Libc#O_SYNC} or {@link Libc#O_DSYNC}. */
    public static int aioFsync(int op, MemorySegment aiocb) {
        CallState state = CallState.current();
        try {
            return result((int) AIO_FSYNC.invokeExact(state.capture, op, aiocb), state);
        } catch (Throwable t) {
            throw Downcalls.unexpected("aio_fsync", t);
        }
    }

    /**
     * {@code aio_error(aiocb)}: 0 when it succeeded, a positive errno when it failed (including
     * {@code EINPROGRESS} while pending), or {@code -EINVAL} if the call itself failed.
     */
    public static int aioError(MemorySegment aiocb) {
        try {
            int r = (int) AIO_ERROR.invokeExact(aiocb);
            return r >= 0 ? r : -EINVAL;
        } catch (Throwable t) {
            throw Downcalls.unexpected("aio_error", t);
        }
    }

    /**
     * {@code aio_return(aiocb)}: the raw {@code __return_value}. glibc's aio_return does not set
     * errno (it only reads the field), so a failure is read from {@link #aioError}, never here.
     */
    public static long aioReturn(MemorySegment aiocb) {
        try {
            return (long) AIO_RETURN.invokeExact(aiocb);
        } catch (Throwable t) {
            throw Downcalls.unexpected("aio_return", t);
        }
    }

    /**
     * {@code aio_cancel(fd, aiocb)} ({@code aiocb} may be {@link MemorySegment#NULL}): one of
     * {@link #AIO_CANCELED}, {@link #AIO_NOTCANCELED}, {@link #AIO_ALLDONE}, or {@code -errno}.
     */
    public static int aioCancel(int fd, MemorySegment aiocb) {
        CallState state = CallState.current();
        try {
            return result((int) AIO_CANCEL.invokeExact(state.capture, fd, aiocb), state);
        } catch (Throwable t) {
            throw Downcalls.unexpected("aio_cancel", t);
        }
    }

    /**
     * {@code aio_suspend(list, n, timeout)} with a relative timeout: 0 when one of the list is
     * complete, {@code -EAGAIN} when the timeout elapsed, {@code -EINTR} when a signal arrived.
     * {@code list} is an array of {@code n} aiocb pointers, for example from
     * {@link CallState#pointers(int)}.
     */
    public static int aioSuspend(MemorySegment list, int n, long timeoutNanos) {
        CallState state = CallState.current();
        try {
            return result((int) AIO_SUSPEND.invokeExact(state.capture, list, n, state.timespec(timeoutNanos)), state);
        } catch (Throwable t) {
            throw Downcalls.unexpected("aio_suspend", t);
        }
    }

    /**
     * {@code lio_listio(mode, list, n, sigevent)}: 0, or {@code -errno} (EAGAIN, EINVAL, EIO,
     * EINTR), after which some operations of the list may have been queued and others not.
     */
    public static int lioListio(int mode, MemorySegment list, int n, MemorySegment sigevent) {
        CallState state = CallState.current();
        try {
            return result((int) LIO_LISTIO.invokeExact(state.capture, mode, list, n, sigevent), state);
        } catch (Throwable t) {
            throw Downcalls.unexpected("lio_listio", t);
        }
    }

    private static int result(int r, CallState state) {
        return r >= 0 ? r : -state.errno();
    }

    /**
     * Creates the function pointer libc calls for {@code SIGEV_THREAD}: an upcall into
     * {@code target} ({@code void (long)}), valid for the life of the process. The target must
     * never throw: an exception escaping an upcall ends the JVM.
     */
    @SuppressWarnings("restricted")
    public static MemorySegment sigevThreadStub(MethodHandle target) {
        NativeAccess.ensureEnabled();
        return Linker.nativeLinker().upcallStub(target, SIGEV_THREAD_FUNCTION, java.lang.foreign.Arena.global());
    }
}
