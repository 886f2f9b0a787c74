package dev.jaio.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.jaio.AioBatch;
import dev.jaio.AioEngine;
import dev.jaio.AioFileChannel;
import dev.jaio.AioOpenOption;
import dev.jaio.AioProbe;
import dev.jaio.testing.OnEngine;
import dev.jaio.testing.OneEnginePerClass;
import dev.jaio.testing.TestedEngine;
import java.lang.foreign.MemorySegment;
import java.nio.channels.InterruptedByTimeoutException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Assumptions;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The {@link AsynchronousFileChannelContract} on {@link AioFileChannel} over one engine, plus what
 * the JDK's Javadoc leaves open and jaio decides. A subclass per engine only names it with {@link
 * OnEngine}; {@link OneEnginePerClass} opens it for the subclass and closes it after.
 */
@ExtendWith(OneEnginePerClass.class)
abstract class AioFileChannelContract extends AsynchronousFileChannelContract {
    private TestedEngine tested;

    @BeforeEach
    void takeTheEngineOfThisClass(TestedEngine tested) {
        this.tested = tested;
    }

    /** The engine under test, opened for the subclass, shared by all of its tests. */
    protected final AioEngine engine() {
        return tested.engine();
    }

    @Override
    protected AsynchronousFileChannel openChannel(Path file, OpenOption... options) throws IOException {
        return AioFileChannel.open(engine(), file, options);
    }

    @Override
    protected AsynchronousFileChannel openChannel(Path file, Set<? extends OpenOption> options,
                                                  ExecutorService executor) throws IOException {
        // The engine-taking open has no executor parameter: go through the JDK-shaped one on the
        // default engine only when an executor is asked for.
        return AioFileChannel.open(file, options, executor);
    }

    /**
     * A buffer of a confined arena is refused by the call with an IllegalArgumentException that
     * names the arenas to use instead, and the channel goes on working.
     */
    @Test
    void buffersOfConfinedArenasAreRefusedNamingTheFix() throws Exception {
        Path p = fileWith(pattern(4096, 14));
        AioFileChannel ch = (AioFileChannel) open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try (Arena arena = Arena.ofConfined()) {
            ByteBuffer buf = arena.allocate(4096).asByteBuffer();
            for (IllegalArgumentException e : new IllegalArgumentException[] {
                    assertThrows(IllegalArgumentException.class, () -> ch.read(buf, 0)),
                    assertThrows(IllegalArgumentException.class, () -> ch.write(buf, 0)),
                    assertThrows(IllegalArgumentException.class, () -> ch.read(arena.allocate(10), 0))}) {
                assertTrue(e.getMessage().contains("Arena.ofShared()") && e.getMessage().contains("Arena.ofAuto()"),
                        e.getMessage());
            }
        }
        assertEquals(10, ch.read(ByteBuffer.allocate(10), 0).get(30, TimeUnit.SECONDS));
    }

    // ---------------------------------------------------------------- batches

    /** 32 reads over two channels, a write and the force that covers it, in one batch: each future right. */
    @Test
    void batchSubmitsManyWithOneCall() throws Exception {
        byte[] a = pattern(32 * 4096, 21);
        byte[] b = pattern(32 * 4096, 22);
        AioFileChannel ca = (AioFileChannel) open(fileWith(a), StandardOpenOption.READ);
        Path pb = fileWith(b);
        AioFileChannel cb = (AioFileChannel) open(pb, StandardOpenOption.READ, StandardOpenOption.WRITE);
        AioBatch batch = ca.batch();
        List<CompletableFuture<Integer>> reads = new ArrayList<>();
        List<ByteBuffer> bufs = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            ByteBuffer buf = i % 2 == 0 ? ByteBuffer.allocate(4096) : ByteBuffer.allocateDirect(4096);
            bufs.add(buf);
            reads.add(batch.read(i % 4 == 0 ? cb : ca, buf, (long) i * 4096));
        }
        MemorySegment seg = Arena.ofAuto().allocate(100);
        CompletableFuture<Long> segRead = batch.read(ca, seg, 0);
        CompletableFuture<Integer> write = batch.write(cb, ByteBuffer.wrap("batched".getBytes()), 32 * 4096);
        CompletableFuture<Void> force = batch.force(cb, true);
        CompletableFuture<Integer> left = batch.read(ca, ByteBuffer.allocate(10), 0);
        assertTrue(left.cancel(true), "a future canceled before submit leaves its operation out");
        assertEquals(36, batch.size());
        assertTrue(reads.stream().noneMatch(CompletableFuture::isDone), "nothing runs before submit");
        batch.submit();
        for (int i = 0; i < 32; i++) {
            assertEquals(4096, reads.get(i).get(30, TimeUnit.SECONDS));
            byte[] want = Arrays.copyOfRange(i % 4 == 0 ? b : a, i * 4096, (i + 1) * 4096);
            byte[] got = new byte[4096];
            bufs.get(i).flip().get(got);
            assertArrayEquals(want, got, "read " + i);
        }
        assertEquals(100L, segRead.get(30, TimeUnit.SECONDS));
        assertEquals(7, write.get(30, TimeUnit.SECONDS));
        force.get(30, TimeUnit.SECONDS);
        assertTrue(left.isCancelled());
        assertEquals(32 * 4096 + 7, Files.size(pb));
        assertThrows(IllegalStateException.class, batch::submit);
    }

    @Test
    void batchRefusesAChannelOfAnotherEngine() throws Exception {
        Path p = fileWith(pattern(10, 23));
        AioFileChannel mine = (AioFileChannel) open(p, StandardOpenOption.READ);
        try (AioEngine other = AioEngine.open("threads")) {
            AioFileChannel theirs = AioFileChannel.open(other, p, StandardOpenOption.READ);
            try {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> mine.batch().read(theirs, ByteBuffer.allocate(1), 0));
                assertTrue(e.getMessage().contains("one batch is one call into one engine"), e.getMessage());
            } finally {
                theirs.close();
            }
        }
    }

    // ---------------------------------------------------------------- O_DIRECT

    @Test
    void directIoTellsItsAlignmentAndRefusesMisalignedTransfers() throws Exception {
        Path p = fileWith(pattern(16 * 4096, 24));
        AioFileChannel ch;
        try {
            ch = (AioFileChannel) open(p, StandardOpenOption.READ, StandardOpenOption.WRITE, AioOpenOption.DIRECT);
        } catch (java.nio.file.FileSystemException noDirectHere) {
            Assumptions.abort("this file system has no O_DIRECT: " + noDirectHere.getMessage());
            return;
        }
        AioProbe.DirectIoAlignment a = ch.directIoAlignment().orElseThrow();
        assertTrue(a.memoryAlignment() > 0 && a.offsetAlignment() > 0, a.toString());
        MemorySegment block = ch.allocateAligned(Arena.ofAuto(), 4096);
        assertEquals(0, block.address() % a.memoryAlignment());
        assertEquals(4096L, ch.read(block, 4096).get(30, TimeUnit.SECONDS));
        assertArrayEquals(Arrays.copyOfRange(Files.readAllBytes(p), 4096, 8192), block.toArray(
                java.lang.foreign.ValueLayout.JAVA_BYTE));
        assertEquals(4096, ch.read(ByteBuffer.allocate(4096), 0).get(30, TimeUnit.SECONDS),
                "a heap buffer goes through an aligned bounce buffer");
        String unit = String.valueOf(a.offsetAlignment());
        for (IllegalArgumentException e : new IllegalArgumentException[] {
                assertThrows(IllegalArgumentException.class, () -> ch.read(block, 1)),
                assertThrows(IllegalArgumentException.class, () -> ch.read(block.asSlice(0, 100), 0)),
                assertThrows(IllegalArgumentException.class, () -> ch.read(ByteBuffer.allocate(100), 0)),
                assertThrows(IllegalArgumentException.class, () -> ch.write(block.asSlice(1, 4095), 0))}) {
            assertTrue(e.getMessage().contains("O_DIRECT") && e.getMessage().contains(unit)
                    && e.getMessage().contains("allocateAligned"), e.getMessage());
        }
        assertEquals(Optional.empty(), ((AioFileChannel) open(p, StandardOpenOption.READ)).directIoAlignment());
    }

    // ---------------------------------------------------------------- deadlines and cancel

    @Test
    void aDeadlineThatDoesNotPassChangesNothing() throws Exception {
        byte[] data = pattern(4096, 25);
        AioFileChannel ch = (AioFileChannel) open(fileWith(data), StandardOpenOption.READ, StandardOpenOption.WRITE);
        ByteBuffer buf = ByteBuffer.allocate(4096);
        assertEquals(4096, ch.read(buf, 0, Duration.ofSeconds(30)).get(30, TimeUnit.SECONDS));
        assertArrayEquals(data, buf.array());
        assertEquals(10, ch.write(ByteBuffer.allocate(10), 0, Duration.ofSeconds(30)).get(30, TimeUnit.SECONDS));
    }

    /**
     * A read of an empty FIFO stays in flight. When its deadline passes, an engine that can cancel
     * it (io_uring) fails it with InterruptedByTimeoutException, and the bytes written afterwards
     * stay in the pipe (the read is over); an engine that cannot (posix, threads: the read runs on
     * a thread) lets it complete with what is written later. Either way the future completes only
     * once the engine has ended the read.
     */
    @Test
    void deadlinesCancelInTheEngine() throws Exception {
        Path fifo = fifo();
        AioFileChannel ch = (AioFileChannel) open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE);
        ByteBuffer buf = ByteBuffer.allocate(5);
        CompletableFuture<Integer> read = ch.read(buf, 0, Duration.ofMillis(200));
        if (tested.kind().cancelsWaitingPipeReads()) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> read.get(30, TimeUnit.SECONDS));
            assertInstanceOf(InterruptedByTimeoutException.class, e.getCause());
            assertEquals(0, buf.position());
            feed(fifo, "after");
            ByteBuffer next = ByteBuffer.allocate(5);
            assertEquals(5, ch.read(next, 0).get(30, TimeUnit.SECONDS), "the bytes stayed in the pipe");
            assertEquals("after", new String(next.array()));
        } else {
            Thread.sleep(500);
            assertFalse(read.isDone(), "a read the engine cannot stop is not reported over while it runs");
            feed(fifo, "after");
            assertEquals(5, read.get(30, TimeUnit.SECONDS));
            assertEquals("after", new String(buf.array()));
        }
    }

    /**
     * Deadlines of 0 to 19 µs pass while their read is being submitted, or just after: the timer's
     * cancel then comes before the submitter's {@code submit()} returned, and the submitter has to
     * carry it out. 200 reads of an empty FIFO: on an engine that cancels pipe reads each one ends
     * with InterruptedByTimeoutException, none left waiting for bytes that never come; on the
     * others each ends, canceled before its thread took it or reading the bytes written then.
     */
    @Test
    void deadlinesThatPassDuringTheSubmissionStillCancel() throws Exception {
        Path fifo = fifo();
        AioFileChannel ch = (AioFileChannel) open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE);
        boolean cancels = tested.kind().cancelsWaitingPipeReads();
        for (int i = 0; i < 200; i++) {
            String which = "read " + i + ", deadline " + i % 20 + " µs";
            CompletableFuture<Integer> read = ch.read(ByteBuffer.allocate(5), 0, Duration.ofNanos(i % 20 * 1_000L));
            if (!cancels) {
                try {
                    read.get(50, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException running) {
                    feed(fifo, "fifo!"); // its thread reads the pipe: give it bytes
                } catch (ExecutionException canceledInTheQueue) {
                    // checked below
                }
            }
            try {
                int n = read.get(10, TimeUnit.SECONDS);
                assertFalse(cancels, which + " read " + n + " bytes nobody wrote");
                assertEquals(5, n, which);
            } catch (ExecutionException e) {
                assertInstanceOf(InterruptedByTimeoutException.class, e.getCause(), which);
            }
        }
    }

    /** Future.cancel: true (and CancellationException) only once the engine canceled the read; else the result stands. */
    @Test
    void cancelWaitsForTheEngine() throws Exception {
        Path fifo = fifo();
        AioFileChannel ch = (AioFileChannel) open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE);
        ByteBuffer buf = ByteBuffer.allocate(5);
        CompletableFuture<Integer> read = ch.read(buf, 0);
        Thread.sleep(100);
        if (tested.kind().cancelsWaitingPipeReads()) {
            assertTrue(read.cancel(true));
            assertTrue(read.isCancelled());
            assertThrows(CancellationException.class, read::join);
            feed(fifo, "later");
            ByteBuffer next = ByteBuffer.allocate(5);
            assertEquals(5, ch.read(next, 0).get(30, TimeUnit.SECONDS));
            assertEquals(0, buf.position(), "a canceled read wrote nothing into its buffer");
        } else {
            CompletableFuture<Boolean> cancel = CompletableFuture.supplyAsync(() -> read.cancel(true));
            Thread.sleep(300);
            assertFalse(cancel.isDone(), "cancel waits while the engine still runs the read");
            feed(fifo, "later");
            assertFalse(cancel.get(30, TimeUnit.SECONDS));
            assertEquals(5, read.get(30, TimeUnit.SECONDS));
            assertEquals("later", new String(buf.array()));
        }
    }

    private Path fifo() throws Exception {
        Path fifo = dir.resolve("fifo");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, p.waitFor());
        return fifo;
    }

    /** Writes to the FIFO through a descriptor of its own (a reader exists: open does not block). */
    private static void feed(Path fifo, String text) throws IOException {
        try (var out = Files.newOutputStream(fifo, StandardOpenOption.WRITE)) {
            out.write(text.getBytes());
        }
    }

    @Test
    void opensOnTheEngineItWasGiven() throws Exception {
        AioFileChannel ch = (AioFileChannel) open(fileWith(new byte[1]), StandardOpenOption.READ);
        assertSame(engine(), ch.engine());
    }
}
