package dev.jaio.cli;

import dev.jaio.AioProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@code jaio bench} measures when {@code --direct} is not given: O_DIRECT when the file
 * system of the file it will use supports it (asked the way {@code jaio probe} asks,
 * {@code statx(STATX_DIOALIGN)}) and {@code --bs} fits its alignment; else the page cache. The
 * default shows where asynchronous I/O pays (a device with a queue to fill), and falls back to
 * cached data only where the device cannot be reached directly.
 *
 * <p>Stateless.
 */
final class DirectIoDefault {
    private DirectIoDefault() {
    }

    /**
     * The choice, and why it was made (for the header).
     *
     * @param direct whether to use O_DIRECT
     * @param why the reason in a few words, such as "ext4 supports it"
     */
    record Choice(boolean direct, String why) {
    }

    /** Chooses for {@code o} (whose {@code --direct} was not given). */
    static Choice choose(BenchOptions o) {
        Path where = o.filename() == null ? Path.of(System.getProperty("java.io.tmpdir"))
                : Files.exists(o.filename()) ? o.filename() : o.filename().toAbsolutePath().getParent();
        String fs = fsType(where);
        Optional<AioProbe.DirectIoAlignment> a;
        try {
            a = AioProbe.directIoAlignment(where);
        } catch (IOException | RuntimeException | LinkageError e) {
            return new Choice(false, "whether " + fs + " supports O_DIRECT is unknown (" + e.getClass().getSimpleName()
                    + ")");
        }
        if (a.isEmpty()) {
            return new Choice(false, "the kernel does not tell whether " + fs + " supports O_DIRECT");
        }
        long align = a.get().offsetAlignment();
        if (align == 0) {
            return new Choice(false, fs + " has no O_DIRECT");
        }
        if (!BenchOptions.directBlockSize(o.bs()) || o.bs() % align != 0) {
            return new Choice(false, "--bs " + o.bs() + " does not fit the O_DIRECT alignment of " + fs + " ("
                    + align + " bytes)");
        }
        return new Choice(true, fs + " supports it");
    }

    private static String fsType(Path where) {
        try {
            return Files.getFileStore(where).type() + " at " + where;
        } catch (IOException e) {
            return "the file system of " + where;
        }
    }
}
