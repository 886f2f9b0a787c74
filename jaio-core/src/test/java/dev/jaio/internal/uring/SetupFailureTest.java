package dev.jaio.internal.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.Errno;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The seam that makes {@code io_uring_setup} fail with a chosen errno, and the explanations the
 * engine chooser will log when it falls back.
 */
class SetupFailureTest {

    @AfterEach
    void clearProperty() {
        System.clearProperty(IoUring.FAIL_SETUP_PROPERTY);
    }

    @ParameterizedTest
    @ValueSource(strings = {"EPERM", "ENOMEM", "ENOSYS", "EINVAL", "EMFILE", "EFAULT"})
    void theSeamReturnsTheChosenErrno(String name) {
        int errno = Errno.valueOf(name).code();
        SetupResult result = IoUring.setup(8, 0, 0, SetupSyscall.failing(errno, 0));
        SetupFailure failure = assertInstanceOf(SetupResult.Refused.class, result).failure();
        assertEquals(errno, failure.errno());
        assertEquals(name, failure.errnoName());
        assertEquals("io_uring_setup", failure.call());
        assertTrue(failure.message().startsWith("io_uring_setup refused: " + name + " ("), failure.message());
        assertTrue(failure.message().endsWith(")"), failure.message());
        IllegalStateException thrown = assertThrows(IllegalStateException.class, result::orElseThrow);
        assertEquals(failure.message(), thrown.getMessage());
    }

    @Test
    void epermExplainsTheSysctlOrSeccomp() {
        int eperm = Errno.EPERM.code();
        assertEquals("io_uring_setup refused: EPERM (kernel.io_uring_disabled=2: io_uring is disabled for every"
                + " process on this machine)", refused(SetupSyscall.failing(eperm, 2)).message());
        assertTrue(refused(SetupSyscall.failing(eperm, 1)).explanation().contains("kernel.io_uring_group"));
        assertTrue(refused(SetupSyscall.failing(eperm, 0)).explanation().contains("seccomp filter such as Docker's"));
        String unknown = refused(SetupSyscall.failing(eperm, -1)).explanation();
        assertTrue(unknown.contains("kernel.io_uring_disabled=1 or 2") && unknown.contains("seccomp"), unknown);
    }

    @Test
    void otherErrnosAreExplainedForIoUring() {
        assertTrue(refused(SetupSyscall.failing(Errno.ENOMEM.code(), 0)).explanation().contains("RLIMIT_MEMLOCK"));
        assertTrue(refused(SetupSyscall.failing(Errno.ENOSYS.code(), 0)).explanation().contains("no io_uring"));
        assertTrue(refused(SetupSyscall.failing(Errno.EINVAL.code(), 0)).explanation().contains("flags=0x0"));
        // An errno jaio has no special words for still gets its C library text.
        assertEquals(Errno.EIO.description(), refused(SetupSyscall.failing(Errno.EIO.code(), 0)).explanation());
        SetupFailure odd = refused(SetupSyscall.failing(4000, 0));
        assertEquals("errno 4000", odd.errnoName());
    }

    @Test
    void thePropertyForcesFailureFromAnyPackage() {
        System.setProperty(IoUring.FAIL_SETUP_PROPERTY, "ENOMEM");
        assertEquals(Errno.ENOMEM.code(), refused(IoUring.setup(8, 0)).errno());
        System.setProperty(IoUring.FAIL_SETUP_PROPERTY, String.valueOf(Errno.ENOSYS.code()));
        assertEquals(Errno.ENOSYS.code(), refused(IoUring.setup(8, 0, 0)).errno());
        System.setProperty(IoUring.FAIL_SETUP_PROPERTY, "io_uring_disabled");
        SetupFailure disabled = refused(IoUring.setup(8, 0));
        assertEquals(Errno.EPERM.code(), disabled.errno());
        assertTrue(disabled.explanation().startsWith("kernel.io_uring_disabled=2"), disabled.message());
        System.setProperty(IoUring.FAIL_SETUP_PROPERTY, "EPERM");
        assertEquals(Errno.EPERM.code(), refused(IoUring.setup(8, 0)).errno());
    }

    @ParameterizedTest
    @ValueSource(strings = {"EPREM", "0", "-1", "SUCCESS", "99999999999", "yes"})
    void aMistypedPropertyIsAnErrorNotASilentSuccess(String value) {
        System.setProperty(IoUring.FAIL_SETUP_PROPERTY, value);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IoUring.setup(8, 0));
        assertTrue(e.getMessage().contains(IoUring.FAIL_SETUP_PROPERTY), e.getMessage());
    }

    @Test
    void withoutThePropertyTheKernelIsAskedAgain() {
        System.setProperty(IoUring.FAIL_SETUP_PROPERTY, "EPERM");
        assertInstanceOf(SetupResult.Refused.class, IoUring.setup(8, 0));
        System.clearProperty(IoUring.FAIL_SETUP_PROPERTY);
        try (IoUring ring = IoUring.setup(8, 0).orElseThrow()) {
            assertEquals(8, ring.features().sqEntries());
        }
    }

    @Test
    void theRealSysctlIsReadWhereTheKernelHasIt() throws IOException {
        Path sysctl = Path.of("/proc/sys/kernel/io_uring_disabled");
        int expected = Files.exists(sysctl) ? Integer.parseInt(Files.readString(sysctl).strip()) : -1;
        assertEquals(expected, SetupSyscall.readIoUringDisabled());
        assertEquals(expected, SetupSyscall.KERNEL.ioUringDisabled());
    }

    @Test
    void registerAndEnterRefusalsNameTheirCallFirst() {
        assertEquals("io_uring_register(IORING_REGISTER_PROBE) refused: EPERM (a seccomp filter or security policy"
                + " forbids it)", SetupFailure.ofRegister("IORING_REGISTER_PROBE", Errno.EPERM.code()).message());
        assertTrue(SetupFailure.ofRegister("IORING_REGISTER_PROBE", Errno.EINVAL.code()).message()
                .contains("older than 5.6"));
        assertTrue(SetupFailure.ofRegister("IORING_REGISTER_EVENTFD", Errno.EACCES.code()).message()
                .startsWith("io_uring_register(IORING_REGISTER_EVENTFD) refused: EACCES (a seccomp filter"));
        String enter = SetupFailure.ofEnter(Errno.EPERM.code()).message();
        assertTrue(enter.startsWith("io_uring_enter refused: EPERM (io_uring_setup was allowed, but a seccomp"), enter);
        assertEquals("io_uring_enter refused: EBADF (" + Errno.EBADF.description() + ")",
                SetupFailure.ofEnter(Errno.EBADF.code()).message());
        assertTrue(SetupFailure.ofMmap("SQ ring", Errno.ENOMEM.code(), 4096).message().startsWith(
                "mmap(SQ ring) failed: ENOMEM"));
    }

    @Test
    void aForcedFailureNeedsARealErrno() {
        assertThrows(IllegalArgumentException.class, () -> SetupSyscall.failing(0, 0));
        assertThrows(IllegalArgumentException.class, () -> SetupSyscall.failing(-1, 0));
    }

    private static SetupFailure refused(SetupSyscall syscall) {
        return refused(IoUring.setup(8, 0, 0, syscall));
    }

    private static SetupFailure refused(SetupResult result) {
        return assertInstanceOf(SetupResult.Refused.class, result).failure();
    }
}
