package dev.jaio.reliability;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jaio.Aio;
import dev.jaio.AioEngine;
import dev.jaio.AioException;
import dev.jaio.AioFile;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.contract.Pipe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Faults while operations are in flight, on every engine: the descriptor closed under them, the
 * engine closed under thousands of them, notification callbacks that throw, and a thread
 * interrupted in every call that waits. In each case: no hang (every wait is bounded and a miss
 * prints every thread's stack), no crash, and every operation ends in a state the API defines.
 *
 * <p>Operations that must stay in flight read an empty {@link Pipe}; the test ends them by
 * writing to it or closing its write end.
 */
class InFlightFaultsTest {
    static final int BLOCK = 4096;
    static final Duration SHORT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    // ------------------------------------------------------------------ the descriptor closed

    /**
     * 2048 operations are submitted on a descriptor, in lists, while another thread closes it.
     * Each ends with success or {@code EBADF}; a write that reports {@code EBADF} wrote nothing,
     * a write that reports success is in the file, a read that reports success read the right
     * block.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jaio.reliability.EngineUnderTest#names")
    void descriptorClosedWhileOperationsAreInFlight(String name) throws Exception {
        int blocks = 2048;
        Path path = dir.resolve("closed-under-io");
        fill(path, blocks, 0);
        try (AioEngine engine = EngineUnderTest.open(name); Arena arena = Arena.ofShared();
                AioFile f = AioFile.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // A high number, so that no open() of this JVM gets it back while operations still name it.
            int fd = LinuxCalls.fcntl(f.fd(), LinuxCalls.F_DUPFD_CLOEXEC, 900);
            assertTrue(fd >= 900, "F_DUPFD_CLOEXEC: " + fd);
            List<Aio> all = new ArrayList<>();
            for (int b = 0; b < blocks; b++) {
                long offset = (long) b * BLOCK;
                MemorySegment buf = arena.allocate(BLOCK, BLOCK);
                if (b % 2 == 0) {
                    BlockPattern.fill(buf, offset, 1);
                    all.add(new AioWrite(engine, fd, offset, buf, 0, SigevNotify.none()));
                } else {
                    all.add(new AioRead(engine, fd, offset, buf, 0, SigevNotify.none()));
                }
            }
            Collections.shuffle(all, new java.util.Random(blocks));
            CountDownLatch halfway = new CountDownLatch(1);
            Thread closer = Thread.ofPlatform().name("closer").start(() -> {
                try {
                    halfway.await();
                } catch (InterruptedException e) {
                    return;
                }
                assertEquals(0, LinuxCalls.close(fd));
            });
            List<Aio> queued = new ArrayList<>();
            int notQueued = 0;
            for (int i = 0; i < all.size(); i += 64) {
                List<Aio> list = all.subList(i, Math.min(all.size(), i + 64));
                if (i == all.size() / 4) {
                    // Close once operations are really running: when the first queued one is done.
                    Waits.untilComplete(queued.subList(0, 1));
                    halfway.countDown();
                }
                try {
                    Aio.lioListio(LioMode.LIO_NOWAIT, list, SigevNotify.none());
                    queued.addAll(list);
                } catch (AioException e) {
                    // Refused at submission (EBADF) or for resources; the others of the list run.
                    for (Aio a : list) {
                        if (e.notQueued().contains(a)) {
                            notQueued++;
                            assertFalse(a.inProgress());
                            Errno why = a.error();
                            assertTrue(why == Errno.EBADF || why == Errno.EAGAIN, () -> a + " not queued: " + why);
                        } else {
                            queued.add(a);
                        }
                    }
                }
            }
            Waits.join(closer, SHORT, "closing the descriptor");
            Waits.untilComplete(queued);
            int ok = 0, badFd = 0;
            boolean[] written = new boolean[blocks];
            for (Aio a : queued) {
                Errno e = a.error();
                int b = (int) (offsetOf(a) / BLOCK);
                if (e == Errno.SUCCESS) {
                    ok++;
                    assertEquals(BLOCK, a.aioReturn(), a::toString);
                    if (a instanceof AioWrite) {
                        written[b] = true;
                    } else {
                        MemorySegment got = ((AioRead) a).buffer();
                        assertTrue(BlockPattern.matches(got, offsetOf(a), 0), () -> a + ": " + BlockPattern.describe(got));
                    }
                } else {
                    assertEquals(Errno.EBADF, e, () -> a + " on a descriptor closed under it");
                    badFd++;
                    AioException thrown = assertThrows(AioException.class, a::aioReturn);
                    assertEquals(Errno.EBADF, thrown.errno());
                }
                a.close();
            }
            // What each write reported is what the file holds.
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                byte[] block = new byte[BLOCK];
                for (int b = 0; b < blocks; b += 2) {
                    readFully(ch, block, (long) b * BLOCK);
                    long expected = written[b] ? 1 : 0;
                    int index = b;
                    assertTrue(BlockPattern.matches(MemorySegment.ofArray(block), (long) b * BLOCK, expected),
                            () -> "block " + index + " should be generation " + expected + ": "
                                    + BlockPattern.describe(MemorySegment.ofArray(block)));
                }
            }
            assertTrue(LinuxCalls.isOpen(f.fd()), "the original descriptor is untouched");
            System.out.printf("fd closed in flight [%s]: %d operations, %d succeeded, %d EBADF, %d refused at"
                    + " submission; every write's report matches the file%n", name, all.size(), ok, badFd, notQueued);
        }
    }

    // ------------------------------------------------------------------ the engine closed

    /**
     * An engine is closed while about 4000 operations and four reads of an empty pipe are in
     * flight and another thread is still submitting. {@code close()} returns (once the pipe reads,
     * which glibc and a thread pool cannot cancel, end); afterwards every block refuses use with
     * {@code IllegalStateException}, nothing writes a read buffer any more, and every block of the
     * file holds either its old or its new content, never a mix.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jaio.reliability.EngineUnderTest#names")
    void engineClosedWhileThousandsAreInFlight(String name) throws Exception {
        int blocks = 2048;
        Path writePath = dir.resolve("written-while-closing");
        Path readPath = dir.resolve("read-while-closing");
        fill(writePath, blocks, 0);
        fill(readPath, blocks, 0);
        AioEngine engine = EngineUnderTest.open(name);
        try (Arena arena = Arena.ofShared(); Pipe pipe = Pipe.open();
                AioFile wf = AioFile.open(writePath, StandardOpenOption.READ, StandardOpenOption.WRITE);
                AioFile rf = AioFile.open(readPath, StandardOpenOption.READ)) {
            List<Aio> all = new ArrayList<>();
            List<AioRead> reads = new ArrayList<>();
            for (int b = 0; b < blocks; b++) {
                long offset = (long) b * BLOCK;
                MemorySegment buf = arena.allocate(BLOCK, BLOCK);
                BlockPattern.fill(buf, offset, 1);
                all.add(new AioWrite(engine, wf.fd(), offset, buf, 0, SigevNotify.none()));
                AioRead r = new AioRead(engine, rf.fd(), offset, arena.allocate(BLOCK, BLOCK), 0, SigevNotify.none());
                all.add(r);
                reads.add(r);
            }
            List<AioRead> stuck = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                AioRead r = new AioRead(engine, pipe.readFd(), 0, arena.allocate(16), 0, SigevNotify.none());
                r.submit();
                stuck.add(r);
            }
            CountDownLatch halfway = new CountDownLatch(1);
            AtomicReference<Throwable> submitterEnd = new AtomicReference<>();
            LongAdder listsSubmitted = new LongAdder();
            Thread submitter = Thread.ofPlatform().name("submitter").start(() -> {
                try {
                    for (int i = 0; i < all.size(); i += 128) {
                        if (i >= all.size() / 2) {
                            halfway.countDown();
                        }
                        Aio.lioListio(LioMode.LIO_NOWAIT, all.subList(i, Math.min(all.size(), i + 128)),
                                SigevNotify.none());
                        listsSubmitted.increment();
                    }
                } catch (Throwable t) {
                    submitterEnd.set(t);
                } finally {
                    halfway.countDown();
                }
            });
            halfway.await();
            long closeStart = System.nanoTime();
            Thread closer = Thread.ofPlatform().name("engine-closer").start(engine::close);
            // glibc and the thread pool cannot cancel a read that blocks in read(2): end them.
            closer.join(500);
            pipe.closeWriteEnd();
            Waits.join(closer, Duration.ofSeconds(60), "engine.close() with thousands in flight");
            long closeMillis = (System.nanoTime() - closeStart) / 1_000_000;
            Waits.join(submitter, Duration.ofSeconds(60), "the submitter racing the close");
            Throwable end = submitterEnd.get();
            if (end != null) {
                assertInstanceOf(IllegalStateException.class, end, "a list submitted to a closing engine");
            }
            // Nothing is usable any more, and nothing throws anything but IllegalStateException.
            for (Aio a : concat(all, stuck)) {
                assertThrows(IllegalStateException.class, a::error);
                assertThrows(IllegalStateException.class, a::submit);
                assertThrows(IllegalStateException.class, a::aioReturn);
                assertFalse(a.inProgress());
                a.close(); // idempotent
            }
            // Nothing writes a read buffer after close() returned.
            for (AioRead r : concat(reads, stuck)) {
                r.buffer().fill((byte) 0x5A);
            }
            Thread.sleep(200);
            for (AioRead r : concat(reads, stuck)) {
                assertTrue(allBytes(r.buffer(), (byte) 0x5A), () -> r + ": its buffer was written after close()");
            }
            // Each block is old or new, whole.
            int newer = 0;
            try (FileChannel ch = FileChannel.open(writePath, StandardOpenOption.READ)) {
                byte[] block = new byte[BLOCK];
                for (int b = 0; b < blocks; b++) {
                    readFully(ch, block, (long) b * BLOCK);
                    MemorySegment s = MemorySegment.ofArray(block);
                    if (BlockPattern.matches(s, (long) b * BLOCK, 1)) {
                        newer++;
                    } else {
                        int index = b;
                        assertTrue(BlockPattern.matches(s, (long) b * BLOCK, 0),
                                () -> "block " + index + " is neither old nor new: " + BlockPattern.describe(s));
                    }
                }
            }
            System.out.printf("engine closed in flight [%s]: %d lists of 128 submitted before the close (%s),"
                            + " close() took %d ms; %d of %d writes landed whole, the rest not at all; all %d blocks"
                            + " refuse use; no buffer touched after close%n",
                    name, listsSubmitted.sum(), end == null ? "the submitter finished first" : "then the submitter got "
                            + end.getClass().getSimpleName(), closeMillis, newer, blocks, all.size() + stuck.size());
        } finally {
            engine.close();
        }
    }

    // ------------------------------------------------------------------ callbacks that throw

    /**
     * Twenty {@code LIO_NOWAIT} lists of 50 writes, each list's notification and each block's
     * notification a callback that throws. Each throw is reported to the uncaught-exception
     * handler, each callback runs exactly once, every write completes, and the engine works on.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jaio.reliability.EngineUnderTest#names")
    void notificationCallbacksThatThrowHarmNothing(String name) throws Exception {
        int lists = 20, perList = 50;
        LongAdder listCalls = new LongAdder(), blockCalls = new LongAdder(), reported = new LongAdder();
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            if (e instanceof ThrownOnPurpose) {
                reported.increment();
            } else if (previous != null) {
                previous.uncaughtException(t, e);
            }
        });
        try (AioEngine engine = EngineUnderTest.open(name); Arena arena = Arena.ofShared();
                AioFile f = AioFile.tempfile()) {
            List<AioWrite> all = new ArrayList<>();
            for (int l = 0; l < lists; l++) {
                List<AioWrite> list = new ArrayList<>();
                for (int i = 0; i < perList; i++) {
                    long offset = (long) (l * perList + i) * BLOCK;
                    MemorySegment buf = arena.allocate(BLOCK);
                    BlockPattern.fill(buf, offset, 1);
                    list.add(new AioWrite(engine, f.fd(), offset, buf, 0, SigevNotify.thread(offset, v -> {
                        blockCalls.increment();
                        throw new ThrownOnPurpose("block callback " + v);
                    })));
                }
                Aio.lioListio(LioMode.LIO_NOWAIT, list, SigevNotify.thread(l, v -> {
                    listCalls.increment();
                    throw new ThrownOnPurpose("list callback " + v);
                }));
                all.addAll(list);
            }
            Waits.untilComplete(all);
            long deadline = System.nanoTime() + SHORT.toNanos();
            while ((listCalls.sum() < lists || blockCalls.sum() < lists * perList
                    || reported.sum() < lists + lists * perList) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Thread.sleep(100); // a second call of any callback would show now
            assertEquals(lists, listCalls.sum(), "each list's callback once");
            assertEquals(lists * perList, blockCalls.sum(), "each block's callback once");
            assertEquals(lists + lists * perList, reported.sum(), "every exception reported");
            for (AioWrite w : all) {
                assertEquals(BLOCK, w.aioReturn());
                w.close();
            }
            // The engine works on.
            try (AioRead r = new AioRead(engine, f.fd(), 7L * BLOCK, arena.allocate(BLOCK), 0, SigevNotify.none())) {
                Aio.lioListio(LioMode.LIO_WAIT, List.of(r), SigevNotify.none());
                assertEquals(BLOCK, r.aioReturn());
                assertTrue(BlockPattern.matches(r.buffer(), 7L * BLOCK, 1));
            }
            System.out.printf("throwing callbacks [%s]: %d list and %d block callbacks each ran once and threw; all"
                    + " %d reported to the uncaught-exception handler; all writes done; the engine works on%n",
                    name, listCalls.sum(), blockCalls.sum(), reported.sum());
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
    }

    /** The exception the callbacks above throw, so the handler knows it from any other. */
    static final class ThrownOnPurpose extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ThrownOnPurpose(String message) {
            super(message + " (thrown on purpose by a jaio reliability test; ignore)", null, false, false);
        }
    }

    // ------------------------------------------------------------------ interrupts

    /**
     * {@code aioSuspend} interrupted while a read waits: {@code EINTR} at once, the interrupt
     * status kept, the read still in progress and finished normally later.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jaio.reliability.EngineUnderTest#names")
    void aioSuspendInterrupted(String name) throws Exception {
        try (AioEngine engine = EngineUnderTest.open(name); Arena arena = Arena.ofShared(); Pipe pipe = Pipe.open();
                AioRead r = new AioRead(engine, pipe.readFd(), 0, arena.allocate(3), 0, SigevNotify.none())) {
            r.submit();
            Outcome o = interruptWhile("aioSuspend", () -> Aio.aioSuspend(List.of(r), null));
            assertEquals(Errno.EINTR, assertInstanceOf(AioException.class, o.thrown, "aioSuspend interrupted").errno());
            assertTrue(o.interruptedAfter, "the interrupt status stays set");
            assertTrue(r.inProgress());
            assertEquals(Errno.EINPROGRESS, r.error(), "nothing is lost: the read still waits");
            pipe.write(new byte[] {'a', 'b', 'c'});
            Waits.untilComplete(List.of(r));
            assertEquals(3, r.aioReturn());
            assertEquals("abc", new String(r.buffer().toArray(JAVA_BYTE), java.nio.charset.StandardCharsets.US_ASCII));
            System.out.printf("interrupt [%s]: aioSuspend -> EINTR in %d ms, status kept, the read completed later%n",
                    name, o.millisAfterInterrupt);
        }
    }

    /**
     * {@code LIO_WAIT} interrupted: {@code EINTR}, every block queued ({@code notQueued()} empty),
     * and each completes normally afterwards.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jaio.reliability.EngineUnderTest#names")
    void lioWaitInterrupted(String name) throws Exception {
        try (AioEngine engine = EngineUnderTest.open(name); Arena arena = Arena.ofShared(); Pipe pipe = Pipe.open();
                AioFile f = AioFile.tempfile();
                AioRead r = new AioRead(engine, pipe.readFd(), 0, arena.allocate(2), 0, SigevNotify.none());
                AioWrite w = AioWrite.of(engine, f.fd(), 0, BlockPattern.bytes(0, 1, BLOCK), 0, SigevNotify.none())) {
            Outcome o = interruptWhile("LIO_WAIT", () -> {
                Aio.lioListio(LioMode.LIO_WAIT, List.of(w, r), SigevNotify.none());
                return null;
            });
            AioException e = assertInstanceOf(AioException.class, o.thrown, "LIO_WAIT interrupted");
            assertEquals(Errno.EINTR, e.errno());
            assertTrue(e.notQueued().isEmpty(), "both were queued before the wait: " + e.notQueued());
            assertTrue(o.interruptedAfter);
            assertTrue(r.inProgress() && w.inProgress());
            pipe.write(new byte[] {'o', 'k'});
            Waits.untilComplete(List.of(w, r));
            assertEquals(BLOCK, w.aioReturn());
            assertEquals(2, r.aioReturn());
            System.out.printf("interrupt [%s]: LIO_WAIT -> EINTR in %d ms, both operations queued and completed later%n",
                    name, o.millisAfterInterrupt);
        }
    }

    /**
     * {@code close()} of a block whose read waits, interrupted: it keeps its promise (it returns
     * only when nothing will touch the buffer again, which for glibc and the thread pool means
     * when the read ends) and keeps the interrupt status.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jaio.reliability.EngineUnderTest#names")
    void closeOfABlockInterrupted(String name) throws Exception {
        try (AioEngine engine = EngineUnderTest.open(name); Arena arena = Arena.ofShared(); Pipe pipe = Pipe.open()) {
            MemorySegment buf = arena.allocate(4).fill((byte) '.');
            AioRead r = new AioRead(engine, pipe.readFd(), 0, buf, 0, SigevNotify.none());
            r.submit();
            CountDownLatch entered = new CountDownLatch(1);
            AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
            Thread t = Thread.ofPlatform().name("closing-a-block").start(() -> {
                Thread.currentThread().interrupt(); // interrupted before it closes ...
                entered.countDown();
                r.close();
                interruptedAfter.set(Thread.currentThread().isInterrupted());
            });
            entered.await();
            Thread.sleep(50);
            t.interrupt(); // ... and again while it waits, where it waits
            t.join(300);
            boolean waitedForTheRead = t.isAlive();
            // Whether it could cancel (io_uring) or waits for the read (glibc, thread pool), end the read.
            pipe.write(new byte[] {'x'});
            Waits.join(t, SHORT, "close() of an interrupted thread");
            assertEquals(Boolean.TRUE, interruptedAfter.get(), "close() keeps the interrupt status");
            assertThrows(IllegalStateException.class, r::error);
            buf.fill((byte) '#');
            pipe.write(new byte[] {'y', 'y', 'y', 'y'});
            Thread.sleep(100);
            assertTrue(allBytes(buf, (byte) '#'), "the buffer is not written after close() returned");
            System.out.printf("interrupt [%s]: close() of a waiting block %s, kept the status, buffer untouched after%n",
                    name, waitedForTheRead ? "waited for the read despite the interrupt" : "canceled it at once");
        }
    }

    /**
     * Already interrupted when it calls: {@code aioSuspend} throws {@code EINTR} at once;
     * {@code LIO_WAIT} queues its operations, then throws {@code EINTR}; both keep the status.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jaio.reliability.EngineUnderTest#names")
    void callsOfAnAlreadyInterruptedThread(String name) throws Exception {
        try (AioEngine engine = EngineUnderTest.open(name); Arena arena = Arena.ofShared(); Pipe pipe = Pipe.open();
                AioRead r = new AioRead(engine, pipe.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
                AioRead r2 = new AioRead(engine, pipe.readFd(), 0, arena.allocate(1), 0, SigevNotify.none())) {
            r.submit();
            Thread.currentThread().interrupt();
            try {
                AioException e = assertThrows(AioException.class, () -> Aio.aioSuspend(List.of(r), null));
                assertEquals(Errno.EINTR, e.errno());
                assertTrue(Thread.currentThread().isInterrupted());
                AioException e2 = assertThrows(AioException.class,
                        () -> Aio.lioListio(LioMode.LIO_WAIT, List.of(r2), SigevNotify.none()));
                assertEquals(Errno.EINTR, e2.errno());
                assertTrue(e2.notQueued().isEmpty());
                assertTrue(r2.inProgress(), "LIO_WAIT queued it before it noticed the interrupt");
                assertTrue(Thread.currentThread().isInterrupted());
            } finally {
                Thread.interrupted();
            }
            pipe.write(new byte[] {1, 2});
            Waits.untilComplete(List.of(r, r2));
            assertEquals(1, r.aioReturn());
            assertEquals(1, r2.aioReturn());
        }
    }

    /**
     * {@code AioEngine.close()} called by an interrupted thread with a read waiting and writes in
     * flight: it drains everything all the same and keeps the interrupt status.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jaio.reliability.EngineUnderTest#names")
    void engineCloseByAnInterruptedThread(String name) throws Exception {
        AioEngine engine = EngineUnderTest.open(name);
        try (Arena arena = Arena.ofShared(); Pipe pipe = Pipe.open(); AioFile f = AioFile.tempfile()) {
            AioRead r = new AioRead(engine, pipe.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
            r.submit();
            List<AioWrite> writes = new ArrayList<>();
            for (int i = 0; i < 256; i++) {
                writes.add(AioWrite.of(engine, f.fd(), (long) i * BLOCK, BlockPattern.bytes((long) i * BLOCK, 1, BLOCK),
                        0, SigevNotify.none()));
            }
            Aio.lioListio(LioMode.LIO_NOWAIT, writes, SigevNotify.none());
            AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread t = Thread.ofPlatform().name("interrupted-closer").start(() -> {
                Thread.currentThread().interrupt();
                try {
                    engine.close();
                } catch (Throwable e) {
                    failure.set(e);
                }
                interruptedAfter.set(Thread.currentThread().isInterrupted());
            });
            t.join(300);
            pipe.closeWriteEnd();
            Waits.join(t, Duration.ofSeconds(30), "engine.close() by an interrupted thread");
            assertNull(failure.get(), () -> "engine.close() threw " + failure.get());
            assertEquals(Boolean.TRUE, interruptedAfter.get(), "close() keeps the interrupt status");
            assertThrows(IllegalStateException.class, r::error);
            for (AioWrite w : writes) {
                assertThrows(IllegalStateException.class, w::error);
            }
        } finally {
            engine.close();
        }
    }

    /**
     * The thread pool's back-pressure is a wait too: a submitter held back by a full queue and
     * interrupted gets {@code EAGAIN}, its block stays idle with {@code error() == EAGAIN}, and the
     * interrupt status stays set. (Only the threads engine holds submitters back.)
     */
    @org.junit.jupiter.api.Test
    void submitHeldBackByAFullQueueInterrupted() throws Exception {
        // One pipe per read: reads of one pipe keep call order, so all but the first would wait
        // in the pipe's lane instead of filling the queue.
        try (AioEngine engine = EngineUnderTest.open("threads",
                dev.jaio.AioEngineOptions.defaults().withThreads(1).withQueueBound(2));
                Arena arena = Arena.ofShared(); Pipe p0 = Pipe.open(); Pipe p1 = Pipe.open(); Pipe p2 = Pipe.open();
                Pipe p3 = Pipe.open()) {
            List<Pipe> pipes = List.of(p0, p1, p2, p3);
            List<AioRead> reads = new ArrayList<>();
            for (Pipe pipe : pipes) {
                reads.add(new AioRead(engine, pipe.readFd(), 0, arena.allocate(1), 0, SigevNotify.none()));
            }
            for (int i = 0; i < 3; i++) {
                reads.get(i).submit(); // one blocks the only worker, two fill the queue
            }
            Thread.sleep(50);
            AioRead held = reads.get(3);
            Outcome o = interruptWhile("submit", () -> {
                held.submit();
                return null;
            });
            AioException e = assertInstanceOf(AioException.class, o.thrown, "submit held back, interrupted");
            assertEquals(Errno.EAGAIN, e.errno());
            assertTrue(o.interruptedAfter);
            assertFalse(held.inProgress());
            assertEquals(Errno.EAGAIN, held.error());
            pipes.forEach(Pipe::closeWriteEnd);
            Waits.untilComplete(reads.subList(0, 3));
            for (AioRead r : reads.subList(0, 3)) {
                assertEquals(0, r.aioReturn());
            }
            held.submit(); // and it can be submitted again
            Waits.untilComplete(List.of(held));
            assertEquals(0, held.aioReturn());
            reads.forEach(AioRead::close);
        }
    }

    /**
     * The same back-pressure on a descriptor that keeps call order: the held-back read heads its
     * pipe's lane and another read of that pipe waits behind it. Interrupted, the held-back one
     * gets {@code EAGAIN} at once, and the read behind it is queued in its place (it would
     * otherwise wait in the lane for ever): it completes once the worker is free.
     */
    @org.junit.jupiter.api.Test
    void laneHeadHeldBackByAFullQueueInterruptedHandsOn() throws Exception {
        try (AioEngine engine = EngineUnderTest.open("threads",
                dev.jaio.AioEngineOptions.defaults().withThreads(1).withQueueBound(1));
                Arena arena = Arena.ofShared(); Pipe blocking = Pipe.open(); Pipe filling = Pipe.open();
                Pipe laned = Pipe.open()) {
            AioRead blocker = new AioRead(engine, blocking.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
            AioRead filler = new AioRead(engine, filling.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
            AioRead held = new AioRead(engine, laned.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
            AioRead behind = new AioRead(engine, laned.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
            blocker.submit();
            Thread.sleep(50); // the only worker takes it and blocks
            filler.submit(); // the queue (bound 1) is full
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread submitter = Thread.ofPlatform().name("held-lane-head").start(() -> {
                try {
                    held.submit();
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            long deadline = System.nanoTime() + Waits.PATIENCE.toNanos();
            while (submitter.getState() != Thread.State.WAITING) { // waits for room, heading its lane
                assertTrue(System.nanoTime() < deadline, "the submitter never waited for room");
                Thread.onSpinWait();
            }
            behind.submit(); // waits in the lane behind held: returns at once
            submitter.interrupt();
            Waits.join(submitter, Waits.PATIENCE, "the interrupted submitter");
            AioException e = assertInstanceOf(AioException.class, thrown.get(), "submit held back, interrupted");
            assertEquals(Errno.EAGAIN, e.errno());
            assertFalse(held.inProgress());
            assertTrue(behind.inProgress());
            laned.write(new byte[] {'b'});
            blocking.write(new byte[] {'x'});
            filling.write(new byte[] {'f'});
            Waits.untilComplete(List.of(blocker, filler, behind));
            assertEquals(1, behind.aioReturn());
            assertEquals('b', behind.buffer().get(JAVA_BYTE, 0));
            assertEquals(1, blocker.aioReturn());
            assertEquals(1, filler.aioReturn());
            List.of(blocker, filler, held, behind).forEach(AioRead::close);
        }
    }

    // ------------------------------------------------------------------ helpers

    /** What a call interrupted by another thread did. */
    private record Outcome(Object returned, Throwable thrown, boolean interruptedAfter, long millisAfterInterrupt) {
    }

    private interface Call {
        Object call() throws Exception;
    }

    /**
     * Runs {@code call} on a new thread, interrupts that thread 100 ms later, and waits (bounded)
     * for the call to end.
     */
    private static Outcome interruptWhile(String what, Call call) throws InterruptedException {
        AtomicReference<Object> returned = new AtomicReference<>();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> interrupted = new AtomicReference<>();
        long[] ended = new long[1];
        Thread t = Thread.ofPlatform().name("interrupted-" + what).start(() -> {
            try {
                returned.set(call.call());
            } catch (Throwable e) {
                thrown.set(e);
            }
            ended[0] = System.nanoTime();
            interrupted.set(Thread.currentThread().isInterrupted());
        });
        Thread.sleep(100);
        long interruptAt = System.nanoTime();
        t.interrupt();
        Waits.join(t, SHORT, what + " after Thread.interrupt()");
        if (thrown.get() == null && returned.get() == null && ended[0] == 0) {
            fail(what + " ended without a result");
        }
        return new Outcome(returned.get(), thrown.get(), Boolean.TRUE.equals(interrupted.get()),
                TimeUnit.NANOSECONDS.toMillis(ended[0] - interruptAt));
    }

    private static long offsetOf(Aio a) {
        return a instanceof AioWrite w ? w.offset() : ((AioRead) a).offset();
    }

    private static boolean allBytes(MemorySegment s, byte b) {
        for (long i = 0; i < s.byteSize(); i++) {
            if (s.get(JAVA_BYTE, i) != b) {
                return false;
            }
        }
        return true;
    }

    private static <T> List<T> concat(List<? extends T> a, List<? extends T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** Writes {@code blocks} blocks of generation {@code generation} through the JDK. */
    static void fill(Path path, int blocks, long generation) throws java.io.IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int b = 0; b < blocks; b++) {
                ByteBuffer bb = ByteBuffer.wrap(BlockPattern.bytes((long) b * BLOCK, generation, BLOCK));
                while (bb.hasRemaining()) {
                    ch.write(bb, (long) b * BLOCK + bb.position());
                }
            }
        }
    }

    static void readFully(FileChannel ch, byte[] into, long offset) throws java.io.IOException {
        ByteBuffer bb = ByteBuffer.wrap(into);
        while (bb.hasRemaining()) {
            if (ch.read(bb, offset + bb.position()) < 0) {
                break;
            }
        }
    }
}
