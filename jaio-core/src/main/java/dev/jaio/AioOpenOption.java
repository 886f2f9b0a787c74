package dev.jaio;

import java.nio.file.OpenOption;

/** Open options of {@link AioFile#open} beyond {@link java.nio.file.StandardOpenOption}. */
public enum AioOpenOption implements OpenOption {
    /**
     * {@code O_DIRECT}: transfers bypass the page cache. Buffers, offsets and lengths must then be
     * aligned to the file system's direct-I/O alignment (usually 512 or 4096 bytes; allocate
     * buffers with {@code arena.allocate(size, 4096)}), or the operation fails with
     * {@link Errno#EINVAL}. Some file systems (tmpfs) refuse it at open.
     */
    DIRECT
}
