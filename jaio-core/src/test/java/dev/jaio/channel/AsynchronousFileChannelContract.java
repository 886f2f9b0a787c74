package dev.jaio.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link AsynchronousFileChannel}, written from its Javadoc (and that of
 * {@link java.nio.channels.AsynchronousChannel} and {@link FileLock}), knowing nothing of jaio.
 * It runs against the JDK's own channel ({@link JdkChannelContractTest}), which proves that it
 * tests the contract, and against {@code dev.jaio.AioFileChannel} on each engine. A subclass
 * only says how to open a channel. What the Javadoc leaves open (a buffer of a confined arena:
 * the JDK's channel accepts it, and its pool thread then dies of a {@code WrongThreadException}
 * while the future never completes) is tested in {@link AioFileChannelContract} only.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class AsynchronousFileChannelContract {
    private static final int BLOCK = 512;

    protected Path dir;
    private final List<AsynchronousFileChannel> opened = new ArrayList<>();
    private final List<ExecutorService> executors = new ArrayList<>();

    /** {@code AsynchronousFileChannel.open(file, options)}, or the implementation's equivalent. */
    protected abstract AsynchronousFileChannel openChannel(Path file, OpenOption... options) throws IOException;

    /** {@code AsynchronousFileChannel.open(file, options, executor)}, or the implementation's equivalent. */
    protected abstract AsynchronousFileChannel openChannel(Path file, Set<? extends OpenOption> options,
                                                           ExecutorService executor) throws IOException;

    @BeforeEach
    void makeDir() throws IOException {
        dir = Files.createTempDirectory("jaio-channel-contract-");
    }

    @AfterEach
    void cleanUp() throws IOException {
        for (AsynchronousFileChannel ch : opened) {
            ch.close();
        }
        for (ExecutorService e : executors) {
            e.shutdownNow();
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    protected final AsynchronousFileChannel open(Path file, OpenOption... options) throws IOException {
        AsynchronousFileChannel ch = openChannel(file, options);
        opened.add(ch);
        return ch;
    }

    protected final Path fileWith(byte[] content) throws IOException {
        Path p = Files.createTempFile(dir, "f-", ".bin");
        Files.write(p, content);
        return p;
    }

    protected static byte[] pattern(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static Throwable causeOf(Future<?> f) throws InterruptedException, java.util.concurrent.TimeoutException {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
        return e.getCause();
    }

    // ---------------------------------------------------------------- read and write

    /** "the buffer's position will be updated by the number of bytes read" (heap and direct). */
    @Test
    void writeThenReadWithFuturesAdvancesPositions() throws Exception {
        Path p = dir.resolve("rw");
        AsynchronousFileChannel ch = open(p, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        byte[] data = pattern(10_000, 1);
        ByteBuffer src = ByteBuffer.wrap(data);
        int written = 0;
        while (src.hasRemaining()) {
            written += ch.write(src, written).get(30, TimeUnit.SECONDS);
        }
        assertEquals(data.length, written);
        assertEquals(data.length, src.position());
        assertEquals(data.length, ch.size());
        for (ByteBuffer dst : List.of(ByteBuffer.allocate(data.length), ByteBuffer.allocateDirect(data.length))) {
            int read = 0;
            while (dst.hasRemaining()) {
                int n = ch.read(dst, read).get(30, TimeUnit.SECONDS);
                assertTrue(n > 0, "read " + n);
                read += n;
            }
            assertEquals(data.length, dst.position());
            byte[] back = new byte[data.length];
            dst.flip().get(back);
            assertArrayEquals(data, back);
        }
    }

    /** A read starts at the buffer's position and leaves the bytes before it alone. */
    @Test
    void readFillsFromTheBuffersPosition() throws Exception {
        Path p = fileWith("abcdefgh".getBytes());
        AsynchronousFileChannel ch = open(p, StandardOpenOption.READ);
        for (ByteBuffer dst : List.of(ByteBuffer.allocate(8), ByteBuffer.allocateDirect(8))) {
            dst.put((byte) 'X').put((byte) 'Y').limit(6);
            assertEquals(4, ch.read(dst, 2).get(30, TimeUnit.SECONDS));
            assertEquals(6, dst.position());
            byte[] got = new byte[6];
            dst.flip().get(got);
            assertEquals("XYcdef", new String(got));
        }
    }

    /** "the result is -1 if the given position is greater than or equal to the file's size". */
    @Test
    void readAtOrPastTheEndGivesMinusOne() throws Exception {
        Path p = fileWith(pattern(100, 2));
        AsynchronousFileChannel ch = open(p, StandardOpenOption.READ);
        for (long pos : new long[] {100, 101, 1L << 40}) {
            ByteBuffer dst = ByteBuffer.allocate(10);
            assertEquals(-1, ch.read(dst, pos).get(30, TimeUnit.SECONDS));
            assertEquals(0, dst.position());
        }
        ByteBuffer dst = ByteBuffer.allocateDirect(50);
        assertEquals(10, ch.read(dst, 90).get(30, TimeUnit.SECONDS), "a read across the end gives what is there");
    }

    /** A buffer without room reads and writes nothing, and completes with 0. */
    @Test
    void emptyBuffersTransferZero() throws Exception {
        Path p = fileWith(pattern(100, 3));
        AsynchronousFileChannel ch = open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        assertEquals(0, ch.read(ByteBuffer.allocate(0), 0).get(30, TimeUnit.SECONDS));
        assertEquals(0, ch.write(ByteBuffer.allocate(0), 0).get(30, TimeUnit.SECONDS));
        assertEquals(100, ch.size());
    }

    /** A write past the end grows the file; the gap reads as zeros. */
    @Test
    void writePastTheEndGrowsTheFile() throws Exception {
        Path p = fileWith(new byte[0]);
        AsynchronousFileChannel ch = open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        assertEquals(3, ch.write(ByteBuffer.wrap("xyz".getBytes()), 1000).get(30, TimeUnit.SECONDS));
        assertEquals(1003, ch.size());
        ByteBuffer dst = ByteBuffer.allocate(1003);
        assertEquals(1003, ch.read(dst, 0).get(30, TimeUnit.SECONDS));
        for (int i = 0; i < 1000; i++) {
            assertEquals(0, dst.get(i));
        }
        assertEquals('z', dst.get(1002));
    }

    /** A read-only heap buffer can be written from, not read into. */
    @Test
    void readOnlySourceIsFineReadOnlyDestinationIsNot() throws Exception {
        Path p = fileWith(new byte[0]);
        AsynchronousFileChannel ch = open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        ByteBuffer ro = ByteBuffer.wrap("hello".getBytes()).asReadOnlyBuffer();
        assertEquals(5, ch.write(ro, 0).get(30, TimeUnit.SECONDS));
        assertEquals(5, ro.position());
        assertThrows(IllegalArgumentException.class, () -> ch.read(ByteBuffer.allocate(5).asReadOnlyBuffer(), 0));
        assertThrows(IllegalArgumentException.class, () -> ch.read(ByteBuffer.allocate(5).asReadOnlyBuffer(), 0,
                null, new Handler<Integer>()));
    }

    /** "IllegalArgumentException - If the position is negative". */
    @Test
    void negativePositionsAreRefused() throws Exception {
        Path p = fileWith(pattern(10, 4));
        AsynchronousFileChannel ch = open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        assertThrows(IllegalArgumentException.class, () -> ch.read(ByteBuffer.allocate(1), -1));
        assertThrows(IllegalArgumentException.class, () -> ch.write(ByteBuffer.allocate(1), -1));
        assertThrows(IllegalArgumentException.class, () -> ch.read(ByteBuffer.allocate(1), -1, null,
                new Handler<Integer>()));
        assertThrows(IllegalArgumentException.class, () -> ch.write(ByteBuffer.allocate(1), -1, null,
                new Handler<Integer>()));
        assertThrows(IllegalArgumentException.class, () -> ch.truncate(-1));
        assertThrows(IllegalArgumentException.class, () -> ch.lock(-1, 1, false));
        assertThrows(IllegalArgumentException.class, () -> ch.tryLock(0, -1, false));
    }

    /** NonReadableChannelException / NonWritableChannelException, thrown by the call. */
    @Test
    void accessModeIsEnforced() throws Exception {
        Path p = fileWith(pattern(10, 5));
        AsynchronousFileChannel ro = open(p, StandardOpenOption.READ);
        AsynchronousFileChannel wo = open(p, StandardOpenOption.WRITE);
        assertThrows(NonWritableChannelException.class, () -> ro.write(ByteBuffer.allocate(1), 0));
        assertThrows(NonWritableChannelException.class, () -> ro.write(ByteBuffer.allocate(1), 0, null,
                new Handler<Integer>()));
        assertThrows(NonWritableChannelException.class, () -> ro.truncate(0));
        assertThrows(NonWritableChannelException.class, () -> ro.lock(0, 1, false));
        assertThrows(NonWritableChannelException.class, () -> ro.tryLock(0, 1, false));
        assertThrows(NonReadableChannelException.class, () -> wo.read(ByteBuffer.allocate(1), 0));
        assertThrows(NonReadableChannelException.class, () -> wo.read(ByteBuffer.allocate(1), 0, null,
                new Handler<Integer>()));
        assertThrows(NonReadableChannelException.class, () -> wo.lock(0, 1, true));
        assertThrows(NonReadableChannelException.class, () -> wo.tryLock(0, 1, true));
        // Without READ or WRITE the file is opened for reading.
        AsynchronousFileChannel dflt = open(p);
        assertEquals(10, dflt.read(ByteBuffer.allocate(20), 0).get(30, TimeUnit.SECONDS));
        assertThrows(NonWritableChannelException.class, () -> dflt.write(ByteBuffer.allocate(1), 0));
    }

    // ---------------------------------------------------------------- open

    @Test
    void openFollowsTheOptions() throws Exception {
        Path missing = dir.resolve("missing");
        assertThrows(NoSuchFileException.class, () -> open(missing, StandardOpenOption.READ));
        assertThrows(NoSuchFileException.class, () -> open(missing, StandardOpenOption.WRITE));
        Path existing = fileWith(pattern(10, 6));
        assertThrows(FileAlreadyExistsException.class, () -> open(existing, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE_NEW));
        open(existing, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING).close();
        assertEquals(0, Files.size(existing));
        AsynchronousFileChannel created = open(missing, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
        assertTrue(Files.exists(missing));
        assertEquals(0, created.size());
        assertThrows(UnsupportedOperationException.class, () -> open(existing, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND));
        open(existing, StandardOpenOption.READ, StandardOpenOption.READ).close(); // a repeated option is fine
    }

    /** DELETE_ON_CLOSE: the file is gone once the channel is closed (the JDK unlinks it at open on Linux). */
    @Test
    void deleteOnCloseDeletes() throws Exception {
        Path p = dir.resolve("doomed");
        AsynchronousFileChannel ch = open(p, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE);
        assertEquals(4, ch.write(ByteBuffer.wrap("data".getBytes()), 0).get(30, TimeUnit.SECONDS));
        assertEquals(4, ch.read(ByteBuffer.allocate(4), 0).get(30, TimeUnit.SECONDS));
        ch.close();
        assertFalse(Files.exists(p));
    }

    // ---------------------------------------------------------------- size, truncate, force

    /** "If the given size is greater than or equal to the file's current size then the file is not modified." */
    @Test
    void truncateShrinksOnly() throws Exception {
        Path p = fileWith(pattern(1000, 7));
        AsynchronousFileChannel ch = open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        assertSame(ch, ch.truncate(5000));
        assertEquals(1000, ch.size());
        assertSame(ch, ch.truncate(10));
        assertEquals(10, ch.size());
        assertEquals(10, Files.size(p));
        ch.force(true);
        ch.force(false);
    }

    // ---------------------------------------------------------------- handlers

    /** The handler gets the result and the attachment; with an executor, on one of its threads. */
    @Test
    void handlersRunOnTheGivenExecutor() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2, r -> new Thread(r, "contract-handler-pool"));
        executors.add(pool);
        Path p = fileWith(pattern(4096, 8));
        AsynchronousFileChannel ch = openChannel(p, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE), pool);
        opened.add(ch);
        Handler<Integer> h = new Handler<>();
        ch.read(ByteBuffer.allocate(100), 0, "attached", h);
        assertEquals(100, h.result());
        assertEquals("attached", h.attachment.get());
        assertEquals("contract-handler-pool", h.thread.get().getName());
        Handler<Integer> w = new Handler<>();
        ch.write(ByteBuffer.wrap(new byte[10]), 4096, 42, w);
        assertEquals(10, w.result());
        assertEquals(42, w.attachment.get());
        assertEquals("contract-handler-pool", w.thread.get().getName());
        Handler<FileLock> l = new Handler<>();
        ch.lock(0, 10, false, "lock", l);
        FileLock lock = l.result();
        assertTrue(lock.isValid());
        assertSame(ch, lock.acquiredBy());
        assertEquals("contract-handler-pool", l.thread.get().getName());
        lock.release();
    }

    /** A handler that throws does not break the channel: later operations complete as usual. */
    @Test
    void handlersThatThrowDoNotBreakTheChannel() throws Exception {
        Path p = fileWith(pattern(4096, 9));
        AsynchronousFileChannel ch = open(p, StandardOpenOption.READ);
        Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
        AtomicInteger uncaught = new AtomicInteger();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.incrementAndGet());
        try {
            CountDownLatch ran = new CountDownLatch(20);
            for (int i = 0; i < 20; i++) {
                ch.read(ByteBuffer.allocate(10), i, null, new CompletionHandler<Integer, Object>() {
                    @Override
                    public void completed(Integer result, Object attachment) {
                        ran.countDown();
                        throw new IllegalStateException("a handler that throws");
                    }

                    @Override
                    public void failed(Throwable exc, Object attachment) {
                        ran.countDown();
                    }
                });
            }
            assertTrue(ran.await(30, TimeUnit.SECONDS));
            Handler<Integer> h = new Handler<>();
            ch.read(ByteBuffer.allocate(10), 0, null, h);
            assertEquals(10, h.result());
            assertEquals(10, ch.read(ByteBuffer.allocate(10), 0).get(30, TimeUnit.SECONDS));
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(before);
        }
    }

    /** Failures reach the handler's failed(): a closed channel gives ClosedChannelException. */
    @Test
    void closedChannelFailsOperations() throws Exception {
        Path p = fileWith(pattern(100, 10));
        AsynchronousFileChannel ch = open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        ch.close();
        assertFalse(ch.isOpen());
        ch.close(); // "If this channel is already closed then invoking this method has no effect."
        assertInstanceOf(ClosedChannelException.class, causeOf(ch.read(ByteBuffer.allocate(1), 0)));
        assertInstanceOf(ClosedChannelException.class, causeOf(ch.write(ByteBuffer.allocate(1), 0)));
        Handler<Integer> h = new Handler<>();
        ch.read(ByteBuffer.allocate(1), 0, null, h);
        assertInstanceOf(ClosedChannelException.class, h.failure());
        assertThrows(ClosedChannelException.class, ch::size);
        assertThrows(ClosedChannelException.class, () -> ch.truncate(0));
        assertThrows(ClosedChannelException.class, () -> ch.force(true));
        assertThrows(ClosedChannelException.class, () -> ch.tryLock(0, 1, false));
        assertInstanceOf(ClosedChannelException.class, causeOf(ch.lock(0, 1, false)));
    }

    // ---------------------------------------------------------------- close with operations outstanding

    /**
     * "Any outstanding asynchronous operations upon this channel will complete with the exception
     * AsynchronousCloseException": every operation outstanding at close completes, with its result
     * or with AsynchronousCloseException, and nothing else.
     */
    @Test
    void closeWithOperationsOutstanding() throws Exception {
        int size = 64 * 1024;
        Path p = fileWith(pattern(size * 4, 11));
        for (int round = 0; round < 5; round++) {
            AsynchronousFileChannel ch = open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                futures.add(i % 2 == 0 ? ch.read(ByteBuffer.allocateDirect(size), (long) (i % 4) * size)
                        : ch.write(ByteBuffer.allocate(size), (long) (i % 4) * size));
            }
            ch.close();
            for (Future<Integer> f : futures) {
                try {
                    assertEquals(size, f.get(30, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    assertInstanceOf(AsynchronousCloseException.class, e.getCause());
                }
            }
            assertInstanceOf(ClosedChannelException.class, causeOf(ch.read(ByteBuffer.allocate(1), 0)));
        }
    }

    // ---------------------------------------------------------------- many at once

    /** 10,000 futures outstanding at once, random blocks, every byte checked. */
    @Test
    void tenThousandConcurrentFutures() throws Exception {
        int blocks = 2048;
        byte[] data = pattern(blocks * BLOCK, 12);
        Path p = fileWith(data);
        AsynchronousFileChannel ch = open(p, StandardOpenOption.READ);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int n = 10_000;
        int[] block = new int[n];
        ByteBuffer[] bufs = new ByteBuffer[n];
        List<Future<Integer>> futures = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            block[i] = random.nextInt(blocks);
            bufs[i] = i % 2 == 0 ? ByteBuffer.allocate(BLOCK) : ByteBuffer.allocateDirect(BLOCK);
            futures.add(ch.read(bufs[i], (long) block[i] * BLOCK));
        }
        for (int i = 0; i < n; i++) {
            assertEquals(BLOCK, futures.get(i).get(60, TimeUnit.SECONDS), "seed " + seed);
            byte[] got = new byte[BLOCK];
            bufs[i].flip().get(got);
            assertArrayEquals(Arrays.copyOfRange(data, block[i] * BLOCK, (block[i] + 1) * BLOCK), got,
                    "read " + i + " of block " + block[i] + ", seed " + seed);
        }
        // and as many writes, then read back
        AsynchronousFileChannel w = open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        byte[] fresh = pattern(blocks * BLOCK, seed);
        List<Future<Integer>> writes = new ArrayList<>();
        for (int b = 0; b < blocks; b++) {
            ByteBuffer src = b % 2 == 0 ? ByteBuffer.wrap(fresh, b * BLOCK, BLOCK)
                    : ByteBuffer.allocateDirect(BLOCK).put(fresh, b * BLOCK, BLOCK).flip();
            writes.add(w.write(src, (long) b * BLOCK));
        }
        for (Future<Integer> f : writes) {
            assertEquals(BLOCK, f.get(60, TimeUnit.SECONDS));
        }
        assertArrayEquals(fresh, Files.readAllBytes(p), "seed " + seed);
    }

    // ---------------------------------------------------------------- buffers of explicit arenas

    /** A buffer viewing a shared arena's segment works for reads and writes. */
    @Test
    void buffersOfSharedArenasWork() throws Exception {
        Path p = fileWith(pattern(8192, 13));
        AsynchronousFileChannel ch = open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = arena.allocate(4096);
            ByteBuffer dst = seg.asByteBuffer();
            assertEquals(4096, ch.read(dst, 4096).get(30, TimeUnit.SECONDS));
            assertArrayEquals(Arrays.copyOfRange(Files.readAllBytes(p), 4096, 8192), seg.toArray(
                    java.lang.foreign.ValueLayout.JAVA_BYTE));
            ByteBuffer src = seg.asByteBuffer();
            assertEquals(4096, ch.write(src, 0).get(30, TimeUnit.SECONDS));
        }
        byte[] all = Files.readAllBytes(p);
        assertArrayEquals(Arrays.copyOfRange(all, 4096, 8192), Arrays.copyOfRange(all, 0, 4096));
    }

    // ---------------------------------------------------------------- locks

    @Test
    void locksAreRealFileLocks() throws Exception {
        Path p = fileWith(pattern(100, 15));
        AsynchronousFileChannel ch = open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock = ch.lock(0, 50, false).get(30, TimeUnit.SECONDS);
        assertTrue(lock.isValid());
        assertSame(ch, lock.acquiredBy());
        assertEquals(0, lock.position());
        assertEquals(50, lock.size());
        assertFalse(lock.isShared());
        assertThrows(OverlappingFileLockException.class, () -> ch.tryLock(10, 10, false));
        assertThrows(OverlappingFileLockException.class, () -> ch.lock(40, 20, false));
        FileLock other = ch.tryLock(50, 50, true);
        assertNotNull(other);
        assertTrue(other.isShared());
        lock.release();
        assertFalse(lock.isValid());
        FileLock again = ch.tryLock(0, 50, false);
        assertNotNull(again);
        ch.close();
        assertFalse(again.isValid(), "closing the channel releases its locks");
        assertFalse(other.isValid());
        assertThrows(ClosedChannelException.class, again::release);
    }

    /** A lock held by another process: tryLock answers null, lock waits until it is released. */
    @Test
    void lockWaitsForAnotherProcess() throws Exception {
        Path p = fileWith(pattern(100, 16));
        Path ready = dir.resolve("ready");
        ProcessBuilder pb = new ProcessBuilder("flock", "-x", p.toString(), "-c", "touch " + ready + "; sleep 1");
        // flock(1) takes BSD locks, which do not conflict with fcntl locks: use a small Java child instead.
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path src = dir.resolve("Holder.java");
        Files.writeString(src, """
                import java.nio.channels.FileChannel; import java.nio.file.*;
                public class Holder { public static void main(String[] a) throws Exception {
                  try (FileChannel c = FileChannel.open(Path.of(a[0]), StandardOpenOption.WRITE);
                       var l = c.lock()) { Files.createFile(Path.of(a[1])); Thread.sleep(1500); } } }
                """);
        pb = new ProcessBuilder(java, src.toString(), p.toString(), ready.toString()).inheritIO();
        Process holder = pb.start();
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(ready) && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertTrue(Files.exists(ready), "the child did not take its lock");
            AsynchronousFileChannel ch = open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
            assertEquals(null, ch.tryLock(0, Long.MAX_VALUE, false));
            Future<FileLock> waiting = ch.lock(0, Long.MAX_VALUE, false);
            FileLock lock = waiting.get(60, TimeUnit.SECONDS);
            assertTrue(lock.isValid());
            lock.release();
        } finally {
            holder.destroy();
            holder.waitFor();
        }
    }

    // ---------------------------------------------------------------- helpers

    /** A handler that records what it got and on which thread. */
    protected static final class Handler<V> implements CompletionHandler<V, Object> {
        final CompletableFuture<V> outcome = new CompletableFuture<>();
        final AtomicReference<Object> attachment = new AtomicReference<>();
        final AtomicReference<Thread> thread = new AtomicReference<>();

        @Override
        public void completed(V result, Object att) {
            attachment.set(att);
            thread.set(Thread.currentThread());
            outcome.complete(result);
        }

        @Override
        public void failed(Throwable exc, Object att) {
            attachment.set(att);
            thread.set(Thread.currentThread());
            outcome.completeExceptionally(exc);
        }

        V result() throws Exception {
            return outcome.get(30, TimeUnit.SECONDS);
        }

        Throwable failure() throws Exception {
            return assertThrows(ExecutionException.class, () -> outcome.get(30, TimeUnit.SECONDS)).getCause();
        }
    }
}
