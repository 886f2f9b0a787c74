package dev.jaio.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.AioEngine;
import dev.jaio.AioFileChannel;
import dev.jaio.AioOpenOption;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * 10,000 virtual threads of the default scheduler each read random blocks (O_DIRECT: from the
 * device, so that reads take long enough for blocking to show) through
 * {@code channel.read(buf, pos).join()}, on every engine: every read completes with the right
 * bytes, and the process's platform threads stay within what it had before (jaio's engine and
 * completion threads included), the scheduler's carriers and a small slack (the JDK's own
 * helpers, such as the virtual-thread unparker). A channel that blocked a carrier per read
 * would make the scheduler add carriers (up to 256) and fail the count. (ThreadMXBean would be
 * simpler, but this module does not read java.management.)
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class VirtualThreadsTest {
    private static final int THREADS = 10_000, READS_EACH = 3, BLOCK = 4096, BLOCKS = 1024;
    /** Platform threads the JDK may start for virtual threads besides the carriers. */
    private static final int SLACK = 3;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"posix", "threads", "io_uring"})
    void tenThousandVirtualThreadsParkOnlyThemselves(String engineName) throws Exception {
        Path dir = Files.createTempDirectory("jaio-vthreads-");
        Path file = dir.resolve("data");
        byte[] data = new byte[BLOCKS * BLOCK];
        long seed = System.nanoTime();
        new Random(seed).nextBytes(data);
        Files.write(file, data);
        int carriers = Integer.getInteger("jdk.virtualThreadScheduler.parallelism",
                Runtime.getRuntime().availableProcessors());
        try (AioEngine engine = AioEngine.open(engineName);
             AioFileChannel ch = AioFileChannel.open(engine, file, StandardOpenOption.READ, AioOpenOption.DIRECT)) {
            assertEquals(BLOCK, ch.read(direct(), 0).join()); // jaio's threads are up
            // ThreadMXBean is in java.management, which the module under test does not read:
            // count with Thread.getAllStackTraces() (platform threads only), sampled.
            AtomicInteger peakCount = new AtomicInteger();
            CountDownLatch samplerUp = new CountDownLatch(1);
            java.util.concurrent.atomic.AtomicBoolean sampling = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                samplerUp.countDown();
                while (sampling.get()) {
                    peakCount.accumulateAndGet(Thread.getAllStackTraces().size(), Math::max);
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
            });
            samplerUp.await();
            int before = Thread.getAllStackTraces().size();
            peakCount.set(before);
            CountDownLatch done = new CountDownLatch(THREADS);
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger reads = new AtomicInteger();
            List<Thread> threads = new ArrayList<>(THREADS);
            for (int t = 0; t < THREADS; t++) {
                long mine = seed + t;
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        Random r = new Random(mine);
                        for (int i = 0; i < READS_EACH; i++) {
                            int block = r.nextInt(BLOCKS);
                            ByteBuffer buf = i % 2 == 0 ? direct() : ByteBuffer.allocate(BLOCK);
                            int n = ch.read(buf, (long) block * BLOCK).join();
                            byte[] got = new byte[BLOCK];
                            buf.flip().get(got);
                            if (n != BLOCK || !Arrays.equals(got, 0, BLOCK, data, block * BLOCK, (block + 1) * BLOCK)) {
                                failures.add("block " + block + ": read " + n);
                            }
                            reads.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failures.add(e.toString());
                    } finally {
                        done.countDown();
                    }
                }));
            }
            assertTrue(done.await(150, TimeUnit.SECONDS), "only " + reads.get() + " reads completed");
            sampling.set(false);
            sampler.join();
            int peak = peakCount.get();
            assertEquals(List.of(), List.copyOf(failures).subList(0, Math.min(5, failures.size())), "seed " + seed);
            assertEquals(THREADS * READS_EACH, reads.get());
            System.out.printf("%s: %d platform threads before, peak %d during %d virtual threads (%d carriers)%n",
                    engineName, before, peak, THREADS, carriers);
            assertTrue(peak <= before + carriers + SLACK, engineName + ": peak of " + peak + " platform threads,"
                    + " more than the " + before + " before + " + carriers + " carriers + " + SLACK);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    /** A direct buffer of one block at a 4096-aligned address, as O_DIRECT wants. */
    private static ByteBuffer direct() {
        return ByteBuffer.allocateDirect(2 * BLOCK).alignedSlice(4096).limit(BLOCK);
    }
}
