package dev.jaio.reliability;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * A block device whose first {@code goodBytes} work and whose remaining sectors fail with
 * {@code EIO}, made from nothing but the kernel's loop driver and a memfd, so it needs neither
 * device-mapper (absent from many kernels, this one included) nor a disk.
 *
 * <p>How: a loop device is configured over a memfd of {@code size} bytes; then the memfd is cut
 * short to {@code goodBytes} and sealed against growing ({@code F_SEAL_GROW}). The device keeps
 * its size, so a request past {@code goodBytes} reaches the backing file beyond its end: a read
 * finds no data, which the loop driver completes with {@code BLK_STS_IOERR}; a write is refused by
 * the seal ({@code EPERM}), which the block layer also turns into {@code BLK_STS_IOERR}. Either way
 * the caller sees {@code EIO}, per request, while requests in the good range succeed. Buffered
 * writes to the bad range succeed into the page cache; their {@code fsync} then reports
 * {@code EIO}.
 *
 * <p>The device is configured with {@code LO_FLAGS_AUTOCLEAR}: the kernel detaches it as soon as
 * its last descriptor is closed, so even a test JVM that dies leaves no loop device behind. Needs
 * root ({@code CAP_SYS_ADMIN}) and {@code /dev/loop-control}; without them the test is aborted
 * with the reason.
 */
final class FailingDisk implements AutoCloseable {
    private final int memfd;
    private final int loopFd;
    private final Path device;
    private final long size;
    private final long goodBytes;
    private boolean closed;

    private FailingDisk(int memfd, int loopFd, Path device, long size, long goodBytes) {
        this.memfd = memfd;
        this.loopFd = loopFd;
        this.device = device;
        this.size = size;
        this.goodBytes = goodBytes;
    }

    /**
     * A device of {@code size} bytes, 4096-byte logical blocks, failing from {@code goodBytes} on;
     * or the test is aborted saying what is missing.
     */
    static FailingDisk create(long size, long goodBytes) {
        int memfd = LinuxCalls.memfdCreate("jaio-failing-disk", LinuxCalls.MFD_CLOEXEC | LinuxCalls.MFD_ALLOW_SEALING);
        if (memfd < 0) {
            Assumptions.abort("memfd_create failed: " + LinuxCalls.errnoText(-memfd));
        }
        int loopFd = -1;
        try {
            check(LinuxCalls.ftruncate(memfd, size), "ftruncate(memfd, " + size + ")");
            int control = LinuxCalls.open("/dev/loop-control", LinuxCalls.O_RDWR | LinuxCalls.O_CLOEXEC);
            if (control < 0) {
                Assumptions.abort("no loop devices here: open(/dev/loop-control) failed with "
                        + LinuxCalls.errnoText(-control) + " (needs root and the loop driver)");
            }
            Path device = null;
            try {
                // Another process may take the free device between GET_FREE and CONFIGURE: try again.
                for (int attempt = 0; attempt < 10 && loopFd < 0; attempt++) {
                    int n = LinuxCalls.ioctl(control, LinuxCalls.LOOP_CTL_GET_FREE, 0L);
                    if (n < 0) {
                        Assumptions.abort("LOOP_CTL_GET_FREE failed: " + LinuxCalls.errnoText(-n));
                    }
                    device = Path.of("/dev/loop" + n);
                    int fd = LinuxCalls.open(device.toString(), LinuxCalls.O_RDWR | LinuxCalls.O_CLOEXEC);
                    if (fd < 0) {
                        Assumptions.abort("open(" + device + ") failed: " + LinuxCalls.errnoText(-fd)
                                + " (the device node may be missing in this container)");
                    }
                    int r;
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment config = arena.allocate(LinuxCalls.LOOP_CONFIG_SIZE, 8);
                        config.set(JAVA_INT, LinuxCalls.LOOP_CONFIG_FD, memfd);
                        config.set(JAVA_INT, LinuxCalls.LOOP_CONFIG_BLOCK_SIZE, 4096);
                        config.set(JAVA_INT, LinuxCalls.LOOP_CONFIG_LO_FLAGS, LinuxCalls.LO_FLAGS_AUTOCLEAR);
                        r = LinuxCalls.ioctl(fd, LinuxCalls.LOOP_CONFIGURE, config);
                    }
                    if (r == 0) {
                        loopFd = fd;
                    } else {
                        LinuxCalls.close(fd);
                        if (r != -dev.jaio.Errno.EBUSY.code()) {
                            Assumptions.abort("LOOP_CONFIGURE failed: " + LinuxCalls.errnoText(-r)
                                    + " (needs Linux 5.8 and CAP_SYS_ADMIN)");
                        }
                    }
                }
            } finally {
                LinuxCalls.close(control);
            }
            if (loopFd < 0) {
                Assumptions.abort("no free loop device could be configured");
            }
            check(LinuxCalls.ftruncate(memfd, goodBytes), "ftruncate(memfd, " + goodBytes + ")");
            check(LinuxCalls.fcntl(memfd, LinuxCalls.F_ADD_SEALS, LinuxCalls.F_SEAL_GROW), "F_ADD_SEALS(F_SEAL_GROW)");
            return new FailingDisk(memfd, loopFd, device, size, goodBytes);
        } catch (RuntimeException | Error e) {
            if (loopFd >= 0) {
                LinuxCalls.close(loopFd);
            }
            LinuxCalls.close(memfd);
            throw e;
        }
    }

    private static void check(int r, String what) {
        if (r < 0) {
            throw new IllegalStateException(what + " failed: " + LinuxCalls.errnoText(-r));
        }
    }

    /** The device node, for {@code AioFile.open}. */
    Path device() {
        return device;
    }

    /** The device's size. */
    long size() {
        return size;
    }

    /** Where the failing range begins. */
    long goodBytes() {
        return goodBytes;
    }

    /** Closes the test's descriptors; the kernel detaches the device once no one has it open. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LinuxCalls.close(loopFd);
            LinuxCalls.close(memfd);
        }
    }
}
