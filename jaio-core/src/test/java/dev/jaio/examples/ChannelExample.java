package dev.jaio.examples;

import dev.jaio.AioBatch;
import dev.jaio.AioEngine;
import dev.jaio.AioFileChannel;
import dev.jaio.AioOpenOption;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.InterruptedByTimeoutException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The examples of {@code AioFileChannel} and {@code AioBatch}: futures, an engine of one's own
 * with O_DIRECT, a deadline, and a batch with the force that covers its write.
 * {@code JavadocExamplesTest} runs each.
 */
public final class ChannelExample {
    private ChannelExample() {
    }

    /**
     * {@code AioFileChannel}'s class documentation: one read, then 32 in flight at once.
     *
     * @param path a file of at least 32 blocks of 4096 bytes
     * @return the bytes read by the 33 reads
     * @throws Exception when the file cannot be opened
     */
    public static long futures(Path path) throws Exception {
        long total;
        // @start region="futures"
        try (AioFileChannel ch = AioFileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(4096);
            int n = ch.read(buf, 0).join();               // a CompletableFuture<Integer>
            // from thousands of virtual threads at once: join() parks only the virtual thread
            List<CompletableFuture<Integer>> reads = new ArrayList<>();
            for (long pos = 0; pos < 32 * 4096; pos += 4096) {
                reads.add(ch.read(ByteBuffer.allocateDirect(4096), pos));   // 32 in flight
            }
            CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).join();
            total = n + reads.stream().mapToInt(CompletableFuture::join).sum();
        }
        // @end
        return total;
    }

    /**
     * {@code AioFileChannel.open(AioEngine, ...)}'s documentation: an engine of one's own and an
     * O_DIRECT read into a buffer aligned as the file system asks.
     *
     * @param path a file of at least 4096 bytes on a file system that supports O_DIRECT
     * @return the bytes read
     * @throws Exception when io_uring or O_DIRECT is refused here
     */
    public static long direct(Path path) throws Exception {
        long n;
        // @start region="engine"
        try (AioEngine uring = AioEngine.open("io_uring");
                AioFileChannel ch = AioFileChannel.open(uring, path, StandardOpenOption.READ, AioOpenOption.DIRECT)) {
            MemorySegment block = ch.allocateAligned(Arena.ofAuto(), 4096);
            n = ch.read(block, 0).join();                 // 4096, straight from the device
        }
        // @end
        return n;
    }

    /**
     * {@code AioFileChannel.read(ByteBuffer, long, Duration)}'s documentation: a read with a
     * deadline.
     *
     * @param ch a channel open for reading
     * @param buf the buffer to read into
     * @param pos where to read
     * @param timeout the deadline
     * @return the count, -1 at the end of the file, or -2 when the deadline passed
     */
    public static int deadline(AioFileChannel ch, ByteBuffer buf, long pos, Duration timeout) {
        // @start region="deadline"
        try {
            return ch.read(buf, pos, timeout).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof InterruptedByTimeoutException) {
                // the kernel no longer touches buf: retry, or give up
                return -2;
            }
            throw e;
        }
        // @end
    }

    /**
     * {@code AioBatch}'s documentation: 32 reads, a log write and the force that covers it, in
     * one call into the engine.
     *
     * @param ch a channel open for reading, of at least 32 blocks of 4096 bytes
     * @param log a channel open for writing, of the same engine
     * @param logEnd where the record goes in the log
     * @return the bytes read plus the bytes written
     */
    public static long batch(AioFileChannel ch, AioFileChannel log, long logEnd) {
        ByteBuffer record = ByteBuffer.wrap("committed\n".getBytes());
        // @start region="batch"
        AioBatch batch = ch.batch();
        List<CompletableFuture<Integer>> reads = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            reads.add(batch.read(ch, ByteBuffer.allocateDirect(4096), i * 4096L));
        }
        CompletableFuture<Integer> logged = batch.write(log, record, logEnd);
        CompletableFuture<Void> durable = batch.force(log, false);   // covers the write above
        batch.submit();                                              // one system call on io_uring
        durable.join();
        // @end
        long total = logged.join();
        for (CompletableFuture<Integer> r : reads) {
            total += r.join();
        }
        return total;
    }
}
