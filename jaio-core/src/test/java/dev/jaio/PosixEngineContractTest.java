package dev.jaio;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.contract.Pipe;
import java.lang.foreign.Arena;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract on the "posix" engine: the C library's own {@code aio_*} and {@code lio_listio}
 * (on Linux, glibc's user-space thread pool). glibc has no {@code aio_readv}/{@code aio_writev},
 * so this engine refuses vectored blocks.
 */
class PosixEngineContractTest extends AioEngineContract {
    private static AioEngine engine;

    @BeforeAll
    static void openEngine() throws Exception {
        engine = AioEngine.open("posix");
    }

    @AfterAll
    static void closeEngine() throws Exception {
        if (engine != null) {
            engine.close();
        }
    }

    @Override
    protected AioEngine engine() {
        return engine;
    }

    @Override
    protected boolean supportsVectored() {
        return false;
    }

    @Test
    void isNamedPosix() {
        assertEquals("posix", engine().name());
    }

    /**
     * glibc has no vectored AIO: submit() and lioListio say so with
     * UnsupportedOperationException naming the engine, and leave the blocks idle. A list holding
     * a vectored block is refused as a whole (an unchecked exception means the call did nothing).
     */
    @Test
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

    /**
     * glibc 2.36 strands a descriptor's queue when the request canceled heads it while waiting for
     * a worker and another is queued behind it, and whether an operation still is not the head
     * cannot be known race-free from outside glibc (see {@code DescriptorQueues}): the posix
     * engine cancels only an operation with nothing queued behind it. Of three reads of an empty
     * pipe, the second answers AIO_NOTCANCELED and runs to its end; the third is canceled.
     */
    @Test
    @Override
    void cancelOfReadsQueuedBehindTheFirstOfThreeOnAnEmptyPipe() throws Exception {
        Pipe p = pipe();
        List<AioRead> running = occupyWithBlockedReads(p);
        AioRead second = newRead(p.readFd(), 0, 4);
        AioRead third = newRead(p.readFd(), 0, 4);
        second.submit();
        third.submit();
        assertStaysInProgress(third);
        assertEquals(AioCancelStat.AIO_NOTCANCELED, second.cancel(), "the second of three, with one behind it");
        assertEquals(Errno.EINPROGRESS, second.error());
        assertEquals(AioCancelStat.AIO_CANCELED, third.cancel(), "the third of three, the last one queued");
        assertEquals(Errno.ECANCELED, third.error());
        assertAioException(Errno.ECANCELED, third::aioReturn);
        assertEquals("....", str(third.buffer()));
        p.write("wxyz".repeat(running.size() + 1).getBytes(ISO_8859_1));
        for (AioRead r : running) {
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
        }
        assertEquals(Errno.SUCCESS, poll(second), "the second ran to its end");
        assertEquals(4, second.aioReturn());
        assertEquals("wxyz", str(second.buffer()));
    }

    /** As above: the middle of three queued reads is not canceled on posix, and nothing strands. */
    @Test
    @Override
    void cancelOfAMiddleQueuedReadLeavesTheOneBehindItToRun() throws Exception {
        Pipe p = pipe();
        List<AioRead> running = occupyWithBlockedReads(p);
        AioRead middle = newRead(p.readFd(), 0, 4);
        AioRead last = newRead(p.readFd(), 0, 4);
        middle.submit();
        last.submit();
        assertStaysInProgress(last);
        assertEquals(AioCancelStat.AIO_NOTCANCELED, middle.cancel());
        p.write("wxyz".repeat(running.size() + 2).getBytes(ISO_8859_1));
        for (AioRead r : running) {
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
        }
        assertEquals(Errno.SUCCESS, poll(middle));
        assertEquals(4, middle.aioReturn());
        assertEquals(Errno.SUCCESS, poll(last), "the read behind the middle one must run");
        assertEquals(4, last.aioReturn());
        assertEquals("wxyz", str(last.buffer()));
    }
}
