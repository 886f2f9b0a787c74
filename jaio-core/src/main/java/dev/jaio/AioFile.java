package dev.jaio;

import dev.jaio.internal.OwnedDescriptors;
import dev.jaio.internal.ffi.Libc;
import dev.jaio.internal.ffi.NativeAccess;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A file descriptor opened for asynchronous I/O: {@code open(2)} with the flags the options ask
 * for, including {@link AioOpenOption#DIRECT} ({@code O_DIRECT}), which {@code java.nio} cannot
 * express. Every operation also accepts raw {@code int} descriptors from elsewhere.
 *
 * {@snippet class=dev.jaio.examples.EngineExample region=direct}
 *
 * <p>{@link #close()} closes the descriptor: close or finish the blocks that use it first, since
 * a descriptor number is reused by the next {@code open}. Thread-safe.
 */
public final class AioFile implements AutoCloseable {
    private final int fd;
    private final Path path;
    private volatile boolean closed;

    private AioFile(int fd, Path path) {
        this.fd = fd;
        this.path = path;
    }

    /**
     * Opens {@code path}. Supported options: {@link StandardOpenOption} READ, WRITE, APPEND,
     * CREATE, CREATE_NEW, TRUNCATE_EXISTING, DSYNC, SYNC, and {@link AioOpenOption#DIRECT} or the
     * JDK's {@code com.sun.nio.file.ExtendedOpenOption.DIRECT} (both {@code O_DIRECT}). Without
     * READ, WRITE or APPEND the file is opened for reading. As in {@code java.nio}, APPEND
     * ({@code O_APPEND}) opens for writing and refuses READ and TRUNCATE_EXISTING; every write
     * then lands at the end of the file, whatever its offset, and POSIX wants such writes kept in
     * call order (every engine does). New files get mode {@code 0666} less the umask.
     *
     * @param path the file to open
     * @param options how to open it
     * @return the open file, owned by the caller
     * @throws NoSuchFileException if it does not exist (and CREATE was not given)
     * @throws AccessDeniedException without permission
     * @throws FileAlreadyExistsException with CREATE_NEW when it exists
     * @throws FileSystemException for other refusals, with the C library's reason (such as
     *         {@code O_DIRECT} on a file system without it: "Invalid argument")
     * @throws UnsupportedOperationException for an option this method does not support
     * @throws IllegalArgumentException for APPEND with READ or TRUNCATE_EXISTING
     */
    public static AioFile open(Path path, OpenOption... options) throws IOException {
        Objects.requireNonNull(path, "path");
        NativeAccess.ensureEnabled();
        int flags = flags(options);
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = Libc.open(arena.allocateFrom(path.toString()), flags, 0666);
        }
        if (fd < 0) {
            throw openFailure(path, -fd, (flags & Libc.O_DIRECT) != 0);
        }
        OwnedDescriptors.opened(fd);
        return new AioFile(fd, path);
    }

    /**
     * A new, empty, read-write file in {@code java.io.tmpdir}, already unlinked: it has no name,
     * and the file system frees it when the descriptor is closed (the Rust {@code tempfile()}).
     *
     * @return the open temporary file, owned by the caller
     * @throws IOException if {@code java.io.tmpdir} refuses a new file
     */
    public static AioFile tempfile() throws IOException {
        NativeAccess.ensureEnabled();
        Path p = Files.createTempFile("jaio-", ".tmp");
        try {
            AioFile f = open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
            return new AioFile(f.fd, null);
        } finally {
            Files.deleteIfExists(p);
        }
    }

    /**
     * The descriptor, for the control blocks.
     *
     * @return the file descriptor
     * @throws IllegalStateException once closed
     */
    public int fd() {
        requireOpen();
        return fd;
    }

    /**
     * The path it was opened with.
     *
     * @return the path, or null for a {@link #tempfile()}
     */
    public Path path() {
        return path;
    }

    /**
     * The file's current size in bytes.
     *
     * @return the size, as {@code fstat} says now
     * @throws IOException if the size cannot be read
     */
    public long size() throws IOException {
        requireOpen();
        // The kernel's link to the open file works for unlinked files too.
        return Files.size(Path.of("/proc/self/fd/" + fd));
    }

    /**
     * Closes the descriptor; idempotent.
     *
     * @throws IOException if {@code close(2)} fails (the descriptor is closed all the same)
     */
    @Override
    public void close() throws IOException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        // First: an io_uring engine's registered-file slot for this number must be empty before
        // the number can be given to another file.
        OwnedDescriptors.closing(fd);
        int r = Libc.close(fd);
        if (r < 0) {
            throw new FileSystemException(String.valueOf(path), null, "close(" + fd + ") failed: "
                    + Errno.of(-r).description());
        }
    }

    @Override
    public String toString() {
        return "AioFile[fd=" + fd + (path == null ? ", unlinked" : ", " + path) + (closed ? ", closed" : "") + "]";
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("AioFile " + (path == null ? "(temp file)" : path) + " is closed");
        }
    }

    private static int flags(OpenOption... options) {
        boolean read = false, write = false, append = false;
        int flags = Libc.O_CLOEXEC;
        for (OpenOption o : options) {
            Objects.requireNonNull(o, "option");
            if (o == StandardOpenOption.READ) {
                read = true;
            } else if (o == StandardOpenOption.WRITE) {
                write = true;
            } else if (o == StandardOpenOption.CREATE) {
                flags |= Libc.O_CREAT;
            } else if (o == StandardOpenOption.CREATE_NEW) {
                flags |= Libc.O_CREAT | Libc.O_EXCL;
            } else if (o == StandardOpenOption.TRUNCATE_EXISTING) {
                flags |= Libc.O_TRUNC;
            } else if (o == StandardOpenOption.DSYNC) {
                flags |= Libc.O_DSYNC;
            } else if (o == StandardOpenOption.SYNC) {
                flags |= Libc.O_SYNC;
            } else if (o == StandardOpenOption.APPEND) {
                append = true;
                write = true;
                flags |= Libc.O_APPEND;
            } else if (o == AioOpenOption.DIRECT || isJdkDirect(o)) {
                flags |= Libc.O_DIRECT;
            } else {
                throw new UnsupportedOperationException("AioFile.open does not support " + o + ": use READ, WRITE,"
                        + " APPEND, CREATE, CREATE_NEW, TRUNCATE_EXISTING, DSYNC, SYNC or AioOpenOption.DIRECT");
            }
        }
        if (append && (read || (flags & Libc.O_TRUNC) != 0)) {
            throw new IllegalArgumentException("APPEND cannot be combined with " + (read ? "READ" : "TRUNCATE_EXISTING")
                    + " (as in java.nio.file.Files.newByteChannel)");
        }
        if (write) {
            flags |= read ? Libc.O_RDWR : Libc.O_WRONLY;
        } else {
            flags |= Libc.O_RDONLY;
            if ((flags & (Libc.O_CREAT | Libc.O_TRUNC)) != 0) {
                // Like Files.newByteChannel: creating or truncating without WRITE means nothing.
                flags &= ~(Libc.O_CREAT | Libc.O_EXCL | Libc.O_TRUNC);
            }
        }
        return flags;
    }

    /**
     * Whether {@code o} is {@code com.sun.nio.file.ExtendedOpenOption.DIRECT}, the JDK's own
     * spelling of O_DIRECT. Recognized by its class and constant name rather than by reference:
     * the class lives in module {@code jdk.unsupported}, which jaio then does not have to require
     * (a JDK image may leave that module out, and jaio has no other use for it).
     */
    private static boolean isJdkDirect(OpenOption o) {
        return o instanceof Enum<?> e && e.name().equals("DIRECT")
                && e.getDeclaringClass().getName().equals("com.sun.nio.file.ExtendedOpenOption");
    }

    private static IOException openFailure(Path path, int errno, boolean direct) {
        String file = path.toString();
        Errno e = Errno.of(errno);
        return switch (e) {
            case ENOENT -> new NoSuchFileException(file);
            case EACCES, EPERM -> new AccessDeniedException(file);
            case EEXIST -> new FileAlreadyExistsException(file);
            case EINVAL -> new FileSystemException(file, null, e.description()
                    + (direct ? " (this file system may not support O_DIRECT, AioOpenOption.DIRECT)" : ""));
            default -> new FileSystemException(file, null, e.description() + " (" + e.name() + ")");
        };
    }
}
