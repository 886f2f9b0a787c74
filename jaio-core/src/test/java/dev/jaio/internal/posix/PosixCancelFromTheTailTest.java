package dev.jaio.internal.posix;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.Aio;
import dev.jaio.AioCancelStat;
import dev.jaio.AioEngine;
import dev.jaio.AioException;
import dev.jaio.AioFile;
import dev.jaio.AioFsync;
import dev.jaio.AioFsyncMode;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.contract.Pipe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The posix engine hands glibc every operation that notifies nobody, however many wait on one
 * descriptor, and cancels one in the middle of glibc's queue from the tail: it takes back the
 * requests behind it (glibc's last first), cancels it as glibc's last, and hands the others
 * back in their order ({@link DescriptorQueues}). These tests hold what that must keep: every
 * request behind a canceled one still runs, in its place, with its own data; a target that
 * turns out to be running answers {@code AIO_NOTCANCELED}; a head waiting for one of glibc's
 * threads is canceled without stranding what is behind it (glibc 2.36); nobody is notified of a
 * take-back, and a list is notified once, after all its members.
 *
 * <p>Reads of an empty pipe stay queued until the test writes; glibc runs one request of a
 * descriptor at a time, in order, so the k-th read still queued gets the k-th chunk written.
 * Each test has its own engine. A test that fails with requests stuck in glibc leaves their
 * blocks open on purpose: glibc may still write their memory.
 */
class PosixCancelFromTheTailTest {
    private static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private AioEngine engine;
    private Arena arena;
    private final List<Pipe> pipes = new ArrayList<>();
    private boolean settled;

    @BeforeEach
    void open() throws Exception {
        engine = AioEngine.open("posix");
        arena = Arena.ofShared();
    }

    @AfterEach
    void close() {
        if (!settled) {
            return; // something may still be glibc's: leave engine, memory and pipes alone
        }
        for (Pipe p : pipes) {
            p.close();
        }
        arena.close();
        engine.close();
    }

    /**
     * {@code n} reads of an empty pipe; the first runs (blocked in {@code read}), the others are
     * queued in glibc. Canceling one in the middle answers {@code AIO_CANCELED}; every other read
     * then completes with the chunk of its turn: those behind the canceled one kept their order.
     */
    @ParameterizedTest(name = "{0} reads")
    @ValueSource(ints = {3, 8, 32})
    void cancelOfTheMiddleOfQueuedReadsLeavesEveryOtherToRunInItsTurn(int n) throws Exception {
        Pipe p = pipe();
        List<AioRead> reads = submitReads(p, n, SigevNotify.none());
        assertAllInProgress(reads);
        int middle = n / 2;
        assertEquals(AioCancelStat.AIO_CANCELED, reads.get(middle).cancel(), "the read in the middle, only queued");
        assertEquals(Errno.ECANCELED, reads.get(middle).error());
        assertAllInProgress(without(reads, middle));
        feedAndCheckInOrder(p, without(reads, middle));
        assertThrows(AioException.class, reads.get(middle)::aioReturn);
        assertEquals("....", text(reads.get(middle).buffer()));
        settled = true;
    }

    /** Canceling the last queued read (nothing to take back) answers AIO_CANCELED; the others run. */
    @Test
    void cancelOfTheLastQueuedReadLeavesTheOthersToRun() throws Exception {
        Pipe p = pipe();
        List<AioRead> reads = submitReads(p, 8, SigevNotify.none());
        assertEquals(AioCancelStat.AIO_CANCELED, reads.getLast().cancel());
        assertEquals(Errno.ECANCELED, reads.getLast().error());
        feedAndCheckInOrder(p, reads.subList(0, 7));
        assertThrows(AioException.class, reads.getLast()::aioReturn);
        settled = true;
    }

    /**
     * The read glibc is running (blocked in {@code read}) with seven queued behind it: its cancel
     * takes them back, finds it running ({@code AIO_NOTCANCELED}, as glibc answers), hands them
     * back; all eight then complete, in order.
     */
    @Test
    void cancelOfTheRunningReadAnswersNotCanceledAndHandsBackTheOnesBehindIt() throws Exception {
        Pipe p = pipe();
        List<AioRead> reads = submitReads(p, 8, SigevNotify.none());
        assertEquals(AioCancelStat.AIO_NOTCANCELED, reads.getFirst().cancel(), "the running read");
        assertAllInProgress(reads);
        feedAndCheckInOrder(p, reads);
        settled = true;
    }

    /**
     * glibc's threads (20) all blocked in pipe reads, so the first of a file's requests heads its
     * queue waiting for a worker, with writes and an fsync behind it: the very state in which
     * glibc 2.36's {@code aio_cancel} of the head strands the requests behind it. Canceling the
     * head answers {@code AIO_CANCELED}; once the pipes are fed, everything behind it completes,
     * the second write's cancel (from the middle) took it back from the file, and the file holds
     * the writes that were not canceled.
     */
    @Test
    void cancelOfAHeadWaitingForAWorkerStrandsNothingBehindIt() throws Exception {
        List<AioRead> blockers = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            blockers.add(submitReads(pipe(), 1, SigevNotify.none()).getFirst());
        }
        Thread.sleep(300); // glibc starts its threads; each blocks in read()
        try (AioFile f = AioFile.tempfile()) {
            List<Aio> file = new ArrayList<>();
            for (String s : new String[] {"AAAA", "BBBB", "CCCC"}) {
                file.add(AioWrite.of(engine, f.fd(), 4L * file.size(), s.getBytes(ISO_8859_1), 0, SigevNotify.none()));
            }
            file.add(new AioFsync(engine, f.fd(), AioFsyncMode.O_SYNC, 0, SigevNotify.none()));
            file.add(AioWrite.of(engine, f.fd(), 12, "DDDD".getBytes(ISO_8859_1), 0, SigevNotify.none()));
            for (Aio a : file) {
                a.submit();
            }
            assertEquals(AioCancelStat.AIO_CANCELED, file.get(0).cancel(), "the head, waiting for a worker");
            assertEquals(AioCancelStat.AIO_CANCELED, file.get(2).cancel(), "a write in the middle");
            for (Pipe p : pipes) {
                p.write(new byte[] {1});
            }
            awaitAll(blockers);
            awaitAll(file);
            assertEquals(Errno.ECANCELED, file.get(0).error());
            assertEquals(Errno.ECANCELED, file.get(2).error());
            for (int i : new int[] {1, 3, 4}) {
                assertEquals(Errno.SUCCESS, file.get(i).error(), "request " + i + " behind the canceled ones");
            }
            for (Aio a : file) {
                finish(a);
                a.close();
            }
            byte[] content = java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/self/fd/" + f.fd()));
            assertEquals("\0\0\0\0BBBB\0\0\0\0DDDD", new String(content, ISO_8859_1));
        }
        for (AioRead r : blockers) {
            assertEquals(1, r.aioReturn());
        }
        settled = true;
    }

    /**
     * Reads with a callback of their own are never taken back (glibc's cancel would run their
     * callback): behind reads that notify nobody they wait in the engine's queue. Canceling a read
     * ahead of them takes back and hands over only reads that notify nobody: each callback runs
     * once, after its read completed with its data.
     */
    @Test
    void readsWithACallbackQueuedBehindAreNotifiedOnceAfterTheirData() throws Exception {
        Pipe p = pipe();
        List<AioRead> plain = submitReads(p, 4, SigevNotify.none());
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        List<AioRead> notifying = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            AioRead[] self = new AioRead[1];
            // The read's state when its callback runs, and what its buffer then holds (error()
            // records the outcome, which delivers the staged bytes).
            self[0] = read(p, SigevNotify.thread(i, v -> seen.add(v + ":" + self[0].error() + ":"
                    + text(self[0].buffer()))));
            self[0].submit();
            notifying.add(self[0]);
        }
        assertEquals(AioCancelStat.AIO_CANCELED, plain.get(1).cancel());
        Thread.sleep(100);
        assertTrue(seen.isEmpty(), () -> "notified before its read completed: " + seen);
        List<AioRead> rest = new ArrayList<>(without(plain, 1));
        rest.addAll(notifying);
        feed(p, rest.size());
        awaitNotifications(() -> seen.size() >= 3);
        assertEquals(List.of("0:SUCCESS:" + chunk(3), "1:SUCCESS:" + chunk(4), "2:SUCCESS:" + chunk(5)),
                seen.stream().sorted().toList(), "one notification per read, each after its read brought its data");
        checkInOrder(rest);
        assertThrows(AioException.class, plain.get(1)::aioReturn);
        settled = true;
    }

    /**
     * A {@code LIO_NOWAIT} list with a notification, behind reads that notify nobody; one of those
     * is canceled from the middle. The list's notification comes once, after all its reads.
     */
    @Test
    void aListBehindATakeBackIsNotifiedOnceAfterAllItsReads() throws Exception {
        Pipe p = pipe();
        List<AioRead> plain = submitReads(p, 4, SigevNotify.none());
        List<AioRead> list = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            list.add(read(p, SigevNotify.none()));
        }
        AtomicInteger fired = new AtomicInteger();
        AtomicInteger overWhenFired = new AtomicInteger(-1);
        engine.lioListio(LioMode.LIO_NOWAIT, list, SigevNotify.thread(9, v -> {
            overWhenFired.set((int) list.stream().filter(r -> r.error() != Errno.EINPROGRESS).count());
            fired.incrementAndGet();
        }));
        assertEquals(AioCancelStat.AIO_CANCELED, plain.get(2).cancel());
        Thread.sleep(100);
        assertEquals(0, fired.get(), "the list's notification before its reads ran");
        List<AioRead> rest = new ArrayList<>(without(plain, 2));
        rest.addAll(list);
        feedAndCheckInOrder(p, rest);
        awaitNotifications(() -> fired.get() > 0);
        assertEquals(1, fired.get(), "the list's notification, once");
        assertEquals(3, overWhenFired.get(), "reads of the list over when its notification came");
        assertThrows(AioException.class, plain.get(2)::aioReturn);
        settled = true;
    }

    /**
     * {@code aioCancelAll} on a descriptor with reads in glibc's queue (they notify nobody) and
     * reads with a callback in the engine's own queue behind them: the running read answers
     * {@code AIO_NOTCANCELED}, every other is canceled wherever it waited, and each callback runs
     * once.
     */
    @Test
    void aioCancelAllCancelsGlibcsQueueAndTheEnginesOwn() throws Exception {
        Pipe p = pipe();
        List<AioRead> plain = submitReads(p, 4, SigevNotify.none());
        ConcurrentLinkedQueue<Long> notified = new ConcurrentLinkedQueue<>();
        List<AioRead> notifying = submitReads(p, 3, SigevNotify.thread(5, notified::add));
        assertEquals(AioCancelStat.AIO_NOTCANCELED, engine.aioCancelAll(p.readFd()), "the running read");
        List<AioRead> canceled = new ArrayList<>(plain.subList(1, 4));
        canceled.addAll(notifying);
        for (AioRead r : canceled) {
            assertEquals(Errno.ECANCELED, r.error(), r::toString);
            assertThrows(AioException.class, r::aioReturn);
        }
        awaitNotifications(() -> notified.size() >= 3);
        assertEquals(List.of(5L, 5L, 5L), List.copyOf(notified), "one callback per canceled read");
        feedAndCheckInOrder(p, plain.subList(0, 1));
        settled = true;
    }

    /**
     * While a take-back holds a request, glibc says {@code ECANCELED} for it: a poller asking at
     * that moment must not take that for the outcome. Two threads poll 64 queued reads without
     * pause while every other one is canceled from the middle; afterwards each read not canceled
     * completes with the chunk of its turn.
     */
    @Test
    void pollersNeverTakeATakeBackForTheOutcome() throws Exception {
        Pipe p = pipe();
        List<AioRead> reads = submitReads(p, 64, SigevNotify.none());
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> pollers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            pollers.add(Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    for (AioRead r : reads) {
                        r.error();
                    }
                }
            }));
        }
        List<AioRead> kept = new ArrayList<>();
        try {
            for (int i = 1; i < reads.size(); i++) {
                if (i % 2 == 0) {
                    assertEquals(AioCancelStat.AIO_CANCELED, reads.get(i).cancel(), "read " + i);
                }
            }
            Thread.sleep(20);
        } finally {
            stop.set(true);
            for (Thread t : pollers) {
                t.join();
            }
        }
        for (int i = 0; i < reads.size(); i++) {
            if (i == 0 || i % 2 != 0) {
                assertEquals(Errno.EINPROGRESS, reads.get(i).error(), "read " + i + " was not canceled");
                kept.add(reads.get(i));
            } else {
                assertEquals(Errno.ECANCELED, reads.get(i).error(), "read " + i);
                assertThrows(AioException.class, reads.get(i)::aioReturn);
            }
        }
        feedAndCheckInOrder(p, kept);
        settled = true;
    }

    // ------------------------------------------------------------------------------------------

    private Pipe pipe() {
        Pipe p = Pipe.open();
        pipes.add(p);
        return p;
    }

    private AioRead read(Pipe p, SigevNotify notify) {
        MemorySegment buf = arena.allocate(4);
        buf.fill((byte) '.');
        return new AioRead(engine, p.readFd(), 0, buf, 0, notify);
    }

    /** Submits {@code n} reads of {@code p}, then gives glibc time to start the first. */
    private List<AioRead> submitReads(Pipe p, int n, SigevNotify notify) throws Exception {
        List<AioRead> reads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            AioRead r = read(p, notify);
            r.submit();
            reads.add(r);
        }
        Thread.sleep(50);
        return reads;
    }

    /** Writes one distinct chunk per read; the k-th read must get the k-th chunk. */
    private static void feedAndCheckInOrder(Pipe p, List<AioRead> reads) throws Exception {
        feed(p, reads.size());
        checkInOrder(reads);
    }

    private static void feed(Pipe p, int chunks) {
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < chunks; i++) {
            all.append(chunk(i));
        }
        p.write(all.toString().getBytes(ISO_8859_1));
    }

    /** Waits for {@code reads}, then checks that the k-th got the k-th chunk, and returns each. */
    private static void checkInOrder(List<AioRead> reads) throws Exception {
        awaitAll(reads);
        for (int i = 0; i < reads.size(); i++) {
            AioRead r = reads.get(i);
            assertEquals(Errno.SUCCESS, r.error(), "read " + i);
            assertEquals(4, r.aioReturn(), "read " + i);
            assertEquals(chunk(i), text(r.buffer()), "read " + i + " got another's turn");
        }
    }

    private static String chunk(int i) {
        return String.format("%04d", i);
    }

    /** Waits (at most {@link #PATIENCE_NANOS}) until {@code done}, then a little more for late extra notifications. */
    private static void awaitNotifications(java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(100);
    }

    private static void awaitAll(List<? extends Aio> blocks) throws Exception {
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        for (Aio a : blocks) {
            while (a.error() == Errno.EINPROGRESS) {
                assertTrue(System.nanoTime() < deadline, () -> a + " stays EINPROGRESS: stranded in glibc's queue?");
                Thread.sleep(2);
            }
        }
    }

    private static void assertAllInProgress(List<? extends Aio> blocks) {
        for (Aio a : blocks) {
            assertEquals(Errno.EINPROGRESS, a.error(), a::toString);
        }
    }

    private static void finish(Aio a) {
        try {
            a.aioReturn();
        } catch (AioException expected) {
            assertEquals(Errno.ECANCELED, expected.errno(), a::toString);
        }
    }

    private static <T> List<T> without(List<T> list, int index) {
        List<T> out = new ArrayList<>(list);
        out.remove(index);
        return out;
    }

    private static String text(MemorySegment buf) {
        return new String(buf.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), ISO_8859_1);
    }
}
