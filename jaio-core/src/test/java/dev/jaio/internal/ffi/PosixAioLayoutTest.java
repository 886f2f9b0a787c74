package dev.jaio.internal.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.testing.CProbe;
import dev.jaio.testing.CTarget;
import java.lang.foreign.Linker;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every size, offset and constant the posix engine and {@link Libc} pass to C, checked against
 * what each {@link CTarget} says: glibc on x86_64 (this machine's gcc) and on aarch64 (the cross
 * compiler, run under qemu-user), and musl on x86_64 ({@code musl-gcc}). A mismatch here would let
 * libc write outside an aiocb. jaio does not run its posix engine on musl ({@link Platform}); the
 * musl columns check the public aiocb fields, the sigevent jaio builds, the constants and the open
 * flags that the other engines use there, and print musl's private aiocb fields, whose names
 * differ ({@code __err}, {@code __ret}).
 */
class PosixAioLayoutTest {
    private static final Map<CTarget, Map<String, Long>> C = new ConcurrentHashMap<>();

    /** One probe per target, compiled once for the class (and cached in target/cprobe). */
    private static Map<String, Long> c(CTarget target) {
        return C.computeIfAbsent(target, PosixAioLayoutTest::askC);
    }

    private static Map<String, Long> askC(CTarget target) {
        boolean glibc = target.library() == CLibrary.GLIBC;
        String errorCode = glibc ? "__error_code" : "__err";
        String returnValue = glibc ? "__return_value" : "__ret";
        return CProbe.run(target, CProbe.header("aio.h", "signal.h", "fcntl.h", "time.h", "limits.h", "errno.h", "unistd.h") + """
                int main(void) {
                    SIZE(struct aiocb);
                    OFF(struct aiocb, aio_fildes);
                    OFF(struct aiocb, aio_lio_opcode);
                    OFF(struct aiocb, aio_reqprio);
                    OFF(struct aiocb, aio_buf);
                    OFF(struct aiocb, aio_nbytes);
                    OFF(struct aiocb, aio_sigevent);
                    OFF(struct aiocb, aio_offset);
                    FSIZE(struct aiocb, aio_fildes);
                    FSIZE(struct aiocb, aio_reqprio);
                    FSIZE(struct aiocb, aio_nbytes);
                    FSIZE(struct aiocb, aio_offset);
                    /* private: glibc's __error_code/__return_value, musl's __err/__ret */
                    printf("offsetof.struct aiocb.__error_code %zu\\n", offsetof(struct aiocb, ERROR_CODE));
                    printf("offsetof.struct aiocb.__return_value %zu\\n", offsetof(struct aiocb, RETURN_VALUE));
                    printf("fieldsize.struct aiocb.__error_code %zu\\n", sizeof(((struct aiocb *) 0)->ERROR_CODE));
                    printf("fieldsize.struct aiocb.__return_value %zu\\n", sizeof(((struct aiocb *) 0)->RETURN_VALUE));
                    SIZE(struct sigevent);
                    SIZE(union sigval);
                    OFF(struct sigevent, sigev_value);
                    OFF(struct sigevent, sigev_signo);
                    OFF(struct sigevent, sigev_notify);
                    OFF(struct sigevent, sigev_notify_function);
                    OFF(struct sigevent, sigev_notify_attributes);
                    SIZE(struct timespec);
                    OFF(struct timespec, tv_sec);
                    OFF(struct timespec, tv_nsec);
                    CONST(LIO_READ); CONST(LIO_WRITE); CONST(LIO_NOP);
                    CONST(LIO_WAIT); CONST(LIO_NOWAIT);
                    CONST(AIO_CANCELED); CONST(AIO_NOTCANCELED); CONST(AIO_ALLDONE);
                    CONST(SIGEV_SIGNAL); CONST(SIGEV_NONE); CONST(SIGEV_THREAD);
                #ifdef AIO_PRIO_DELTA_MAX
                    CONST(AIO_PRIO_DELTA_MAX);
                #endif
                    CONST(O_RDONLY); CONST(O_WRONLY); CONST(O_RDWR); CONST(O_CREAT); CONST(O_EXCL);
                    CONST(O_TRUNC); CONST(O_APPEND); CONST(O_DSYNC); CONST(O_SYNC); CONST(O_CLOEXEC); CONST(O_DIRECT);
                    CONST(sizeof(int)); CONST(EINPROGRESS);
                    CONST(F_GETFD); CONST(F_GETFL); CONST(SEEK_CUR); CONST(ESPIPE);
                    return 0;
                }
                """.replace("ERROR_CODE", errorCode).replace("RETURN_VALUE", returnValue));
    }

    private static void expect(CTarget target, Map<String, Long> javaSide) {
        Map<String, Long> c = c(target);
        Map<String, String> wrong = new LinkedHashMap<>();
        javaSide.forEach((key, java) -> {
            Long inC = c.get(key);
            if (inC == null || inC.longValue() != java) {
                wrong.put(key, "java " + java + ", C " + inC);
            }
        });
        assertTrue(wrong.isEmpty(), "layouts that disagree with " + target + ": " + wrong);
    }

    @ParameterizedTest
    @EnumSource(CTarget.class)
    void aiocbMatchesC(CTarget target) {
        Map<String, Long> j = new LinkedHashMap<>();
        j.put("sizeof.struct aiocb", PosixAio.AIOCB_SIZE);
        j.put("offsetof.struct aiocb.aio_fildes", PosixAio.AIO_FILDES);
        j.put("offsetof.struct aiocb.aio_lio_opcode", PosixAio.AIO_LIO_OPCODE);
        j.put("offsetof.struct aiocb.aio_reqprio", PosixAio.AIO_REQPRIO);
        j.put("offsetof.struct aiocb.aio_buf", PosixAio.AIO_BUF);
        j.put("offsetof.struct aiocb.aio_nbytes", PosixAio.AIO_NBYTES);
        j.put("offsetof.struct aiocb.aio_sigevent", PosixAio.AIO_SIGEVENT);
        if (target.library() == CLibrary.GLIBC) {
            // glibc's private fields, which the posix engine's layout spells out; musl's differ
            // (and the posix engine does not run there), so they are only printed.
            j.put("offsetof.struct aiocb.__error_code", PosixAio.AIO_ERROR_CODE);
            j.put("offsetof.struct aiocb.__return_value", PosixAio.AIO_RETURN_VALUE);
            j.put("fieldsize.struct aiocb.__error_code", 4L);
            j.put("fieldsize.struct aiocb.__return_value", 8L);
        } else {
            Map<String, Long> c = c(target);
            System.out.println(target + ": __err at " + c.get("offsetof.struct aiocb.__error_code") + " ("
                    + c.get("fieldsize.struct aiocb.__error_code") + " bytes), __ret at "
                    + c.get("offsetof.struct aiocb.__return_value") + " (" + c.get("fieldsize.struct aiocb.__return_value")
                    + " bytes); glibc's __error_code at " + PosixAio.AIO_ERROR_CODE + ", __return_value at "
                    + PosixAio.AIO_RETURN_VALUE);
        }
        j.put("offsetof.struct aiocb.aio_offset", PosixAio.AIO_OFFSET);
        // The Java accesses use these widths: int fields as JAVA_INT, size_t/ssize_t/off_t as JAVA_LONG.
        j.put("fieldsize.struct aiocb.aio_fildes", 4L);
        j.put("fieldsize.struct aiocb.aio_reqprio", 4L);
        j.put("fieldsize.struct aiocb.aio_nbytes", 8L);
        j.put("fieldsize.struct aiocb.aio_offset", 8L);
        expect(target, j);
    }

    @ParameterizedTest
    @EnumSource(CTarget.class)
    void sigeventMatchesC(CTarget target) {
        Map<String, Long> j = new LinkedHashMap<>();
        j.put("sizeof.struct sigevent", PosixAio.SIGEVENT_SIZE);
        j.put("sizeof.union sigval", PosixAio.SIGVAL.byteSize());
        j.put("offsetof.struct sigevent.sigev_value", PosixAio.SIGEV_VALUE);
        j.put("offsetof.struct sigevent.sigev_signo", PosixAio.SIGEV_SIGNO);
        j.put("offsetof.struct sigevent.sigev_notify", PosixAio.SIGEV_NOTIFY);
        j.put("offsetof.struct sigevent.sigev_notify_function", PosixAio.SIGEV_NOTIFY_FUNCTION);
        j.put("offsetof.struct sigevent.sigev_notify_attributes", PosixAio.SIGEV_NOTIFY_ATTRIBUTES);
        expect(target, j);
    }

    @ParameterizedTest
    @EnumSource(CTarget.class)
    void timespecAndCaptureStateMatch(CTarget target) {
        Map<String, Long> j = new LinkedHashMap<>();
        j.put("sizeof.struct timespec", CallState.TIMESPEC_SIZE);
        j.put("offsetof.struct timespec.tv_sec", 0L);
        j.put("offsetof.struct timespec.tv_nsec", 8L);
        j.put("const.sizeof(int)", Linker.Option.captureStateLayout()
                .select(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno")).byteSize());
        expect(target, j);
    }

    @ParameterizedTest
    @EnumSource(CTarget.class)
    void constantsMatchC(CTarget target) {
        Map<String, Long> j = new LinkedHashMap<>();
        j.put("const.LIO_READ", (long) PosixAio.LIO_READ);
        j.put("const.LIO_WRITE", (long) PosixAio.LIO_WRITE);
        j.put("const.LIO_NOP", (long) PosixAio.LIO_NOP);
        j.put("const.LIO_WAIT", (long) PosixAio.LIO_WAIT);
        j.put("const.LIO_NOWAIT", (long) PosixAio.LIO_NOWAIT);
        j.put("const.AIO_CANCELED", (long) PosixAio.AIO_CANCELED);
        j.put("const.AIO_NOTCANCELED", (long) PosixAio.AIO_NOTCANCELED);
        j.put("const.AIO_ALLDONE", (long) PosixAio.AIO_ALLDONE);
        j.put("const.SIGEV_SIGNAL", (long) PosixAio.SIGEV_SIGNAL);
        j.put("const.SIGEV_NONE", (long) PosixAio.SIGEV_NONE);
        j.put("const.SIGEV_THREAD", (long) PosixAio.SIGEV_THREAD);
        if (target.library() == CLibrary.GLIBC) {
            j.put("const.AIO_PRIO_DELTA_MAX", (long) PosixAio.AIO_PRIO_DELTA_MAX); // musl does not define it
        }
        j.put("const.O_RDONLY", (long) Libc.O_RDONLY);
        j.put("const.O_WRONLY", (long) Libc.O_WRONLY);
        j.put("const.O_RDWR", (long) Libc.O_RDWR);
        j.put("const.O_CREAT", (long) Libc.O_CREAT);
        j.put("const.O_EXCL", (long) Libc.O_EXCL);
        j.put("const.O_TRUNC", (long) Libc.O_TRUNC);
        j.put("const.O_APPEND", (long) Libc.O_APPEND);
        j.put("const.F_GETFD", (long) Descriptors.F_GETFD);
        j.put("const.F_GETFL", (long) Descriptors.F_GETFL);
        j.put("const.SEEK_CUR", (long) Descriptors.SEEK_CUR);
        j.put("const.ESPIPE", (long) Descriptors.ESPIPE);
        j.put("const.O_DSYNC", (long) Libc.O_DSYNC);
        j.put("const.O_SYNC", (long) Libc.O_SYNC);
        j.put("const.O_CLOEXEC", (long) Libc.O_CLOEXEC);
        j.put("const.O_DIRECT", (long) target.architecture().oDirect);
        expect(target, j);
    }

    @ParameterizedTest
    @EnumSource(CTarget.class)
    void notQueuedSentinelIsNoErrno(CTarget target) {
        // The posix engine marks aiocbs with a value no system call returns; errnos stay below 4096.
        assertTrue(0x4A41494F > 4095);
        assertEquals(115L, c(target).get("const.EINPROGRESS"));
    }

    @Test
    void thisMachinesODirectIsItsArchitecturesValue() {
        assertEquals(CTarget.ofHost().architecture().oDirect, Libc.O_DIRECT);
    }
}
