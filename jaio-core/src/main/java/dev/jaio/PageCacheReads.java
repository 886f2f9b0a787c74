package dev.jaio;

import dev.jaio.internal.ffi.FileIo;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Reads of a virtual thread that the page cache can serve, done on the spot by the calling thread
 * instead of through the engine: {@code preadv2(..., RWF_NOWAIT)} copies what the page cache holds
 * and never waits for the device, so the caller is held for the copy only, as it is when
 * {@code io_uring_enter} completes a cached read inline, without the ring, the pooled block's
 * submission or a park (a virtual thread keeps its carrier for the copy only). A read the cache
 * cannot serve whole ({@code EAGAIN}, or only its start cached) goes to the engine as if this had
 * not been tried.
 *
 * <p>Only virtual threads: one such system call per read was slower for a platform thread with
 * 32 futures outstanding (280k-309k reads a second against 393k-523k through the engine, which
 * submits its burst with one {@code io_uring_enter}; 3 interleaved runs), and handlers,
 * deadlines and O_DIRECT channels take the engine's path too (see {@link AioFileChannel}).
 *
 * <p>What it costs where the data is not cached: one failed system call per read, and only for
 * the first {@value #MISSES_BEFORE_SAMPLING} misses in a row; after them about one read in
 * {@value #SAMPLE} is tried, until one is served. A file that refuses {@code RWF_NOWAIT} (some
 * file systems, kernels before 4.14, a C library without {@code preadv2}) is not asked again.
 * {@code -D}{@value #PROPERTY}{@code =false} at a channel's opening sends all its reads to the
 * engine.
 *
 * <p>Thread-safe. The miss count is a hint, written without synchronization, and only while it
 * changes: threads that read cached data share no written memory here.
 */
final class PageCacheReads {
    /** The system property that, set to {@code false}, sends every read to the engine. */
    static final String PROPERTY = "dev.jaio.channel.pageCacheReads";
    /** Misses in a row after which reads are only sampled. */
    static final int MISSES_BEFORE_SAMPLING = 8;
    /** One read in this many is tried while sampling. */
    static final int SAMPLE = 64;

    private final boolean enabled;
    /** Set once the file refused RWF_NOWAIT: every read goes to the engine from then on. */
    private volatile boolean refused;
    /** Reads not served in a row, up to MISSES_BEFORE_SAMPLING; racy on purpose. */
    private int missesInARow;
    private final LongAdder served = new LongAdder();

    /** For a channel opened now: enabled unless {@value #PROPERTY} is {@code false}. */
    static PageCacheReads forNewChannel() {
        return new PageCacheReads(!"false".equalsIgnoreCase(System.getProperty(PROPERTY)));
    }

    private PageCacheReads(boolean enabled) {
        this.enabled = enabled;
    }

    /** Whether the calling thread's next read is worth trying here first: only a virtual thread's. */
    boolean worthTrying() {
        if (!enabled || refused || !Thread.currentThread().isVirtual()) {
            return false;
        }
        return missesInARow < MISSES_BEFORE_SAMPLING || ThreadLocalRandom.current().nextInt(SAMPLE) == 0;
    }

    /**
     * Reads all of {@code dst} at {@code position} if the page cache holds it.
     *
     * @param dst native memory that stays valid during the call (not of a closeable arena)
     * @param scratch the caller's alone during the call
     * @return the count ({@code dst}'s size), 0 at the end of the file, or -1: the engine must read it
     */
    long read(int fd, MemorySegment dst, long position, FileIo.NowaitScratch scratch) {
        long n = FileIo.readNowait(fd, dst, position, scratch);
        if (n == dst.byteSize() || n == 0) {
            if (missesInARow != 0) {
                missesInARow = 0;
            }
            served.increment();
            return n;
        }
        if (n == -Errno.EOPNOTSUPP.code() || n == -Errno.ENOSYS.code()) {
            refused = true;
        } else if (missesInARow < MISSES_BEFORE_SAMPLING) {
            missesInARow++;
        }
        return -1;
    }

    /** How many reads were served here; for tests. */
    long served() {
        return served.sum();
    }
}
