package dev.jaio;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.contract.Pipe;
import dev.jaio.internal.Operation;
import dev.jaio.internal.OperationAccess;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The io_uring engine's call order (issue 9): operations of one pipe go to the kernel one at a
 * time, the others wait in the descriptor's lane, unsubmitted. What the contract's order tests
 * cannot see: an operation waiting in a lane is still queued, so {@code cancel()},
 * {@code aioCancelAll} and closing the engine cancel it (it never reaches the kernel, and never
 * consumes what is written to the pipe afterwards); a {@code LIO_WAIT} list of several reads of
 * one pipe completes once the pipe is fed; a lane survives the exit of the thread that filled it.
 */
class UringCallOrderTest {
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final int READS = 4;

    private static List<AioRead> reads(AioEngine engine, Arena arena, Pipe pipe, int n) {
        List<AioRead> reads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            reads.add(new AioRead(engine, pipe.readFd(), 0, arena.allocate(1), 0, SigevNotify.none()));
        }
        return reads;
    }

    private static void await(List<? extends Aio> blocks) throws AioException {
        for (Aio b : blocks) {
            while (b.error() == Errno.EINPROGRESS) {
                assertTrue(Aio.aioSuspend(List.of(b), PATIENCE), "an operation never completed");
            }
        }
    }

    private static char got(AioRead r) {
        return (char) r.buffer().get(ValueLayout.JAVA_BYTE, 0);
    }

    /**
     * Canceling a read that waits in its pipe's lane answers AIO_CANCELED at once, with
     * ECANCELED; the reads before and after it still get the pipe's bytes in call order.
     */
    @Test
    void aReadWaitingInItsLaneIsCanceledAndTheOthersKeepTheirOrder() throws Exception {
        long seed = Long.getLong("jaio.test.seed", System.nanoTime());
        System.out.println("UringCallOrderTest seed=" + seed + " (rerun with -Djaio.test.seed=" + seed + ")");
        Random rnd = new Random(seed);
        try (AioEngine engine = AioEngine.open("io_uring"); Pipe pipe = Pipe.open(); Arena arena = Arena.ofShared()) {
            for (int round = 0; round < 20; round++) {
                List<AioRead> reads = reads(engine, arena, pipe, READS);
                for (AioRead r : reads) {
                    r.submit();
                }
                int victim = 1 + rnd.nextInt(READS - 1); // not the head: that one is in the kernel
                AioRead canceled = reads.get(victim);
                assertEquals(AioCancelStat.AIO_CANCELED, canceled.cancel(), "seed " + seed + ": a read in its lane");
                assertEquals(Errno.ECANCELED, canceled.error(), "canceled at once");
                assertEquals(Errno.ECANCELED, assertThrows(AioException.class, canceled::aioReturn).errno());
                for (AioRead r : reads) {
                    if (r != canceled) {
                        assertEquals(Errno.EINPROGRESS, r.error(), "the pipe is empty");
                    }
                }
                pipe.write("abc".getBytes(ISO_8859_1));
                char expected = 'a';
                for (AioRead r : reads) {
                    if (r != canceled) {
                        await(List.of(r));
                        assertEquals(1, r.aioReturn());
                        assertEquals(expected++, got(r), "seed " + seed + ": round " + round + ", read " + reads.indexOf(r));
                    }
                }
                reads.forEach(AioRead::close);
            }
        }
    }

    /**
     * {@code aioCancelAll} of a pipe cancels the reads waiting in its lane as well as the one in
     * the kernel; none of them takes the bytes written afterwards, and the pipe's next reads
     * start a new lane.
     */
    @Test
    void aioCancelAllCancelsALane() throws Exception {
        try (AioEngine engine = AioEngine.open("io_uring"); Pipe pipe = Pipe.open(); Arena arena = Arena.ofShared()) {
            List<AioRead> reads = reads(engine, arena, pipe, READS);
            for (AioRead r : reads) {
                r.submit();
            }
            AioCancelStat stat = engine.aioCancelAll(pipe.readFd());
            for (AioRead r : reads.subList(1, READS)) {
                assertEquals(Errno.ECANCELED, r.error(), "a read waiting in the lane is canceled at once");
            }
            AioRead head = reads.get(0);
            if (stat == AioCancelStat.AIO_CANCELED) {
                await(List.of(head));
                assertEquals(Errno.ECANCELED, head.error());
                pipe.write("x".getBytes(ISO_8859_1));
            } else {
                // The kernel had handed the head to an io-wq worker: it ends when the pipe is fed.
                assertEquals(AioCancelStat.AIO_NOTCANCELED, stat);
                pipe.write("-x".getBytes(ISO_8859_1));
                await(List.of(head));
            }
            List<AioRead> next = reads(engine, arena, pipe, 2);
            for (AioRead r : next) {
                r.submit();
            }
            pipe.write("y".getBytes(ISO_8859_1));
            await(next);
            assertEquals('x', got(next.get(0)), "no canceled read consumed the pipe's bytes");
            assertEquals('y', got(next.get(1)));
        }
    }

    /**
     * Closing the engine with operations waiting in lanes (reads of an empty pipe, writes to a
     * full one) returns, and completes those that never reached the kernel with ECANCELED: none
     * of them reads or writes the pipes afterwards.
     */
    @Test
    void closingTheEngineCancelsOperationsWaitingInLanes() throws Exception {
        AioEngine engine = AioEngine.open("io_uring");
        try (Pipe empty = Pipe.open(); Pipe full = Pipe.open(); Arena arena = Arena.ofShared()) {
            int capacity = full.capacity();
            full.write(new byte[capacity]);
            List<AioRead> reads = reads(engine, arena, empty, READS);
            List<AioWrite> writes = new ArrayList<>();
            for (int i = 0; i < READS; i++) {
                MemorySegment b = arena.allocate(8);
                b.fill((byte) 'W');
                writes.add(new AioWrite(engine, full.writeFd(), 0, b, 0, SigevNotify.none()));
            }
            for (int i = 0; i < READS; i++) {
                reads.get(i).submit();
                writes.get(i).submit();
            }
            engine.close();
            for (List<? extends Aio> lane : List.of(reads, writes)) {
                for (int i = 0; i < READS; i++) {
                    Operation op = OperationAccess.of(lane.get(i));
                    long r = op.poll();
                    assertNotEquals(Operation.PENDING, r, "closed with an operation pending");
                    if (i > 0) {
                        assertEquals(-Errno.ECANCELED.code(), r, "an operation that waited in its lane");
                    }
                }
            }
            assertThrows(IllegalStateException.class, reads.get(1)::submit);
            // The arena closes after the engine: nothing of the engine touches the pipes any more.
            empty.write("q".getBytes(ISO_8859_1));
            assertArrayEquals("q".getBytes(ISO_8859_1), empty.read(1), "a read canceled by close took a byte");
            assertArrayEquals(new byte[capacity], full.read(capacity));
            full.write("M".getBytes(ISO_8859_1));
            assertArrayEquals("M".getBytes(ISO_8859_1), full.read(1), "a write canceled by close landed");
        }
    }

    /**
     * A {@code LIO_WAIT} list of several reads of one empty pipe: the first goes to the kernel, the
     * others wait in the lane, and the list still completes once the pipe is fed, each read
     * getting its bytes in list order, whether the bytes come at once or one at a time.
     */
    @Test
    void aWaitListOfSeveralReadsOfOnePipeCompletesWhenThePipeIsFed() throws Exception {
        try (AioEngine engine = AioEngine.open("io_uring"); Pipe pipe = Pipe.open(); Arena arena = Arena.ofShared()) {
            for (int round = 0; round < 10; round++) {
                List<AioRead> reads = reads(engine, arena, pipe, READS);
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread waiter = Thread.ofPlatform().name("lio-wait").start(() -> {
                    try {
                        Aio.lioListio(LioMode.LIO_WAIT, reads, SigevNotify.none());
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
                Thread.sleep(20);
                assertTrue(waiter.isAlive(), "LIO_WAIT returned before the pipe was fed");
                if (round % 2 == 0) {
                    pipe.write("abcd".getBytes(ISO_8859_1));
                } else {
                    for (char c = 'a'; c < 'a' + READS; c++) {
                        pipe.write(new byte[] {(byte) c});
                        Thread.sleep(2);
                    }
                }
                waiter.join(PATIENCE.toMillis());
                assertFalse(waiter.isAlive(), "LIO_WAIT never returned");
                assertNull(failure.get());
                char expected = 'a';
                for (AioRead r : reads) {
                    assertEquals(1, r.aioReturn());
                    assertEquals(expected++, got(r), "round " + round);
                }
                reads.forEach(AioRead::close);
            }
        }
    }

    /**
     * The kernel cancels a thread's io_uring requests when the thread exits, and the engine
     * submits them again from its reaper thread: a lane filled by a thread that then ends still
     * runs to its end, in call order.
     */
    @Test
    void aLaneOutlivesTheThreadThatFilledIt() throws Exception {
        try (AioEngine engine = AioEngine.open("io_uring"); Pipe pipe = Pipe.open(); Arena arena = Arena.ofShared()) {
            List<AioRead> reads = reads(engine, arena, pipe, READS);
            Thread submitter = Thread.ofPlatform().start(() -> {
                for (AioRead r : reads) {
                    try {
                        r.submit();
                    } catch (AioException e) {
                        throw new AssertionError(e);
                    }
                }
            });
            submitter.join();
            Thread.sleep(50);
            for (AioRead r : reads) {
                assertEquals(Errno.EINPROGRESS, r.error(), "still waiting after its submitter exited");
            }
            pipe.write("ab".getBytes(ISO_8859_1));
            Thread.sleep(20);
            pipe.write("cd".getBytes(ISO_8859_1));
            await(reads);
            char expected = 'a';
            for (AioRead r : reads) {
                assertEquals(1, r.aioReturn());
                assertEquals(expected++, got(r));
            }
        }
    }
}
