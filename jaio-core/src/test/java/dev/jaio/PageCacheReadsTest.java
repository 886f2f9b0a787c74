package dev.jaio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Virtual threads' reads of cached data are served on the spot ({@link PageCacheReads}), on
 * every engine, with the same results as through the engine: the bytes, the count, -1 at the end
 * of the file, the buffer's position; what the page cache cannot serve whole, memory of a
 * closeable arena, platform threads and closed channels take the engine's path.
 */
@Timeout(120)
class PageCacheReadsTest {
    private static final int BLOCK = 4096, BLOCKS = 256;

    @TempDir
    Path dir;

    private static byte[] randomBytes(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    private Path cachedFile(byte[] data) throws Exception {
        Path file = dir.resolve("data");
        Files.write(file, data); // just written: in the page cache
        return file;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"posix", "threads", "io_uring"})
    void virtualThreadsReadCachedBlocksOnTheSpotWithEveryByteRight(String engineName) throws Exception {
        byte[] data = randomBytes(BLOCKS * BLOCK, 7);
        Path file = cachedFile(data);
        int threads = 200, readsEach = 20;
        try (AioEngine engine = AioEngine.open(engineName);
             AioFileChannel ch = AioFileChannel.open(engine, file, StandardOpenOption.READ)) {
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger reads = new AtomicInteger();
            List<Thread> started = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                started.add(Thread.ofVirtual().start(() -> {
                    Random r = new Random(me);
                    try {
                        MemorySegment auto = Arena.ofAuto().allocate(BLOCK);
                        for (int i = 0; i < readsEach; i++) {
                            int block = r.nextInt(BLOCKS);
                            byte[] got = new byte[BLOCK];
                            switch (i % 3) {
                                case 0 -> {
                                    ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
                                    check(BLOCK, ch.read(b, (long) block * BLOCK).join(), "direct buffer count");
                                    check(BLOCK, b.position(), "direct buffer position");
                                    b.flip().get(got);
                                }
                                case 1 -> {
                                    ByteBuffer b = ByteBuffer.allocate(BLOCK + 10).position(10);
                                    check(BLOCK, ch.read(b, (long) block * BLOCK).join(), "heap buffer count");
                                    check(BLOCK + 10, b.position(), "heap buffer position");
                                    b.position(10);
                                    b.get(got);
                                }
                                default -> {
                                    check(BLOCK, ch.read(auto, (long) block * BLOCK).join(), "segment count");
                                    got = auto.toArray(ValueLayout.JAVA_BYTE);
                                }
                            }
                            if (!Arrays.equals(Arrays.copyOfRange(data, block * BLOCK, (block + 1) * BLOCK), got)) {
                                failures.add("block " + block + " read wrong bytes (read " + i + " of thread " + me + ")");
                            }
                            reads.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failures.add(e.toString());
                    }
                }));
            }
            for (Thread t : started) {
                t.join();
            }
            assertTrue(failures.isEmpty(), failures.size() + " failures, first: " + failures.peek());
            assertEquals(threads * readsEach, reads.get());
            // Just written, so cached: (nearly) all of them served on the spot.
            assertTrue(ch.pageCacheReads() >= reads.get() / 2,
                    ch.pageCacheReads() + " of " + reads.get() + " cached reads were served on the spot");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"posix", "threads", "io_uring"})
    void theEndOfTheFileAndAShortTailReadAsThroughTheEngine(String engineName) throws Exception {
        byte[] data = randomBytes(3 * BLOCK + 100, 8);
        Path file = cachedFile(data);
        try (AioEngine engine = AioEngine.open(engineName);
             AioFileChannel ch = AioFileChannel.open(engine, file, StandardOpenOption.READ)) {
            onAVirtualThread(() -> {
                ByteBuffer tail = ByteBuffer.allocateDirect(BLOCK);
                assertEquals(100, ch.read(tail, 3L * BLOCK).join(), "the last 100 bytes: a short read");
                assertEquals(100, tail.position());
                tail.flip();
                byte[] got = new byte[100];
                tail.get(got);
                assertArrayEquals(Arrays.copyOfRange(data, 3 * BLOCK, data.length), got);

                ByteBuffer past = ByteBuffer.allocate(BLOCK);
                assertEquals(-1, ch.read(past, data.length).join(), "at the end of the file");
                assertEquals(0, past.position(), "nothing read, the position stays");
                assertEquals(-1, ch.read(past, 1L << 30).join(), "far past the end");
                MemorySegment seg = Arena.ofAuto().allocate(BLOCK);
                assertEquals(-1L, ch.read(seg, data.length).join(), "a segment at the end of the file");
                assertEquals(0, ch.read(ByteBuffer.allocate(0), 0).join(), "an empty buffer");
            });
            assertTrue(ch.pageCacheReads() >= 3, "reads at the end of the file are served on the spot: "
                    + ch.pageCacheReads());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"posix", "threads", "io_uring"})
    void platformThreadsSharedArenasAndHandlersGoToTheEngine(String engineName) throws Exception {
        byte[] data = randomBytes(4 * BLOCK, 9);
        Path file = cachedFile(data);
        try (AioEngine engine = AioEngine.open(engineName);
             AioFileChannel ch = AioFileChannel.open(engine, file, StandardOpenOption.READ);
             Arena shared = Arena.ofShared()) {
            ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
            assertEquals(BLOCK, ch.read(b, BLOCK).join());
            assertEquals(0, ch.pageCacheReads(), "a platform thread's read goes to the engine");
            MemorySegment closeable = shared.allocate(BLOCK);
            onAVirtualThread(() -> {
                assertEquals(BLOCK, ch.read(closeable, 2 * BLOCK).join());
                assertArrayEquals(Arrays.copyOfRange(data, 2 * BLOCK, 3 * BLOCK),
                        closeable.toArray(ValueLayout.JAVA_BYTE));
                java.util.concurrent.CompletableFuture<Integer> viaHandler = new java.util.concurrent.CompletableFuture<>();
                ch.read(ByteBuffer.allocate(BLOCK), 0, null, new java.nio.channels.CompletionHandler<Integer, Void>() {
                    @Override
                    public void completed(Integer n, Void a) {
                        viaHandler.complete(n);
                    }

                    @Override
                    public void failed(Throwable e, Void a) {
                        viaHandler.completeExceptionally(e);
                    }
                });
                assertEquals(BLOCK, viaHandler.join());
            });
            assertEquals(0, ch.pageCacheReads(),
                    "memory of a closeable arena and reads with a handler go to the engine");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"posix", "threads", "io_uring"})
    void aClosedChannelFailsTheReadAndACloseUnderReadsEndsThemAll(String engineName) throws Exception {
        byte[] data = randomBytes(BLOCKS * BLOCK, 10);
        Path file = cachedFile(data);
        try (AioEngine engine = AioEngine.open(engineName)) {
            AioFileChannel ch = AioFileChannel.open(engine, file, StandardOpenOption.READ);
            ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
            AtomicInteger ended = new AtomicInteger();
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < 100; t++) {
                int me = t;
                readers.add(Thread.ofVirtual().start(() -> {
                    Random r = new Random(me);
                    ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
                    try {
                        while (true) {
                            b.clear();
                            int block = r.nextInt(BLOCKS);
                            int n = ch.read(b, (long) block * BLOCK).join();
                            if (n != BLOCK) {
                                unexpected.add(new AssertionError("count " + n));
                            }
                        }
                    } catch (CompletionException e) {
                        if (!(e.getCause() instanceof ClosedChannelException)) { // or its subclass
                            unexpected.add(e);
                        }
                    } catch (Throwable e) {
                        unexpected.add(e);
                    } finally {
                        ended.incrementAndGet();
                    }
                }));
            }
            Thread.sleep(200);
            ch.close();
            for (Thread t : readers) {
                t.join(30_000);
                if (t.isAlive()) {
                    fail("a reader's read never ended after close()");
                }
            }
            assertEquals(100, ended.get());
            assertTrue(unexpected.isEmpty(), "unexpected: " + unexpected.peek());
            onAVirtualThread(() -> {
                CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
                        () -> ch.read(ByteBuffer.allocateDirect(BLOCK), 0).join());
                assertInstanceOf(ClosedChannelException.class, e.getCause());
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"posix", "threads", "io_uring"})
    void aChannelOpenedWithThePropertyFalseSendsEveryReadToTheEngine(String engineName) throws Exception {
        byte[] data = randomBytes(4 * BLOCK, 11);
        Path file = cachedFile(data);
        String before = System.getProperty(PageCacheReads.PROPERTY);
        System.setProperty(PageCacheReads.PROPERTY, "false");
        AioFileChannel ch;
        try {
            ch = AioFileChannel.open(AioEngine.open(engineName), file, StandardOpenOption.READ);
        } finally {
            if (before == null) {
                System.clearProperty(PageCacheReads.PROPERTY);
            } else {
                System.setProperty(PageCacheReads.PROPERTY, before);
            }
        }
        AioEngine engine = ch.engine(); // the channel's own engine, closed after it
        try (engine; ch) {
            onAVirtualThread(() -> {
                for (int block = 0; block < 4; block++) {
                    ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
                    assertEquals(BLOCK, ch.read(b, (long) block * BLOCK).join());
                    b.flip();
                    byte[] got = new byte[BLOCK];
                    b.get(got);
                    assertArrayEquals(Arrays.copyOfRange(data, block * BLOCK, (block + 1) * BLOCK), got);
                }
            });
            assertEquals(0, ch.pageCacheReads(), "the property sends every read to the engine");
        }
    }

    /**
     * A read the page cache cannot serve whole (here: one that the end of the file cuts short)
     * goes to the engine; after many such misses reads are only sampled, and the first one served
     * brings every read back.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"posix", "threads", "io_uring"})
    void readsComeBackAfterManyMisses(String engineName) throws Exception {
        byte[] data = randomBytes(BLOCK + 100, 12);
        Path file = cachedFile(data);
        try (AioEngine engine = AioEngine.open(engineName);
             AioFileChannel ch = AioFileChannel.open(engine, file, StandardOpenOption.READ)) {
            onAVirtualThread(() -> {
                ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
                for (int i = 0; i < 200; i++) {
                    b.clear();
                    assertEquals(100, ch.read(b, BLOCK).join(), "a read cut short by the end of the file");
                }
                assertEquals(0, ch.pageCacheReads(), "short reads are not served on the spot");
                for (int i = 0; i < 2000; i++) {
                    b.clear();
                    assertEquals(BLOCK, ch.read(b, 0).join());
                }
            });
            assertTrue(ch.pageCacheReads() > 1000, "served after the misses: " + ch.pageCacheReads() + " of 2000");
        }
    }

    private static void check(int expected, int actual, String what) {
        if (expected != actual) {
            throw new AssertionError(what + ": expected " + expected + ", got " + actual);
        }
    }

    private static void check(long expected, long actual, String what) {
        if (expected != actual) {
            throw new AssertionError(what + ": expected " + expected + ", got " + actual);
        }
    }

    private interface Body {
        void run() throws Exception;
    }

    private static void onAVirtualThread(Body body) throws Exception {
        Throwable[] failure = new Throwable[1];
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        t.join();
        if (failure[0] instanceof Exception e) {
            throw e;
        }
        if (failure[0] instanceof Error e) {
            throw e;
        }
    }
}
