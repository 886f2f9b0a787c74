package dev.jaio;

import dev.jaio.internal.ffi.FileIo;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.LongAdder;

/**
 * Reads of a virtual thread that the page cache can serve, done on the spot by the calling thread
 * instead of through the engine: {@code preadv2(..., RWF_NOWAIT)} copies what the page cache holds
 * and never waits for the device, so the carrier is held for the copy only, as it would be by
 * {@code io_uring_enter} completing a cached read inline, without the ring, the pooled block's
 * submission or a park. A read the cache cannot serve whole ({@code EAGAIN}, or only its start
 * cached) goes to the engine as if this had not been tried; a file that refuses
 * {@code RWF_NOWAIT} (some file systems, kernels before 4.14, a C library without
 * {@code preadv2}) is not asked again.
 *
 * <p>Only virtual threads: a platform thread with many reads outstanding gets them batched into
 * one system call by the engine, and handlers, deadlines and O_DIRECT channels take the engine's
 * path too (see {@link AioFileChannel}).
 *
 * <p>Thread-safe.
 */
final class PageCacheReads {
    /** Set once the file refused RWF_NOWAIT: every read goes to the engine from then on. */
    private volatile boolean refused;
    private final LongAdder served = new LongAdder();

    /** Whether a read of the calling thread is worth trying here first. */
    boolean worthTrying() {
        return !refused && Thread.currentThread().isVirtual();
    }

    /**
     * Reads all of {@code dst} at {@code position} if the page cache holds it.
     *
     * @param dst native memory that stays valid during the call (not of a closeable arena)
     * @param scratch {@link FileIo#NOWAIT_SCRATCH_SIZE} bytes, the caller's alone during the call
     * @return the count ({@code dst}'s size), 0 at the end of the file, or -1: the engine must read it
     */
    long read(int fd, MemorySegment dst, long position, MemorySegment scratch) {
        long n = FileIo.readNowait(fd, dst, position, scratch);
        if (n == dst.byteSize() || n == 0) {
            served.increment();
            return n;
        }
        if (n == -Errno.EOPNOTSUPP.code() || n == -Errno.ENOSYS.code()) {
            refused = true;
        }
        return -1;
    }

    /** How many reads were served here; for tests. */
    long served() {
        return served.sum();
    }
}
