package dev.jaio.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * A tmpfs of a few pages, mounted on a fresh temporary directory for one test: a disk that fills
 * up at once. Needs {@code CAP_SYS_ADMIN} (root, outside a restricted container); without it the
 * test is aborted with the reason. {@link #close()} unmounts it (lazily if something still holds
 * it) and removes the directory.
 *
 * <p>tmpfs takes {@code O_DIRECT} on Linux 6.6 and later, and reports a full disk at write time
 * (a write that does not fit at all fails with {@code ENOSPC}; one that fits in part is short).
 */
final class SmallTmpfs implements AutoCloseable {
    private final Path dir;
    private final long size;
    private boolean mounted = true;

    private SmallTmpfs(Path dir, long size) {
        this.dir = dir;
        this.size = size;
    }

    /** Mounts a tmpfs of {@code bytes} (a multiple of the page size), or aborts the test saying why not. */
    static SmallTmpfs mount(long bytes) throws IOException {
        Path dir = Files.createTempDirectory("jaio-small-tmpfs-");
        int r = LinuxCalls.mount("jaio-small-tmpfs", dir.toString(), "tmpfs", "size=" + bytes + ",mode=0700");
        if (r < 0) {
            Files.deleteIfExists(dir);
            Assumptions.abort("cannot mount a " + bytes + "-byte tmpfs for a disk-full test: mount(2) failed with "
                    + LinuxCalls.errnoText(-r) + " (needs root with CAP_SYS_ADMIN)");
        }
        return new SmallTmpfs(dir, bytes);
    }

    /** Where it is mounted. */
    Path dir() {
        return dir;
    }

    /** Its size in bytes. */
    long size() {
        return size;
    }

    @Override
    public void close() throws IOException {
        if (!mounted) {
            return;
        }
        mounted = false;
        int r = LinuxCalls.umount2(dir.toString(), 0);
        if (r < 0) {
            // Something (a descriptor a failed test left open) still uses it: detach it now, the
            // kernel frees it when the last user goes.
            r = LinuxCalls.umount2(dir.toString(), LinuxCalls.MNT_DETACH);
        }
        Files.deleteIfExists(dir);
        if (r < 0) {
            throw new IOException("umount2(" + dir + ") failed: " + LinuxCalls.errnoText(-r));
        }
    }
}
