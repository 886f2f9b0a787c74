package dev.jaio;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileLock;

/**
 * A lock of an {@link AioFileChannel}: a POSIX record lock ({@code fcntl}) taken through the
 * JDK's own {@code FileChannel} on the same open file, so the JDK's in-process overlap checks
 * ({@code OverlappingFileLockException}) and the kernel's locks between processes both apply.
 * {@link #acquiredBy()} is the {@code AioFileChannel}.
 */
final class AioFileLock extends FileLock {
    private final FileLock lock;

    AioFileLock(AioFileChannel channel, FileLock lock) {
        super(channel, lock.position(), lock.size(), lock.isShared());
        this.lock = lock;
    }

    @Override
    public boolean isValid() {
        return lock.isValid() && acquiredBy().isOpen();
    }

    @Override
    public void release() throws IOException {
        if (!acquiredBy().isOpen()) {
            throw new ClosedChannelException();
        }
        lock.release();
    }
}
