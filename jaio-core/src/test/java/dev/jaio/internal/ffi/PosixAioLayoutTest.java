package dev.jaio.internal.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.testing.CProbe;
import java.lang.foreign.Linker;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every size, offset and constant the posix engine and {@link Libc} pass to C, checked against
 * what gcc says on this machine. A mismatch here would let libc write outside an aiocb.
 */
class PosixAioLayoutTest {
    private static Map<String, Long> c;

    @BeforeAll
    static void askC() {
        c = CProbe.run(CProbe.header("aio.h", "signal.h", "fcntl.h", "time.h", "limits.h", "errno.h", "unistd.h") + """
                int main(void) {
                    SIZE(struct aiocb);
                    OFF(struct aiocb, aio_fildes);
                    OFF(struct aiocb, aio_lio_opcode);
                    OFF(struct aiocb, aio_reqprio);
                    OFF(struct aiocb, aio_buf);
                    OFF(struct aiocb, aio_nbytes);
                    OFF(struct aiocb, aio_sigevent);
                    OFF(struct aiocb, __error_code);
                    OFF(struct aiocb, __return_value);
                    OFF(struct aiocb, aio_offset);
                    FSIZE(struct aiocb, aio_fildes);
                    FSIZE(struct aiocb, aio_reqprio);
                    FSIZE(struct aiocb, aio_nbytes);
                    FSIZE(struct aiocb, __error_code);
                    FSIZE(struct aiocb, __return_value);
                    FSIZE(struct aiocb, aio_offset);
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
                    CONST(AIO_PRIO_DELTA_MAX);
                    CONST(O_RDONLY); CONST(O_WRONLY); CONST(O_RDWR); CONST(O_CREAT); CONST(O_EXCL);
                    CONST(O_TRUNC); CONST(O_APPEND); CONST(O_DSYNC); CONST(O_SYNC); CONST(O_CLOEXEC); CONST(O_DIRECT);
                    CONST(sizeof(int)); CONST(EINPROGRESS);
                    CONST(F_GETFD); CONST(F_GETFL); CONST(SEEK_CUR); CONST(ESPIPE);
                    return 0;
                }
                """);
    }

    private static void expect(Map<String, Long> javaSide) {
        Map<String, String> wrong = new LinkedHashMap<>();
        javaSide.forEach((key, java) -> {
            Long inC = c.get(key);
            if (inC == null || inC.longValue() != java) {
                wrong.put(key, "java " + java + ", C " + inC);
            }
        });
        assertTrue(wrong.isEmpty(), "layouts that disagree with C: " + wrong);
    }

    @Test
    void aiocbMatchesGlibc() {
        Map<String, Long> j = new LinkedHashMap<>();
        j.put("sizeof.struct aiocb", PosixAio.AIOCB_SIZE);
        j.put("offsetof.struct aiocb.aio_fildes", PosixAio.AIO_FILDES);
        j.put("offsetof.struct aiocb.aio_lio_opcode", PosixAio.AIO_LIO_OPCODE);
        j.put("offsetof.struct aiocb.aio_reqprio", PosixAio.AIO_REQPRIO);
        j.put("offsetof.struct aiocb.aio_buf", PosixAio.AIO_BUF);
        j.put("offsetof.struct aiocb.aio_nbytes", PosixAio.AIO_NBYTES);
        j.put("offsetof.struct aiocb.aio_sigevent", PosixAio.AIO_SIGEVENT);
        j.put("offsetof.struct aiocb.__error_code", PosixAio.AIO_ERROR_CODE);
        j.put("offsetof.struct aiocb.__return_value", PosixAio.AIO_RETURN_VALUE);
        j.put("offsetof.struct aiocb.aio_offset", PosixAio.AIO_OFFSET);
        // The Java accesses use these widths: int fields as JAVA_INT, size_t/ssize_t/off_t as JAVA_LONG.
        j.put("fieldsize.struct aiocb.aio_fildes", 4L);
        j.put("fieldsize.struct aiocb.aio_reqprio", 4L);
        j.put("fieldsize.struct aiocb.aio_nbytes", 8L);
        j.put("fieldsize.struct aiocb.__error_code", 4L);
        j.put("fieldsize.struct aiocb.__return_value", 8L);
        j.put("fieldsize.struct aiocb.aio_offset", 8L);
        expect(j);
    }

    @Test
    void sigeventMatchesGlibc() {
        Map<String, Long> j = new LinkedHashMap<>();
        j.put("sizeof.struct sigevent", PosixAio.SIGEVENT_SIZE);
        j.put("sizeof.union sigval", PosixAio.SIGVAL.byteSize());
        j.put("offsetof.struct sigevent.sigev_value", PosixAio.SIGEV_VALUE);
        j.put("offsetof.struct sigevent.sigev_signo", PosixAio.SIGEV_SIGNO);
        j.put("offsetof.struct sigevent.sigev_notify", PosixAio.SIGEV_NOTIFY);
        j.put("offsetof.struct sigevent.sigev_notify_function", PosixAio.SIGEV_NOTIFY_FUNCTION);
        j.put("offsetof.struct sigevent.sigev_notify_attributes", PosixAio.SIGEV_NOTIFY_ATTRIBUTES);
        expect(j);
    }

    @Test
    void timespecAndCaptureStateMatch() {
        Map<String, Long> j = new LinkedHashMap<>();
        j.put("sizeof.struct timespec", CallState.TIMESPEC_SIZE);
        j.put("offsetof.struct timespec.tv_sec", 0L);
        j.put("offsetof.struct timespec.tv_nsec", 8L);
        j.put("const.sizeof(int)", Linker.Option.captureStateLayout()
                .select(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno")).byteSize());
        expect(j);
    }

    @Test
    void constantsMatchGlibc() {
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
        j.put("const.AIO_PRIO_DELTA_MAX", (long) PosixAio.AIO_PRIO_DELTA_MAX);
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
        j.put("const.O_DIRECT", (long) Libc.O_DIRECT);
        expect(j);
    }

    @Test
    void notQueuedSentinelIsNoErrno() {
        // The posix engine marks aiocbs with a value no system call returns; errnos stay below 4096.
        assertTrue(0x4A41494F > 4095);
        assertEquals(115L, c.get("const.EINPROGRESS"));
    }
}
