package dev.jaio;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.contract.Pipe;
import dev.jaio.testing.EngineUnderTest;
import dev.jaio.testing.OnEngine;
import java.lang.foreign.Arena;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The contract on the "posix" engine: the C library's own {@code aio_*} and {@code lio_listio}
 * (on Linux, glibc's user-space thread pool). glibc has no {@code aio_readv}/{@code aio_writev},
 * so this engine refuses vectored blocks (and the contract's vectored transfers are skipped here).
 */
@OnEngine(EngineUnderTest.POSIX)
class PosixEngineContractTest extends AioEngineContract {
    @Test
    @Tag("Engines")
    void isNamedPosix() {
        assertEquals("posix", engine().name());
    }

    /**
     * glibc has no vectored AIO: submit() and lioListio say so with
     * UnsupportedOperationException naming the engine, and leave the blocks idle. A list holding
     * a vectored block is refused as a whole (an unchecked exception means the call did nothing).
     */
    @Test
    @Tag("Vectored")
    void vectoredBlocksAreUnsupportedAndSaySo() throws Exception {
        try (Arena arena = Arena.ofShared(); AioFile f = AioFile.tempfile()) {
            AioWrite plain = new AioWrite(engine(), f.fd(), 0, arena.allocateFrom(JAVA_BYTE,
                    "plain".getBytes(ISO_8859_1)), 0, SigevNotify.none());
            AioReadv readv = new AioReadv(engine(), f.fd(), 0, List.of(arena.allocate(4), arena.allocate(4)), 0,
                    SigevNotify.none());
            AioWritev writev = new AioWritev(engine(), f.fd(), 0, List.of(arena.allocateFrom(JAVA_BYTE,
                    "ab".getBytes(ISO_8859_1))), 0, SigevNotify.none());
            try (plain; readv; writev) {
                for (Aio op : List.<Aio>of(readv, writev)) {
                    assertNamesPosix(assertThrows(UnsupportedOperationException.class, op::submit));
                    assertFalse(op.inProgress());
                    for (LioMode mode : LioMode.values()) {
                        assertNamesPosix(assertThrows(UnsupportedOperationException.class,
                                () -> Aio.lioListio(mode, List.of(op), SigevNotify.none())));
                        assertNamesPosix(assertThrows(UnsupportedOperationException.class,
                                () -> Aio.lioListio(mode, List.of(plain, op), SigevNotify.none())));
                    }
                    assertFalse(op.inProgress());
                }
                Thread.sleep(20);
                assertFalse(plain.inProgress(), "a refused list submits nothing");
                assertEquals(0, f.size());
            }
        }
    }

    /**
     * Waits of virtual threads go through the engine's completion watcher, a platform thread with
     * an eventfd and a wake-up read queued in glibc; closing the engine ends the thread, lets the
     * read complete and closes the eventfd (the memory check of the reliability suite would see a
     * write into the freed aiocb).
     */
    @Test
    @Tag("Engines")
    void closingTheEngineStopsItsWatcherAndClosesItsEventfd() throws Exception {
        long eventfdsBefore = eventfds();
        java.util.Set<Thread> watchersBefore = watchers();
        Thread watcher;
        AioEngine own = AioEngine.open("posix");
        try (Arena arena = Arena.ofShared(); Pipe p = Pipe.open()) {
            AioRead r = new AioRead(own, p.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
            r.submit();
            Thread waiter = Thread.ofVirtual().start(() -> {
                try {
                    Aio.aioSuspend(List.of(r), null);
                } catch (AioException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(100);
            java.util.Set<Thread> started = watchers();
            started.removeAll(watchersBefore);
            assertEquals(1, started.size(), "a virtual thread's wait starts the engine's watcher");
            watcher = started.iterator().next();
            assertEquals(eventfdsBefore + 1, eventfds(), "the watcher's eventfd");
            p.write(new byte[] {'x'});
            waiter.join(PATIENCE);
            assertFalse(waiter.isAlive());
            assertEquals(1, r.aioReturn());
            r.close();
        } finally {
            own.close();
        }
        assertFalse(watcher.isAlive(), "the watcher ends with its engine");
        assertEquals(eventfdsBefore, eventfds(), "its eventfd is closed");
    }

    private static java.util.Set<Thread> watchers() {
        java.util.Set<Thread> out = new java.util.HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("jaio-posix-watcher-") && t.isAlive()) {
                out.add(t);
            }
        }
        return out;
    }

    /** Open eventfds of this process (the shared engine's watcher may hold one throughout). */
    private static long eventfds() throws java.io.IOException {
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return java.nio.file.Files.readSymbolicLink(fd).toString().equals("anon_inode:[eventfd]");
                } catch (java.io.IOException gone) {
                    return false;
                }
            }).count();
        }
    }

    private static void assertNamesPosix(UnsupportedOperationException e) {
        assertTrue(String.valueOf(e.getMessage()).contains("posix"), () -> "should name the engine: " + e);
    }

    // ---------------------------------------------------------------- the engine's own queues

    /**
     * Four reads of an empty pipe queued behind a blocked one: glibc holds the blocked one and the
     * first behind it, the engine's queue the others (see {@code DescriptorQueues}). Canceled in a
     * mixed order, each is only queued, so each answers AIO_CANCELED, completes with ECANCELED and
     * gets its notification once, wherever it waited; the blocked read goes on.
     */
    @Test
    @Tag("Cancel")
    void everyQueuedReadIsCanceledAndNotifiedWhereverItWaits() throws Exception {
        Pipe p = pipe();
        List<AioRead> running = occupyWithBlockedReads(p);
        java.util.concurrent.ConcurrentLinkedQueue<Long> notified = new java.util.concurrent.ConcurrentLinkedQueue<>();
        List<AioRead> queued = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            AioRead r = newRead(p.readFd(), 0, 4, SigevNotify.thread(i, notified::add));
            r.submit();
            queued.add(r);
        }
        assertStaysInProgress(queued.getLast());
        for (int i : new int[] {1, 0, 3, 2}) {
            assertEquals(AioCancelStat.AIO_CANCELED, queued.get(i).cancel(), "queued read " + i);
            assertEquals(Errno.ECANCELED, queued.get(i).error(), "queued read " + i);
        }
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (notified.size() < 4 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(50);
        assertEquals(java.util.Set.of(0L, 1L, 2L, 3L), java.util.Set.copyOf(notified), "one notification each");
        assertEquals(4, notified.size(), "one notification each, once");
        for (AioRead r : queued) {
            assertAioException(Errno.ECANCELED, r::aioReturn);
            assertEquals("....", str(r.buffer()));
        }
        assertEquals(Errno.EINPROGRESS, running.getFirst().error(), "the blocked read goes on");
        p.write("wxyz".repeat(running.size()).getBytes(ISO_8859_1));
        for (AioRead r : running) {
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
        }
    }

    /**
     * aioCancelAll on a descriptor with reads waiting in the engine's queue and in glibc's: the
     * blocked one is not canceled (AIO_NOTCANCELED), every other one is, wherever it waited.
     */
    @Test
    @Tag("Cancel")
    void aioCancelAllCancelsWhatWaitsInTheEnginesQueueToo() throws Exception {
        Pipe p = pipe();
        List<AioRead> running = occupyWithBlockedReads(p);
        List<AioRead> queued = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            AioRead r = newRead(p.readFd(), 0, 4);
            r.submit();
            queued.add(r);
        }
        assertStaysInProgress(queued.getLast());
        assertEquals(AioCancelStat.AIO_NOTCANCELED, engine().aioCancelAll(p.readFd()), "the blocked read runs");
        for (AioRead r : queued) {
            assertEquals(Errno.ECANCELED, r.error(), r.toString());
            assertAioException(Errno.ECANCELED, r::aioReturn);
        }
        p.write("wxyz".repeat(running.size()).getBytes(ISO_8859_1));
        for (AioRead r : running) {
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
        }
    }

    /**
     * Reads queued in the engine (more than glibc is given per descriptor) run when the ones ahead
     * complete even if nobody polls or waits: their notifications arrive though the test only
     * waits for them. (The engine's pump moves the queue on.)
     */
    @Test
    @Tag("Notification")
    void queuedReadsRunWhenNobodyPollsOrWaits() throws Exception {
        Pipe p = pipe();
        int n = 6;
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(n);
        List<AioRead> reads = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            AioRead r = newRead(p.readFd(), 0, 4, SigevNotify.thread(i, v -> done.countDown()));
            r.submit();
            reads.add(r);
        }
        p.write("wxyz".repeat(n).getBytes(ISO_8859_1));
        assertTrue(done.await(10, java.util.concurrent.TimeUnit.SECONDS),
                "reads still queued with nobody polling: " + done.getCount() + " of " + n + " never completed");
        for (AioRead r : reads) {
            assertEquals(4, r.aioReturn());
            assertEquals("wxyz", str(r.buffer()));
        }
    }

    /**
     * A LIO_NOWAIT list of four reads of one pipe: two go to glibc, two wait in the engine, so the
     * engine delivers the list's notification itself; it fires once, only after all four
     * completed.
     */
    @Test
    @Tag("Notification")
    void aListPartlyQueuedInTheEngineNotifiesOnceAfterAllItsReads() throws Exception {
        Pipe p = pipe();
        java.util.concurrent.atomic.AtomicInteger fired = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger doneWhenFired = new java.util.concurrent.atomic.AtomicInteger(-1);
        List<AioRead> reads = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            reads.add(newRead(p.readFd(), 0, 4));
        }
        engine().lioListio(LioMode.LIO_NOWAIT, reads, SigevNotify.thread(7, v -> {
            // How many of the list's reads were over when the notification came: all four, or it came early.
            doneWhenFired.set((int) reads.stream().filter(r -> r.error() != Errno.EINPROGRESS).count());
            fired.incrementAndGet();
        }));
        p.write("wxyzwxyz".getBytes(ISO_8859_1));
        assertEquals(Errno.SUCCESS, poll(reads.get(1)));
        Thread.sleep(100);
        p.write("wxyzwxyz".getBytes(ISO_8859_1));
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (fired.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(50);
        assertEquals(1, fired.get(), "the list's notification, once");
        assertEquals(4, doneWhenFired.get(), "reads of the list over when its notification came");
        for (AioRead r : reads) {
            assertEquals(Errno.SUCCESS, r.error());
            assertEquals(4, r.aioReturn());
        }
    }

    /**
     * Closing an engine with reads waiting in its own queue: the close cancels them, waits for the
     * blocked one (fed by another thread), frees everything and returns.
     */
    @Test
    @Tag("Engines")
    void closingTheEngineWithReadsInItsOwnQueueCancelsThemAndReturns() throws Exception {
        Pipe p = pipe();
        List<AioRead> reads = new java.util.ArrayList<>();
        try (AioEngine own = AioEngine.open("posix"); Arena a = Arena.ofShared()) {
            for (int i = 0; i < 5; i++) {
                AioRead r = new AioRead(own, p.readFd(), 0, a.allocate(4), 0, SigevNotify.none());
                r.submit();
                reads.add(r);
            }
            assertStaysInProgress(reads.getLast());
            Thread feeder = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    return;
                }
                p.write("wxyz".getBytes(ISO_8859_1));
            });
            // On a thread of its own, so that a close that never returns fails the test instead of hanging it.
            Thread closer = Thread.ofPlatform().daemon().start(own::close);
            closer.join(java.time.Duration.ofSeconds(20));
            assertFalse(closer.isAlive(), "the engine's close() did not return within 20 s");
            feeder.join();
        }
        for (AioRead r : reads) {
            assertThrows(IllegalStateException.class, r::error, "closed with its engine");
        }
    }
}
