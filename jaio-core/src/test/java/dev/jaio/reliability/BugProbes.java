package dev.jaio.reliability;

import dev.jaio.Aio;
import dev.jaio.AioEngine;
import dev.jaio.AioEngineOptions;
import dev.jaio.AioFile;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.AioCancelStat;
import dev.jaio.contract.Pipe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Child-JVM probes for {@link BugRegressionTest}, for bugs that wrote memory they should not or
 * left libc with requests for ever: each prints what it saw and exits 0 when the library
 * behaved, 1 when the bug showed, 2 when the probe could not run.
 */
public final class BugProbes {
    private BugProbes() {
    }

    public static void main(String[] args) throws Exception {
        int status = switch (args[0]) {
            case "io_uring-huge-buffer" -> ioUringHugeBuffer();
            case "posix-cancel-strands" -> posixCancelStrands();
            case "posix-cancel-behind-a-waiting-head" -> posixCancelBehindAWaitingHead();
            case "close-while-engine-closes" -> closeWhileEngineCloses(args[1]);
            default -> 2;
        };
        System.out.flush();
        Runtime.getRuntime().halt(status);
    }

    @SuppressWarnings("restricted")
    private static MemorySegment hugeAtAddressZero() {
        return MemorySegment.NULL.reinterpret(5L << 30);
    }

    /**
     * A ring of four entries: write OLD at 0, write NEW at 0, two reads, then a read into a 5 GiB
     * buffer (address 0, so no memory can be hit) whose entry is the one OLD used; then one more
     * read, which submits whatever is queued. The file must hold NEW, and close() must return.
     */
    private static int ioUringHugeBuffer() throws Exception {
        boolean bug = false;
        AioEngine engine = AioEngine.open("io_uring", AioEngineOptions.defaults().withQueueDepth(4));
        try (Arena arena = Arena.ofShared(); AioFile f = AioFile.tempfile()) {
            AioWrite old = AioWrite.of(engine, f.fd(), 0, "OLD!".getBytes(), 0, SigevNotify.none());
            AioWrite neu = AioWrite.of(engine, f.fd(), 0, "NEW!".getBytes(), 0, SigevNotify.none());
            AioRead r1 = new AioRead(engine, f.fd(), 0, arena.allocate(4), 0, SigevNotify.none());
            AioRead r2 = new AioRead(engine, f.fd(), 0, arena.allocate(4), 0, SigevNotify.none());
            for (Aio a : List.of(old, neu, r1, r2)) {
                Aio.lioListio(LioMode.LIO_WAIT, List.of(a), SigevNotify.none());
                a.aioReturn();
            }
            AioRead huge = new AioRead(engine, f.fd(), 0, hugeAtAddressZero(), 0, SigevNotify.none());
            try {
                huge.submit();
                Waits.untilComplete(List.of(huge));
                System.out.println("huge read: " + huge.error() + (huge.error() == Errno.SUCCESS ? " " + huge.aioReturn() : ""));
                if (huge.inProgress()) {
                    try {
                        huge.aioReturn();
                    } catch (dev.jaio.AioException expected) {
                        System.out.println("huge read failed with " + expected.errno() + " (documented)");
                    }
                }
            } catch (IllegalArgumentException e) {
                bug = true;
                System.out.println("BUG: submit() of a 5 GiB read threw IllegalArgumentException: " + e.getMessage());
            }
            AioRead check = new AioRead(engine, f.fd(), 0, arena.allocate(4), 0, SigevNotify.none());
            Aio.lioListio(LioMode.LIO_WAIT, List.of(check), SigevNotify.none());
            check.aioReturn();
            Thread.sleep(200);
            byte[] now = java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/self/fd/" + f.fd()));
            String content = new String(now, 0, 4, java.nio.charset.StandardCharsets.US_ASCII);
            System.out.println("file holds " + content + " (NEW! was the last write acknowledged)");
            if (!content.equals("NEW!")) {
                bug = true;
                System.out.println("BUG: an old write was run again by the kernel: the file went back to " + content);
            }
        }
        Thread closer = Thread.ofPlatform().daemon().start(engine::close);
        closer.join(10_000);
        if (closer.isAlive()) {
            bug = true;
            System.out.println("BUG: engine.close() did not return in 10 s (in-flight count never reaches zero)");
        } else {
            System.out.println("engine.close() returned");
        }
        return bug ? 1 : 0;
    }

    /**
     * Bug 3: glibc's worker threads (20) are all kept busy with reads of empty pipes, so a write A
     * on a file waits at the head of that file's queue, with write B behind it. Canceling A must
     * not strand B: once the pipes are fed, B must complete.
     */
    private static int posixCancelStrands() throws Exception {
        AioEngine engine = AioEngine.open("posix");
        List<Pipe> pipes = new ArrayList<>();
        List<AioRead> blockers = new ArrayList<>();
        try (Arena arena = Arena.ofShared(); AioFile f = AioFile.tempfile()) {
            for (int i = 0; i < 24; i++) {
                Pipe p = Pipe.open();
                pipes.add(p);
                AioRead r = new AioRead(engine, p.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
                r.submit();
                blockers.add(r);
            }
            Thread.sleep(300); // glibc starts its threads; each blocks in read()
            AioWrite a = AioWrite.of(engine, f.fd(), 0, "AAAA".getBytes(), 0, SigevNotify.none());
            AioWrite b = AioWrite.of(engine, f.fd(), 4, "BBBB".getBytes(), 0, SigevNotify.none());
            a.submit();
            b.submit();
            AioCancelStat stat = a.cancel();
            System.out.println("cancel of A (queued at the head of the file's queue): " + stat);
            for (Pipe p : pipes) {
                p.write(new byte[] {1});
            }
            Waits.untilComplete(blockers);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (b.error() == Errno.EINPROGRESS && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Errno bState = b.error();
            System.out.println("B, queued behind A, after the pipes were fed and 5 s: " + bState);
            if (bState == Errno.EINPROGRESS) {
                System.out.println("BUG: canceling A stranded B: glibc never runs it (stays EINPROGRESS)");
                Runtime.getRuntime().halt(1); // B's aiocb stays glibc's for ever; do not free it
            }
            Waits.untilComplete(List.of(a));
            System.out.println("A ended with " + a.error() + ", B with " + bState);
            return 0;
        } finally {
            for (Pipe p : pipes) {
                p.close();
            }
        }
    }

    /**
     * Bug 10 (issue 9 item 6): as bug 3, with glibc's threads all blocked, A, B and C are written
     * to one file, so A heads its queue waiting for a worker. B and C are only queued: canceling
     * each must answer AIO_CANCELED (B is the second request glibc holds, C waits in the engine's
     * own queue), and must strand nothing: once the pipes are fed, A completes and the engine
     * closes. Exit 1 if a cancel answers otherwise or anything stays in progress.
     */
    private static int posixCancelBehindAWaitingHead() throws Exception {
        AioEngine engine = AioEngine.open("posix");
        List<Pipe> pipes = new ArrayList<>();
        List<AioRead> blockers = new ArrayList<>();
        try (Arena arena = Arena.ofShared(); AioFile f = AioFile.tempfile()) {
            for (int i = 0; i < 24; i++) {
                Pipe p = Pipe.open();
                pipes.add(p);
                AioRead r = new AioRead(engine, p.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
                r.submit();
                blockers.add(r);
            }
            Thread.sleep(300); // glibc starts its threads; each blocks in read()
            AioWrite a = AioWrite.of(engine, f.fd(), 0, "AAAA".getBytes(), 0, SigevNotify.none());
            AioWrite b = AioWrite.of(engine, f.fd(), 4, "BBBB".getBytes(), 0, SigevNotify.none());
            AioWrite c = AioWrite.of(engine, f.fd(), 8, "CCCC".getBytes(), 0, SigevNotify.none());
            a.submit();
            b.submit();
            c.submit();
            AioCancelStat sc = c.cancel();
            AioCancelStat sb = b.cancel();
            System.out.println("cancel of C (in the engine's queue): " + sc + "; of B (second in glibc, behind a"
                    + " waiting A): " + sb);
            for (Pipe p : pipes) {
                p.write(new byte[] {1});
            }
            Waits.untilComplete(blockers);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (a.error() == Errno.EINPROGRESS && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Errno aState = a.error();
            System.out.println("A after the pipes were fed: " + aState + ", B: " + b.error() + ", C: " + c.error());
            if (aState == Errno.EINPROGRESS) {
                System.out.println("BUG: A stays EINPROGRESS");
                Runtime.getRuntime().halt(1); // its aiocb stays glibc's for ever; do not free it
            }
            boolean bug = sc != AioCancelStat.AIO_CANCELED || sb != AioCancelStat.AIO_CANCELED
                    || b.error() != Errno.ECANCELED || c.error() != Errno.ECANCELED;
            if (bug) {
                System.out.println("BUG: a cancel of an operation only queued did not cancel it");
            }
            engine.close();
            return bug ? 1 : 0;
        } finally {
            for (Pipe p : pipes) {
                p.close();
            }
        }
    }

    /**
     * Bug 4: a block whose read waits (on an engine that cannot cancel a running read) is closed
     * while its engine is closing. Its close() must not return before the read ended, and nothing
     * may write its buffer afterwards.
     */
    private static int closeWhileEngineCloses(String name) throws Exception {
        AioEngine engine = AioEngine.open(name, AioEngineOptions.defaults().withThreads(2));
        try (Arena arena = Arena.ofShared(); Pipe pipe = Pipe.open()) {
            MemorySegment buf = arena.allocate(1);
            AioRead r = new AioRead(engine, pipe.readFd(), 0, buf, 0, SigevNotify.none());
            r.submit();
            Thread.sleep(100);
            Thread closer = Thread.ofPlatform().start(engine::close);
            Thread.sleep(200); // the engine is closed now, and waits for the read
            Thread feeder = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
                pipe.write(new byte[] {'x'});
            });
            long t0 = System.nanoTime();
            r.close();
            long millis = (System.nanoTime() - t0) / 1_000_000;
            buf.fill((byte) '#');
            feeder.join();
            closer.join(10_000);
            Thread.sleep(200);
            boolean touched = buf.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) != '#';
            System.out.println(name + ": close() of the waiting block returned after " + millis + " ms; buffer "
                    + (touched ? "WRITTEN after close() returned" : "untouched after close()") + "; engine close "
                    + (closer.isAlive() ? "still running" : "returned"));
            if (touched || closer.isAlive()) {
                System.out.println("BUG: close() of a block returned while its I/O still ran (its engine was closing)");
                return 1;
            }
            return 0;
        }
    }
}
