package dev.jaio;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jaio.contract.Pipe;
import dev.jaio.contract.Usr2;
import dev.jaio.testing.EngineUnderTest;
import dev.jaio.testing.OnEngine;
import dev.jaio.testing.OneEnginePerClass;
import dev.jaio.testing.TestedEngine;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The contract every jaio engine must pass, written from {@code docs/API.md}, the lead's decisions
 * where it is silent, nix's {@code test_aio.rs} and glibc's behaviour; it knows nothing of any
 * engine's insides. Each engine has a concrete subclass that only names its engine, for example
 * {@code @OnEngine(EngineUnderTest.IO_URING) class UringEngineContractTest extends
 * AioEngineContract}, and adds the tests of what only that engine promises. {@link
 * OneEnginePerClass} opens the engine once for the subclass, hands it to each test through {@link
 * #engine()} and closes it after the last; every block here is built with the constructor overload
 * that takes the engine, so one suite runs on every engine. Where engines may differ, a test asks
 * {@link EngineUnderTest} ({@link #supportsVectored()}, {@link #parallelOperationsPerDescriptor()})
 * instead of being overridden.
 *
 * <p>The tests are grouped by the promise they check, one {@code @Nested} class per group ({@link
 * Engines}, {@link OpeningFiles}, {@link ReadsAndWrites}, {@link Vectored}, {@link Fsync}, {@link
 * BuffersAndArenas}, {@link BlockLifecycle}, {@link Priorities}, {@link Lists}, {@link ListErrors},
 * {@link Waiting}, {@link VirtualThreads}, {@link Cancel}, {@link CallOrder}, {@link Notification},
 * {@link SelfReapingBlocks}, {@link GarbageCollector}, {@link ThreadSafety}); the groups are
 * inherited, so each runs once per engine subclass, on that subclass's engine, and a subclass's
 * own tests carry the tag of the group they add to. The tag is how one group runs alone, on one
 * engine or on all three ({@code -Dgroups=Cancel}); one test runs with the engine's class and the
 * groups named together, since Surefire matches a test by the class that declares it ({@code
 * AioEngineContract$Cancel}) and {@code -Dtest=UringEngineContractTest#nix05*} alone finds nothing:
 * <pre>{@code
 * nice -n 15 ./mvnw -B -pl jaio-core test -Dtest=UringEngineContractTest -Dgroups=Cancel
 * nice -n 15 ./mvnw -B -pl jaio-core test -Dtest='*EngineContractTest' -Dgroups=Cancel
 * nice -n 15 ./mvnw -B -pl jaio-core test -Dtest='UringEngineContractTest#nix05*,AioEngineContract*#nix05*'
 * }</pre>
 * For the same reason Surefire's progress lines count a group's tests {@code in
 * dev.jaio.AioEngineContract$Cancel}, after a {@code Running dev.jaio.UringEngineContractTest}
 * line; the report file ({@code TEST-dev.jaio.UringEngineContractTest.xml}) and the list of
 * failures at the end name the engine's class.
 *
 * <p>Test names say where a case comes from: {@code seed*} are the three {@code lio_listio}
 * examples of the seed document, {@code nix*} are ports of nix's tests (numbered as in
 * {@code nix-aio-and-glibc.md} §3), and the rest test the API's rules, its misuse and failure
 * paths, waiting, cancelation, notification, reuse, closing and the garbage collector.
 *
 * <p>Operations that must stay in flight read an empty {@link Pipe}; each test's pipes, blocks,
 * files and native memory are released after it in a safe order (pipe write ends first, so that
 * waiting reads finish; then blocks, whose {@code close()} waits for their I/O; then memory).
 * Every wait is bounded: the class-level timeout, which holds for the groups too, runs each test in
 * its own thread and abandons it when it hangs. (So submitting threads end after each test while
 * their I/O may still be in flight, which an engine must survive: io_uring cancels the requests of
 * an exiting thread.)
 *
 * <p>Where glibc (the posix engine, "the faithful reference for semantics") differs from the
 * FreeBSD behaviour nix's tests were written for, the test asserts what glibc does and says why.
 */
@ExtendWith(OneEnginePerClass.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public abstract class AioEngineContract {
    /** nix's {@code INITIAL}: the content of most test files. */
    static final String INITIAL = "abcdef123456";
    /** How long any single wait in this suite may take before the test fails. */
    static final Duration PATIENCE = Duration.ofSeconds(10);
    /** A descriptor number that no test opens (checked by {@link #unusedFd()}). */
    static final int UNUSED_FD = 10_000;

    private TestedEngine tested;

    /** For the engine subclasses, which say which engine they test with {@link OnEngine}. */
    protected AioEngineContract() {
    }

    @BeforeEach
    void takeTheEngineOfThisClass(TestedEngine tested) {
        this.tested = tested;
    }

    /** The engine under test: opened for the subclass, shared by all of its tests and groups. */
    protected final AioEngine engine() {
        return tested.engine();
    }

    /** Whether the engine does {@link AioReadv}/{@link AioWritev}; the posix engine on glibc does not. */
    final boolean supportsVectored() {
        return tested.kind().supportsVectored();
    }

    /** See {@link EngineUnderTest#parallelOperationsPerDescriptor()}. */
    final int parallelOperationsPerDescriptor() {
        return tested.kind().parallelOperationsPerDescriptor();
    }

    // ------------------------------------------------------------------------------------------
    // Per-test resources, released in a safe order
    // ------------------------------------------------------------------------------------------

    private final Arena arena = Arena.ofShared();
    private final Deque<Aio> blocks = new ArrayDeque<>();
    private final List<Pipe> pipes = new ArrayList<>();
    private final List<AioFile> files = new ArrayList<>();
    private final List<Path> paths = new ArrayList<>();

    @AfterEach
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void releaseTestResources() throws Exception {
        List<Throwable> failures = new ArrayList<>();
        for (Pipe p : pipes) {
            attempt(failures, p::closeWriteEnd); // reads still waiting on a pipe now see end of file
        }
        for (Aio b : blocks) {
            attempt(failures, b::close); // waits for any I/O still in flight
        }
        for (Pipe p : pipes) {
            attempt(failures, p::close);
        }
        for (AioFile f : files) {
            attempt(failures, f::close);
        }
        for (Path p : paths.reversed()) {
            attempt(failures, () -> Files.deleteIfExists(p));
        }
        attempt(failures, arena::close); // only now: nothing can touch the buffers any more
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError("releasing the test's resources failed");
            failures.forEach(e::addSuppressed);
            throw e;
        }
    }

    interface Step {
        void run() throws Exception;
    }

    private static void attempt(List<Throwable> failures, Step step) {
        try {
            step.run();
        } catch (Throwable t) {
            failures.add(t);
        }
    }

    /** Registers a block to be closed after the test. */
    <T extends Aio> T track(T block) {
        blocks.push(block);
        return block;
    }

    AioFile tempfile() throws IOException {
        AioFile f = AioFile.tempfile();
        files.add(f);
        return f;
    }

    AioFile tempfileWith(String content) throws IOException {
        AioFile f = tempfile();
        writeFile(f.fd(), content.getBytes(ISO_8859_1));
        return f;
    }

    Pipe pipe() {
        Pipe p = Pipe.open();
        pipes.add(p);
        return p;
    }

    Path tempDir() throws IOException {
        Path dir = Files.createTempDirectory("jaio-contract");
        paths.add(dir);
        return dir;
    }

    MemorySegment segment(String s) {
        return arena.allocateFrom(JAVA_BYTE, s.getBytes(ISO_8859_1));
    }

    /** A buffer filled with {@code '.'}, so that a read which did not happen shows. */
    MemorySegment buffer(long size) {
        return arena.allocate(size).fill((byte) '.');
    }

    AioRead newRead(int fd, long offset, int length) {
        return track(new AioRead(engine(), fd, offset, buffer(length), 0, SigevNotify.none()));
    }

    AioRead newRead(int fd, long offset, int length, SigevNotify notify) {
        return track(new AioRead(engine(), fd, offset, buffer(length), 0, notify));
    }

    AioWrite newWrite(int fd, long offset, String data) {
        return track(new AioWrite(engine(), fd, offset, segment(data), 0, SigevNotify.none()));
    }

    AioWrite newWrite(int fd, long offset, String data, SigevNotify notify) {
        return track(new AioWrite(engine(), fd, offset, segment(data), 0, notify));
    }

    AioWrite newWrite(int fd, long offset, String data, int priority) {
        return track(new AioWrite(engine(), fd, offset, segment(data), priority, SigevNotify.none()));
    }

    // ------------------------------------------------------------------------------------------
    // Small helpers
    // ------------------------------------------------------------------------------------------

    static String str(MemorySegment s) {
        return new String(s.toArray(JAVA_BYTE), ISO_8859_1);
    }

    static Path procFd(int fd) {
        return Path.of("/proc/self/fd/" + fd);
    }

    /** The whole file behind {@code fd}, read with plain Java I/O, not through jaio. */
    static byte[] readFile(int fd) throws IOException {
        return Files.readAllBytes(procFd(fd));
    }

    static String fileContent(AioFile f) throws IOException {
        return new String(readFile(f.fd()), ISO_8859_1);
    }

    /** Replaces the whole file behind {@code fd} with {@code data}, with plain Java I/O. */
    static void writeFile(int fd, byte[] data) throws IOException {
        try (FileChannel ch = FileChannel.open(procFd(fd), StandardOpenOption.WRITE)) {
            ch.truncate(0);
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                ch.write(b, b.position());
            }
        }
    }

    /** A descriptor that is certainly not open in this process (so I/O on it fails with EBADF). */
    static int unusedFd() {
        assumeFalse(Files.exists(procFd(UNUSED_FD), LinkOption.NOFOLLOW_LINKS),
                "descriptor " + UNUSED_FD + " happens to be open");
        return UNUSED_FD;
    }

    /**
     * nix's {@code poll_aio!}: sleeps until {@code error()} stops saying EINPROGRESS and returns
     * what it says then. It uses no jaio waiting primitive, so a bug there cannot hide here.
     */
    static Errno poll(Aio op) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        Errno e;
        while ((e = op.error()) == Errno.EINPROGRESS) {
            if (System.nanoTime() - deadline > 0) {
                fail("still in progress after " + PATIENCE + ": " + op);
            }
            Thread.sleep(1);
        }
        return e;
    }

    /** Waits with {@link Aio#aioSuspend} until no block of {@code ops} is in progress. */
    static void suspendUntilAllDone(List<? extends Aio> ops) throws Exception {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        for (Aio op : ops) {
            while (op.error() == Errno.EINPROGRESS) {
                if (System.nanoTime() - deadline > 0) {
                    fail("still in progress after " + PATIENCE + ": " + op);
                }
                Aio.aioSuspend(List.of(op), Duration.ofSeconds(1));
            }
        }
    }

    /** Asserts that {@code op} stays in progress for a little while (it waits on a pipe). */
    static void assertStaysInProgress(Aio op) throws InterruptedException {
        Thread.sleep(50);
        assertTrue(op.inProgress(), "inProgress()");
        assertEquals(Errno.EINPROGRESS, op.error(), "error() of an operation waiting on a pipe");
    }

    static AioException assertAioException(Errno expected, Step step) {
        AioException e = assertThrows(AioException.class, step::run);
        assertEquals(expected, e.errno(), () -> "errno of " + e);
        return e;
    }

    static void assertMentionsNativeMemory(IllegalArgumentException e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        assertTrue(m.contains("native") || m.contains("arena"),
                "the message should name the fix (a native segment from an Arena): " + e.getMessage());
    }

    /** Runs {@code body} in a new thread and returns the thread, started. */
    static Thread startThread(String name, Step body, AtomicReference<Throwable> failure) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    static void join(Thread t) throws InterruptedException {
        t.join(PATIENCE.toMillis());
        assertFalse(t.isAlive(), () -> t.getName() + " did not finish within " + PATIENCE);
    }

    /**
     * Runs {@code close} (of a block, or of its engine) in another thread while a read of
     * {@code buf} waits on the empty pipe {@code p}. If close() returns at once, it must have
     * canceled the read: data written afterwards must not reach {@code buf}. If it waits, it must
     * return once the read got data, and afterwards nothing may write to {@code buf} either.
     */
    static void assertCloseNeverLetsThePendingReadTouchItsBufferAfterwards(Pipe p, MemorySegment buf, Step close)
            throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread closer = startThread("closer", close, failure);
        closer.join(200);
        if (!closer.isAlive()) {
            assertEquals(null, failure.get(), "close()");
            p.write("wxyz".getBytes(ISO_8859_1));
            Thread.sleep(100);
            assertEquals("....", str(buf), "close() returned at once, so it must have canceled the read; but the"
                    + " read went on and wrote to the buffer after close() returned");
            return;
        }
        p.write("wxyz".getBytes(ISO_8859_1)); // completes the read that close() waits for
        join(closer);
        assertEquals(null, failure.get(), "close()");
        buf.fill((byte) '#');
        p.write("WXYZ".getBytes(ISO_8859_1));
        Thread.sleep(100);
        assertEquals("####", str(buf), "nothing may write to the buffer once close() returned");
    }

    /**
     * Submits {@link #parallelOperationsPerDescriptor()} reads of the empty pipe {@code p}, which
     * block, and gives the engine time to start them.
     */
    List<AioRead> occupyWithBlockedReads(Pipe p) throws Exception {
        List<AioRead> running = new ArrayList<>();
        for (int i = 0; i < parallelOperationsPerDescriptor(); i++) {
            AioRead r = newRead(p.readFd(), 0, 4);
            r.submit();
            running.add(r);
        }
        Thread.sleep(50);
        for (AioRead r : running) {
            assertEquals(Errno.EINPROGRESS, r.error());
        }
        return running;
    }

    /** A seed for a randomized test, printed with how to repeat the run. */
    long seed(String test) {
        long seed = Long.getLong("jaio.test.seed", System.nanoTime());
        System.out.println(getClass().getSimpleName() + "." + test + " seed=" + seed + " (rerun with -Djaio.test.seed="
                + seed + ")");
        return seed;
    }

    // ------------------------------------------------------------------------------------------
    // The contract, one @Nested group per promise (each runs on the engine of the subclass)
    // ------------------------------------------------------------------------------------------

    /**
     * AioEngine itself: {@code open} gives private instances of an engine it knows, {@code
     * defaultEngine()} is one engine that cannot be closed, and closing an engine refuses new work,
     * cancels and drains what is in flight, then frees it, even while a submit is under way. (And
     * first, that the groups of this suite run on the engine their class names.)
     */
    @Nested
    @Tag("Engines")
    class Engines {
        /**
         * A group inherited from this class runs on the engine its concrete subclass names, not on
         * the default engine nor on another subclass's: the plumbing the whole suite stands on.
         */
        @Test
        void groupsRunOnTheEngineTheirClassNames() {
            EngineUnderTest named = AioEngineContract.this.getClass().getAnnotation(OnEngine.class).value();
            assertEquals(named.engineName(), engine().name(), AioEngineContract.this.getClass().getSimpleName());
            assertNotSame(AioEngine.defaultEngine(), engine(), "a private engine, opened for the class");
        }

        @Test
        void engineHasAKnownNameAndOpensPrivateInstances() throws Exception {
            String name = engine().name();
            assertTrue(Set.of("posix", "io_uring", "threads").contains(name), name);
            try (AioEngine other = AioEngine.open(name)) {
                assertEquals(name, other.name());
                assertNotSame(engine(), other);
                assertNotSame(AioEngine.defaultEngine(), other);
            }
            assertThrows(IllegalArgumentException.class, () -> AioEngine.open("no-such-engine"));
        }

        @Test
        void defaultEngineIsOneAndCannotBeClosed() throws Exception {
            AioEngine d = AioEngine.defaultEngine();
            assertSame(d, AioEngine.defaultEngine());
            assertThrows(IllegalStateException.class, d::close);
            // ... and it still works afterwards.
            AioFile f = tempfile();
            try (AioWrite w = new AioWrite(f.fd(), 0, segment("ok"), 0, SigevNotify.none())) {
                assertSame(d, w.engine());
                Aio.lioListio(LioMode.LIO_WAIT, List.of(w), SigevNotify.none());
                assertEquals(2, w.aioReturn());
            }
            assertEquals("ok", fileContent(f));
        }

        /** Not in the decisions; what a Java user expects of a closed resource (as for closed blocks). */
        @Test
        void closedEngineRefusesNewWork() throws Exception {
            AioFile f = tempfile();
            AioEngine other = AioEngine.open(engine().name());
            AioWrite w = track(new AioWrite(other, f.fd(), 0, segment("xy"), 0, SigevNotify.none()));
            other.close();
            assertThrows(IllegalStateException.class, w::submit);
            assertThrows(IllegalStateException.class,
                    () -> Aio.lioListio(LioMode.LIO_WAIT, List.of(w), SigevNotify.none()));
            assertFalse(w.inProgress());
            assertEquals("", fileContent(f));
        }

        /**
         * Closing an engine with I/O in flight cancels, drains, then frees: close() returns once the
         * operation is over and afterwards nothing writes to its buffer.
         */
        @Test
        void engineCloseDrainsInFlightIo() throws Exception {
            Pipe p = pipe();
            AioEngine other = AioEngine.open(engine().name());
            MemorySegment buf = buffer(4);
            AioRead r = track(new AioRead(other, p.readFd(), 0, buf, 0, SigevNotify.none()));
            r.submit();
            assertStaysInProgress(r);
            assertCloseNeverLetsThePendingReadTouchItsBufferAfterwards(p, buf, other::close);
        }

        /**
         * Another thread closes the engine while a submit is under way (its block already in
         * progress, its 128 MiB shared-arena buffer being staged): the submit either makes it in
         * before the close (which then drains it) or fails with IllegalStateException, the block back
         * to idle; the engine's close() returns in both cases, instead of waiting for an operation
         * that nobody submitted.
         */
        @Test
        void engineClosedWhileASubmitIsUnderWayStillCloses() throws Exception {
            AioFile f = tempfile();
            for (int round = 0; round < 4; round++) {
                AioEngine own = AioEngine.open(engine().name());
                try (Arena big = Arena.ofShared()) {
                    AioWrite w = new AioWrite(own, f.fd(), 0, big.allocate(128L << 20), 0, SigevNotify.none());
                    AtomicReference<Throwable> failure = new AtomicReference<>();
                    Thread submitter = startThread("submitter", () -> {
                        try {
                            w.submit();
                        } catch (IllegalStateException engineClosed) {
                            assertFalse(w.inProgress(), "a submit refused by a closed engine leaves the block idle");
                        }
                    }, failure);
                    Thread.sleep(5 + 5 * round);
                    Thread closer = startThread("closer", own::close, failure);
                    join(submitter);
                    join(closer);
                    if (failure.get() != null) {
                        throw new AssertionError("round " + round, failure.get());
                    }
                    w.close();
                }
            }
        }
    }

    /**
     * AioFile: {@code open(2)} with java.nio's options ({@code O_CREAT|O_EXCL}, {@code O_TRUNC},
     * {@code O_APPEND}, {@code O_DIRECT}) and exceptions ({@code ENOENT}, {@code EEXIST},
     * {@code EACCES} as their java.nio subclasses), and the temporary file, already unlinked.
     */
    @Nested
    @Tag("OpeningFiles")
    class OpeningFiles {
        @Test
        void tempfileIsReadWriteUnlinkedAndEmpty() throws Exception {
            AioFile f = tempfile();
            assertTrue(f.fd() >= 0);
            assertEquals(0, f.size());
            String target = Files.readSymbolicLink(procFd(f.fd())).toString();
            assertTrue(target.endsWith(" (deleted)"), () -> "tempfile() must already be unlinked: " + target);
            Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toRealPath();
            assertTrue(target.startsWith(tmp.toString()), () -> target + " is not in java.io.tmpdir " + tmp);
            int accessMode = fdFlags(f.fd()) & 3;
            assertEquals(2, accessMode, "O_RDWR");
            AioWrite w = newWrite(f.fd(), 0, INITIAL);
            Aio.lioListio(LioMode.LIO_WAIT, List.of(w), SigevNotify.none());
            assertEquals(12, w.aioReturn());
            assertEquals(12, f.size());
            AioRead r = newRead(f.fd(), 0, 12);
            Aio.lioListio(LioMode.LIO_WAIT, List.of(r), SigevNotify.none());
            assertEquals(12, r.aioReturn());
            assertEquals(INITIAL, str(r.buffer()));
        }

        /** The {@code flags:} line of /proc/self/fdinfo/fd (octal open flags). */
        static int fdFlags(int fd) throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
                if (line.startsWith("flags:")) {
                    return Integer.parseInt(line.substring("flags:".length()).trim(), 8);
                }
            }
            throw new AssertionError("no flags in /proc/self/fdinfo/" + fd);
        }

        @Test
        void openMapsErrnoToNioExceptions() throws Exception {
            Path dir = tempDir();
            Path missing = dir.resolve("missing");
            assertThrows(NoSuchFileException.class, () -> AioFile.open(missing, StandardOpenOption.READ));

            Path existing = dir.resolve("existing");
            Files.writeString(existing, INITIAL);
            paths.add(existing);
            assertThrows(FileAlreadyExistsException.class,
                    () -> AioFile.open(existing, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW));

            // EACCES. root passes every mode check, but not the kernel's refusal to open a read-only
            // sysctl for writing; anyone else is stopped by mode 000.
            Path forbidden;
            StandardOpenOption how;
            Path locked = dir.resolve("locked");
            Files.writeString(locked, "x");
            paths.add(locked);
            Files.setPosixFilePermissions(locked, Set.of());
            if (Files.isReadable(locked)) {
                forbidden = Path.of("/proc/sys/kernel/osrelease");
                how = StandardOpenOption.WRITE;
            } else {
                forbidden = locked;
                how = StandardOpenOption.READ;
            }
            Path target = forbidden;
            StandardOpenOption option = how;
            assertThrows(AccessDeniedException.class, () -> AioFile.open(target, option));
        }

        @Test
        void openCreatesWritesAndTruncates() throws Exception {
            Path path = tempDir().resolve("data");
            paths.add(path);
            try (AioFile f = AioFile.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE_NEW)) {
                try (AioWrite w = new AioWrite(engine(), f.fd(), 0, segment(INITIAL), 0, SigevNotify.none())) {
                    Aio.lioListio(LioMode.LIO_WAIT, List.of(w), SigevNotify.none());
                    assertEquals(12, w.aioReturn());
                }
                assertEquals(12, f.size());
            }
            assertEquals(INITIAL, Files.readString(path));
            try (AioFile f = AioFile.open(path, StandardOpenOption.READ)) {
                try (AioRead r = new AioRead(engine(), f.fd(), 6, buffer(6), 0, SigevNotify.none())) {
                    r.submit();
                    assertEquals(Errno.SUCCESS, poll(r));
                    assertEquals(6, r.aioReturn());
                    assertEquals("123456", str(r.buffer()));
                }
            }
            try (AioFile f = AioFile.open(path, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                assertEquals(0, f.size());
            }
        }

        /**
         * {@code StandardOpenOption.APPEND} opens with {@code O_APPEND}: every write lands at the end
         * of the file, whatever its offset says (Linux applies O_APPEND to positional writes too).
         */
        @Test
        void openWithAppendAppends() throws Exception {
            Path path = tempDir().resolve("appended");
            paths.add(path);
            Files.writeString(path, INITIAL);
            try (AioFile f = AioFile.open(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                assertTrue((fdFlags(f.fd()) & O_APPEND) != 0, "O_APPEND");
                try (AioWrite w = new AioWrite(engine(), f.fd(), 0, segment("XYZ"), 0, SigevNotify.none())) {
                    Aio.lioListio(LioMode.LIO_WAIT, List.of(w), SigevNotify.none());
                    assertEquals(3, w.aioReturn());
                }
            }
            assertEquals(INITIAL + "XYZ", Files.readString(path));
            try (AioFile f = AioFile.open(path, StandardOpenOption.APPEND)) {
                assertEquals(1, fdFlags(f.fd()) & 3, "APPEND alone opens for writing, as in java.nio (O_WRONLY)");
            }
            assertThrows(IllegalArgumentException.class,
                    () -> AioFile.open(path, StandardOpenOption.READ, StandardOpenOption.APPEND), "as java.nio");
            assertThrows(IllegalArgumentException.class,
                    () -> AioFile.open(path, StandardOpenOption.APPEND, StandardOpenOption.TRUNCATE_EXISTING), "as java.nio");
        }

        /** {@code O_APPEND} in {@code <fcntl.h>} on Linux (x86_64 and aarch64 alike). */
        static final int O_APPEND = 02000;

        /**
         * The JDK's own {@code com.sun.nio.file.ExtendedOpenOption.DIRECT} means O_DIRECT as
         * {@link AioOpenOption#DIRECT} does. A file system without O_DIRECT (tmpfs) refuses both.
         */
        @Test
        void openAcceptsTheJdksExtendedOpenOptionDirect() throws Exception {
            Path path = tempDir().resolve("direct");
            paths.add(path);
            Files.write(path, new byte[4096]);
            for (java.nio.file.OpenOption direct : List.<java.nio.file.OpenOption>of(
                    com.sun.nio.file.ExtendedOpenOption.DIRECT, AioOpenOption.DIRECT)) {
                AioFile f;
                try {
                    f = AioFile.open(path, StandardOpenOption.READ, direct);
                } catch (NoSuchFileException | AccessDeniedException e) {
                    throw e;
                } catch (java.nio.file.FileSystemException e) {
                    // Not a failure of jaio: java.io.tmpdir is on a file system without O_DIRECT (tmpfs).
                    org.junit.jupiter.api.Assumptions.abort("this file system refuses O_DIRECT: " + e.getMessage());
                    return;
                }
                try (f) {
                    assertTrue((fdFlags(f.fd()) & DIRECT_FLAG) != 0, () -> direct + " opened without O_DIRECT");
                }
            }
        }

        /** {@code O_DIRECT}: {@code 040000} on x86_64, {@code 0200000} on aarch64. */
        static final int DIRECT_FLAG = System.getProperty("os.arch").equals("aarch64") ? 0200000 : 040000;
    }

    /**
     * {@code aio_read} and {@code aio_write}: a transfer at the block's offset (a 64-bit
     * {@code off_t}), short at the end of the file, nothing for zero bytes; a bad descriptor or offset
     * fails with the errno {@code pread}/{@code pwrite} would give, at submit or later but never
     * silently, and the {@link AioException} names the operation.
     */
    @Nested
    @Tag("ReadsAndWrites")
    class ReadsAndWrites {
        /** nix 4, aio_read::test_accessors. */
        @Test
        void nix04ReadAccessors() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            MemorySegment rbuf = buffer(4);
            SigevNotify sev = SigevNotify.signal(Signal.SIGUSR2, 99);
            AioRead op = track(new AioRead(engine(), f.fd(), 2, rbuf, 42, sev));
            assertEquals(f.fd(), op.fd());
            assertEquals(4, op.nbytes());
            assertEquals(2, op.offset());
            assertEquals(42, op.priority());
            assertEquals(sev, op.sigevNotify());
            assertEquals(rbuf.address(), op.buffer().address());
            assertEquals(rbuf.byteSize(), op.buffer().byteSize());
            assertSame(engine(), op.engine());
        }

        /**
         * nix 6, aio_read::error (offset -1), adapted. nix runs it only on FreeBSD and macOS, where
         * submit fails. glibc does not check the offset at submit: pread(-1) fails in the worker and
         * error() says EINVAL. io_uring would read at the file position for offset -1, so an engine
         * must check it itself. Accepted: EINVAL at submit or from error(); never a silent read.
         */
        @Test
        void nix06ReadAtNegativeOffsetFailsWithEinval() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioRead op = newRead(f.fd(), -1, 4);
            assertEquals(-1, op.offset());
            try {
                op.submit();
            } catch (AioException e) {
                assertEquals(Errno.EINVAL, e.errno(), () -> "errno of " + e);
                assertFalse(op.inProgress());
                assertEquals(Errno.EINVAL, op.error());
                assertEquals("....", str(op.buffer()));
                return;
            }
            assertEquals(Errno.EINVAL, poll(op));
            assertAioException(Errno.EINVAL, op::aioReturn);
            assertEquals("....", str(op.buffer()), "nothing may be read for offset -1");
        }

        /** nix 7, aio_read::ok. */
        @Test
        void nix07ReadOk() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioRead op = newRead(f.fd(), 2, 4);
            op.submit();
            assertEquals(Errno.SUCCESS, poll(op));
            assertEquals(4, op.aioReturn());
            assertEquals("cdef", str(op.buffer()));
        }

        /** nix 11, aio_write::test_accessors. */
        @Test
        void nix11WriteAccessors() throws Exception {
            AioFile f = tempfile();
            MemorySegment wbuf = arena.allocate(4);
            SigevNotify sev = SigevNotify.signal(Signal.SIGUSR2, 99);
            AioWrite op = track(new AioWrite(engine(), f.fd(), 2, wbuf, 42, sev));
            assertEquals(f.fd(), op.fd());
            assertEquals(4, op.nbytes());
            assertEquals(2, op.offset());
            assertEquals(42, op.priority());
            assertEquals(sev, op.sigevNotify());
            assertEquals(wbuf.address(), op.buffer().address());
            assertSame(engine(), op.engine());
        }

        /** nix 13, aio_write::ok. */
        @Test
        void nix13WriteOk() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioWrite op = newWrite(f.fd(), 2, "CDEF");
            op.submit();
            assertEquals(Errno.SUCCESS, poll(op));
            assertEquals(4, op.aioReturn());
            assertEquals("abCDEF123456", fileContent(f));
            assertEquals(12, f.size());
        }

        /**
         * nix 15, aio_write::error (fd 666), adapted. nix runs it only off Linux, where submit fails
         * with EBADF. glibc's aio_write does not check the descriptor: the request is queued and the
         * worker's pwrite fails, so error() says EBADF later, and the same holds for io_uring (a
         * completion with -EBADF) and for pwrite on a pool thread. Assert what Linux does.
         */
        @Test
        void nix15WriteOnBadDescriptorFailsLaterWithEbadf() throws Exception {
            AioWrite op = newWrite(unusedFd(), 0, "CDEF");
            op.submit();
            assertTrue(op.inProgress());
            assertEquals(Errno.EBADF, poll(op));
            assertAioException(Errno.EBADF, op::aioReturn);
            assertFalse(op.inProgress());
        }

        /** As nix 15, for a read. */
        @Test
        void nix15ReadOnBadDescriptorFailsLaterWithEbadf() throws Exception {
            AioRead op = newRead(unusedFd(), 0, 4);
            op.submit();
            assertEquals(Errno.EBADF, poll(op));
            assertAioException(Errno.EBADF, op::aioReturn);
            assertEquals("....", str(op.buffer()));
        }

        @Test
        void readAtEndOfFileIsShort() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioRead tail = newRead(f.fd(), 8, 8);
            AioRead beyond = newRead(f.fd(), 100, 4);
            Aio.lioListio(LioMode.LIO_WAIT, List.of(tail, beyond), SigevNotify.none());
            assertEquals(4, tail.aioReturn());
            assertEquals("3456....", str(tail.buffer()));
            assertEquals(0, beyond.aioReturn());
            assertEquals("....", str(beyond.buffer()));
        }

        @Test
        void zeroLengthReadAndWriteTransferNothing() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioRead r = track(new AioRead(engine(), f.fd(), 2, arena.allocate(0), 0, SigevNotify.none()));
            AioWrite w = track(new AioWrite(engine(), f.fd(), 2, arena.allocate(0), 0, SigevNotify.none()));
            Aio.lioListio(LioMode.LIO_WAIT, List.of(r, w), SigevNotify.none());
            assertEquals(0, r.aioReturn());
            assertEquals(0, w.aioReturn());
            assertEquals(INITIAL, fileContent(f));
        }

        @Test
        void writeThenReadOneMebibyte() throws Exception {
            long seed = System.nanoTime();
            System.out.println("writeThenReadOneMebibyte seed=" + seed);
            byte[] data = new byte[1 << 20];
            new Random(seed).nextBytes(data);
            AioFile f = tempfile();
            AioWrite w = track(new AioWrite(engine(), f.fd(), 4096, arena.allocateFrom(JAVA_BYTE, data), 0,
                    SigevNotify.none()));
            w.submit();
            assertEquals(Errno.SUCCESS, poll(w));
            assertEquals(data.length, w.aioReturn());
            AioRead r = newRead(f.fd(), 4096, data.length);
            r.submit();
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(data.length, r.aioReturn());
            assertArrayEquals(data, r.buffer().toArray(JAVA_BYTE), () -> "seed " + seed);
            byte[] file = readFile(f.fd());
            assertEquals(4096 + data.length, file.length);
            assertArrayEquals(data, Arrays.copyOfRange(file, 4096, file.length), () -> "seed " + seed);
        }

        /** Offsets are 64-bit (off_t): nothing may truncate one beyond 4 GiB (the file is sparse). */
        @Test
        void offsetsBeyondFourGibibytes() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            long far = (5L << 30) + 3;
            AioWrite w = newWrite(f.fd(), far, "CDEF");
            Aio.lioListio(LioMode.LIO_WAIT, List.of(w), SigevNotify.none());
            assertEquals(4, w.aioReturn());
            assertEquals(far + 4, f.size());
            AioRead r = newRead(f.fd(), far - 1, 6);
            r.submit();
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(5, r.aioReturn(), "a short read at the end of the file");
            assertEquals("\0CDEF.", str(r.buffer()));
            try (FileChannel ch = FileChannel.open(procFd(f.fd()), StandardOpenOption.READ)) {
                ByteBuffer b = ByteBuffer.allocate(4);
                assertEquals(4, ch.read(b, far));
                assertEquals("CDEF", new String(b.array(), ISO_8859_1));
                b.clear();
                assertEquals(4, ch.read(b, far & 0xFFFF_FFFFL));
                assertEquals("\0\0\0\0", new String(b.array(), ISO_8859_1), "written at the offset cut to 32 bits");
            }
        }

        /** AioWrite.of copies the array: later changes to it do not reach the file. */
        @Test
        void writeOfCopiesItsData() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            byte[] data = "CDEF".getBytes(ISO_8859_1);
            AioWrite w = track(AioWrite.of(engine(), f.fd(), 2, data, 0, SigevNotify.none()));
            Arrays.fill(data, (byte) 'X');
            assertSame(engine(), w.engine());
            assertEquals(4, w.nbytes());
            w.submit();
            assertEquals(Errno.SUCCESS, poll(w));
            assertEquals(4, w.aioReturn());
            w.setOffset(8); // the owned copy serves again
            Aio.lioListio(LioMode.LIO_WAIT, List.of(w), SigevNotify.none());
            assertEquals(4, w.aioReturn());
            assertEquals("abCDEF12CDEF", fileContent(f));
        }

        @Test
        void aioExceptionMessageNamesOperationDescriptorOffsetLengthAndErrno() throws Exception {
            AioRead r = newRead(unusedFd(), 12_345, 77);
            r.submit();
            assertEquals(Errno.EBADF, poll(r));
            AioException e = assertAioException(Errno.EBADF, r::aioReturn);
            String m = String.valueOf(e.getMessage());
            assertTrue(m.toLowerCase(Locale.ROOT).contains("read"), () -> "operation: " + m);
            assertTrue(m.contains(String.valueOf(UNUSED_FD)), () -> "descriptor: " + m);
            assertTrue(m.contains("12345"), () -> "offset: " + m);
            assertTrue(m.contains("77"), () -> "length: " + m);
            assertTrue(m.contains("EBADF"), () -> "errno: " + m);
        }
    }

    /**
     * {@code aio_readv} and {@code aio_writev} (not POSIX: FreeBSD's, which nix ports): scatter and
     * gather in the order of the segments, alone or mixed with plain operations in a list. glibc has
     * none, so on the posix engine every test here that submits is skipped ({@link
     * EngineUnderTest#supportsVectored()}); {@code PosixEngineContractTest} checks that the engine
     * refuses them and says so.
     */
    @Nested
    @Tag("Vectored")
    class Vectored {
        /** nix 9, aio_readv::test_accessors (construction never needs vectored support). */
        @Test
        void nix09ReadvAccessors() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            SigevNotify sev = SigevNotify.signal(Signal.SIGUSR2, 99);
            AioReadv op = track(new AioReadv(engine(), f.fd(), 2, List.of(buffer(4), buffer(8)), 42, sev));
            assertEquals(f.fd(), op.fd());
            assertEquals(2, op.iovlen());
            assertEquals(2, op.offset());
            assertEquals(42, op.priority());
            assertEquals(sev, op.sigevNotify());
            assertSame(engine(), op.engine());
        }

        /** nix 10, aio_readv::ok. */
        @Test
        void nix10ReadvOk() throws Exception {
            assumeTrue(supportsVectored(), "this engine does not do vectored I/O");
            AioFile f = tempfileWith(INITIAL);
            MemorySegment rbuf0 = buffer(4);
            MemorySegment rbuf1 = buffer(2);
            AioReadv op = track(new AioReadv(engine(), f.fd(), 2, List.of(rbuf0, rbuf1), 0, SigevNotify.none()));
            op.submit();
            assertEquals(Errno.SUCCESS, poll(op));
            assertEquals(6, op.aioReturn());
            assertEquals("cdef", str(rbuf0));
            assertEquals("12", str(rbuf1));
        }

        /** nix 16, aio_writev::test_accessors. */
        @Test
        void nix16WritevAccessors() throws Exception {
            AioFile f = tempfile();
            SigevNotify sev = SigevNotify.signal(Signal.SIGUSR2, 99);
            AioWritev op = track(new AioWritev(engine(), f.fd(), 2, List.of(buffer(4), buffer(8)), 42, sev));
            assertEquals(f.fd(), op.fd());
            assertEquals(2, op.iovlen());
            assertEquals(2, op.offset());
            assertEquals(42, op.priority());
            assertEquals(sev, op.sigevNotify());
            assertSame(engine(), op.engine());
        }

        /** nix 17, aio_writev::ok. */
        @Test
        void nix17WritevOk() throws Exception {
            assumeTrue(supportsVectored(), "this engine does not do vectored I/O");
            AioFile f = tempfileWith(INITIAL);
            AioWritev op = track(new AioWritev(engine(), f.fd(), 1, List.of(segment("BC"), segment("DEF")), 0,
                    SigevNotify.none()));
            op.submit();
            assertEquals(Errno.SUCCESS, poll(op));
            assertEquals(5, op.aioReturn());
            assertEquals("aBCDEF123456", fileContent(f));
        }

        @Test
        void closedVectoredBlocksRefuseSubmit() throws Exception {
            assumeTrue(supportsVectored(), "this engine does not do vectored I/O");
            AioFile f = tempfileWith(INITIAL);
            AioReadv rv = track(new AioReadv(engine(), f.fd(), 0, List.of(buffer(2)), 0, SigevNotify.none()));
            AioWritev wv = track(new AioWritev(engine(), f.fd(), 0, List.of(segment("zz")), 0, SigevNotify.none()));
            for (Aio op : List.<Aio>of(rv, wv)) {
                op.close();
                assertThrows(IllegalStateException.class, op::submit);
            }
            assertThrows(IllegalStateException.class, () -> rv.setOffset(1));
            assertThrows(IllegalStateException.class, () -> wv.setOffset(1));
            assertEquals(1, rv.iovlen());
            assertEquals(INITIAL, fileContent(f));
        }

        @Test
        void vectoredBlocksCanBeReAimed() throws Exception {
            assumeTrue(supportsVectored(), "this engine does not do vectored I/O");
            AioFile f = tempfileWith(INITIAL);
            MemorySegment a = buffer(2);
            MemorySegment b = buffer(3);
            AioReadv rv = track(new AioReadv(engine(), f.fd(), 0, List.of(a, b), 0, SigevNotify.none()));
            AioWritev wv = track(new AioWritev(engine(), f.fd(), 0, List.of(segment("X"), segment("YZ")), 0,
                    SigevNotify.none()));
            for (int off : new int[] {0, 5, 9}) {
                wv.setOffset(off);
                wv.submit();
                assertEquals(Errno.SUCCESS, poll(wv));
                assertEquals(3, wv.aioReturn());
            }
            assertEquals("XYZdeXYZ3XYZ", fileContent(f));
            rv.setOffset(3);
            rv.submit();
            assertEquals(Errno.SUCCESS, poll(rv));
            assertEquals(5, rv.aioReturn());
            assertEquals("de", str(a));
            assertEquals("XYZ", str(b));
            rv.setOffset(10);
            Aio.lioListio(LioMode.LIO_WAIT, List.of(rv), SigevNotify.none());
            assertEquals(2, rv.aioReturn(), "a short vectored read at the end of the file");
            assertEquals("YZ", str(a));
        }

        @Test
        void vectoredOperationsMixWithPlainOnesInAList() throws Exception {
            assumeTrue(supportsVectored(), "this engine does not do vectored I/O");
            AioFile f = tempfileWith(INITIAL);
            AioWritev wv = track(new AioWritev(engine(), f.fd(), 0, List.of(segment("A"), segment("B")), 0,
                    SigevNotify.none()));
            AioWrite w = newWrite(f.fd(), 4, "EF");
            MemorySegment r0 = buffer(1);
            MemorySegment r1 = buffer(3);
            AioReadv rv = track(new AioReadv(engine(), f.fd(), 8, List.of(r0, r1), 0, SigevNotify.none()));
            AioRead r = newRead(f.fd(), 6, 2);
            Aio.lioListio(LioMode.LIO_WAIT, List.of(wv, w, rv, r), SigevNotify.none());
            assertEquals(2, wv.aioReturn());
            assertEquals(2, w.aioReturn());
            assertEquals(4, rv.aioReturn());
            assertEquals(2, r.aioReturn());
            assertEquals("3", str(r0));
            assertEquals("456", str(r1));
            assertEquals("12", str(r.buffer()));
            assertEquals("ABcdEF123456", fileContent(f));
        }
    }

    /**
     * {@code aio_fsync}: both modes ({@code O_SYNC}, {@code O_DSYNC}), nothing transferred ({@code
     * aio_return} is 0), a bad descriptor is {@code EBADF}, and POSIX's ordering rule: an fsync
     * covers every write queued before it on its descriptor, so it may not complete before them.
     */
    @Nested
    @Tag("Fsync")
    class Fsync {
        /** nix 1, aio_fsync::test_accessors. */
        @Test
        void nix01FsyncAccessors() throws Exception {
            AioFile f = tempfile();
            SigevNotify sev = SigevNotify.signal(Signal.SIGUSR2, 99);
            AioFsync op = track(new AioFsync(engine(), f.fd(), AioFsyncMode.O_SYNC, 42, sev));
            assertEquals(f.fd(), op.fd());
            assertEquals(AioFsyncMode.O_SYNC, op.mode());
            assertEquals(42, op.priority());
            assertEquals(sev, op.sigevNotify());
            assertSame(engine(), op.engine());
            assertFalse(op.inProgress());
        }

        /**
         * nix 2, aio_fsync::error, adapted. nix runs it only off Linux, where submit fails. glibc's
         * aio_fsync checks the descriptor with fcntl(F_GETFL) and fails at once with EBADF, but other
         * engines may only learn it from the kernel later; docs/API.md allows both (in error() "or at
         * submit, depending on the engine, never silently"). Either way the failure must be EBADF and
         * reported once.
         */
        @Test
        void nix02FsyncOnBadDescriptorFailsWithEbadf() throws Exception {
            int fd = unusedFd();
            AioFsync op = track(new AioFsync(engine(), fd, AioFsyncMode.O_SYNC, 0, SigevNotify.none()));
            assertBadDescriptorReported(op);
        }

        /** Asserts that {@code op} on a descriptor that is not open fails with EBADF, at submit or later. */
        static void assertBadDescriptorReported(Aio op) throws Exception {
            try {
                op.submit();
            } catch (AioException e) {
                assertEquals(Errno.EBADF, e.errno(), () -> "errno of " + e);
                assertFalse(op.inProgress(), "a failed submit leaves the block idle");
                assertEquals(Errno.EBADF, op.error(), "error() tells why submit failed");
                return;
            }
            assertTrue(op.inProgress());
            assertEquals(Errno.EBADF, poll(op));
            assertAioException(Errno.EBADF, op::aioReturn);
            assertFalse(op.inProgress());
        }

        /** nix 3, aio_fsync::ok, for both modes; an fsync transfers nothing, so aioReturn is 0. */
        @Test
        void nix03FsyncOk() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            for (AioFsyncMode mode : AioFsyncMode.values()) {
                AioFsync op = track(new AioFsync(engine(), f.fd(), mode, 0, SigevNotify.none()));
                op.submit();
                assertEquals(Errno.SUCCESS, poll(op), mode::toString);
                assertEquals(0, op.aioReturn(), mode::toString);
                assertFalse(op.inProgress());
            }
            assertEquals(INITIAL, fileContent(f));
        }

        /**
         * POSIX: an aio_fsync covers every write queued before it on the descriptor, so it must not
         * complete before them (io_uring's own fsync is unordered; an engine must drain or link).
         * Made observable with a write that waits on a full pipe: the fsync of that pipe (which Linux
         * then fails with EINVAL) must wait for it. glibc queues it behind the write on the
         * descriptor's worker.
         */
        @Test
        void fsyncDoesNotOvertakeAWriteQueuedBeforeIt() throws Exception {
            Pipe p = pipe();
            int capacity = p.capacity();
            p.write(new byte[capacity]); // full: the write below waits
            AioWrite w = newWrite(p.writeFd(), 0, "abcd");
            w.submit();
            assertStaysInProgress(w);
            AtomicReference<Errno> writeStatusSeen = new AtomicReference<>();
            CountDownLatch fired = new CountDownLatch(1);
            AioFsync sync = track(new AioFsync(engine(), p.writeFd(), AioFsyncMode.O_SYNC, 0, SigevNotify.thread(1, v -> {
                writeStatusSeen.set(w.error());
                fired.countDown();
            })));
            try {
                sync.submit();
            } catch (AioException e) {
                assertEquals(Errno.EINVAL, e.errno(), "an fsync of a pipe may only fail as fsync(2) does");
                return; // refused at once: nothing to order
            }
            assertStaysInProgress(sync);
            assertEquals(1, fired.getCount(), "the fsync's notification came before the write it must follow");
            p.read(capacity); // room: the write completes, then the fsync
            assertTrue(fired.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS), "the fsync's callback did not run");
            assertEquals(Errno.SUCCESS, writeStatusSeen.get(), "the write had completed when the fsync did");
            assertEquals(Errno.EINVAL, sync.error(), "fsync(2) of a pipe");
            assertAioException(Errno.EINVAL, sync::aioReturn);
            assertEquals(Errno.SUCCESS, w.error());
            assertEquals(4, w.aioReturn());
            assertArrayEquals("abcd".getBytes(ISO_8859_1), p.read(4));
        }

        /** glibc rewrites an fsync's aio_reqprio and opcode; the block must still report what it was given. */
        @Test
        void fsyncKeepsItsModeAndPriorityThroughSubmit() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioFsync s = track(new AioFsync(engine(), f.fd(), AioFsyncMode.O_DSYNC, 5, SigevNotify.none()));
            for (int round = 0; round < 2; round++) {
                s.submit();
                assertEquals(AioFsyncMode.O_DSYNC, s.mode());
                assertEquals(5, s.priority());
                assertEquals(Errno.SUCCESS, poll(s));
                assertEquals(0, s.aioReturn());
                assertEquals(AioFsyncMode.O_DSYNC, s.mode());
                assertEquals(5, s.priority());
            }
        }
    }

    /**
     * Buffers: an operation's memory is native memory that stays valid while the kernel or a
     * worker may write it. Heap segments, read-only segments (as a read's destination) and segments
     * of confined or closed arenas are refused, naming the fix; a shared arena may be closed after
     * {@code aio_return}, and one closed under a pending operation is never written after the close
     * (RELIABILITY.md, row 12).
     */
    @Nested
    @Tag("BuffersAndArenas")
    class BuffersAndArenas {
        /**
         * nix 8, aio_read::on_stack, adapted: Java has no stack memory, its counterpart is an arena
         * that the test thread closes as soon as aioReturn has been called. A confined arena cannot be
         * an asynchronous I/O buffer (see buffersOfConfinedArenasAreRefusedNamingTheFix), so the
         * arena is a shared one.
         */
        @Test
        void nix08ReadIntoAnArenaClosedAfterwards() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            try (Arena scope = Arena.ofShared()) {
                MemorySegment rbuf = scope.allocate(4);
                try (AioRead op = new AioRead(engine(), f.fd(), 2, rbuf, 0, SigevNotify.none())) {
                    op.submit();
                    assertEquals(Errno.SUCCESS, poll(op));
                    assertEquals(4, op.aioReturn());
                }
                assertEquals("cdef", str(rbuf));
            }
        }

        /** nix 14, aio_write::on_stack, adapted as nix 8: the buffer lives in an arena closed afterwards. */
        @Test
        void nix14WriteFromAnArenaClosedAfterwards() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            try (Arena scope = Arena.ofShared();
                    AioWrite op = new AioWrite(engine(), f.fd(), 2,
                            scope.allocateFrom(JAVA_BYTE, "CDEF".getBytes(ISO_8859_1)), 0, SigevNotify.none())) {
                op.submit();
                assertEquals(Errno.SUCCESS, poll(op));
                assertEquals(4, op.aioReturn());
            }
            assertEquals("abCDEF123456", fileContent(f));
        }

        /** A read-only segment is a fine source for a write. */
        @Test
        void writeFromReadOnlySegment() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioWrite w = track(new AioWrite(engine(), f.fd(), 2, segment("CDEF").asReadOnly(), 0, SigevNotify.none()));
            w.submit();
            assertEquals(Errno.SUCCESS, poll(w));
            assertEquals(4, w.aioReturn());
            assertEquals("abCDEF123456", fileContent(f));
        }

        @Test
        void heapSegmentsAreRejectedAtConstruction() throws Exception {
            AioFile f = tempfile();
            MemorySegment heap = MemorySegment.ofArray(new byte[4]);
            assertMentionsNativeMemory(assertThrows(IllegalArgumentException.class,
                    () -> new AioRead(engine(), f.fd(), 0, heap, 0, SigevNotify.none())));
            assertMentionsNativeMemory(assertThrows(IllegalArgumentException.class,
                    () -> new AioWrite(engine(), f.fd(), 0, heap, 0, SigevNotify.none())));
            assertMentionsNativeMemory(assertThrows(IllegalArgumentException.class,
                    () -> new AioReadv(engine(), f.fd(), 0, List.of(buffer(4), heap), 0, SigevNotify.none())));
            assertMentionsNativeMemory(assertThrows(IllegalArgumentException.class,
                    () -> new AioWritev(engine(), f.fd(), 0, List.of(heap, buffer(4)), 0, SigevNotify.none())));
        }

        @Test
        void heapSegmentsAreRejectedBySetBuffer() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            MemorySegment heap = MemorySegment.ofArray(new byte[4]);
            AioRead r = newRead(f.fd(), 8, 4); // not where w writes: the two may run at once
            AioWrite w = newWrite(f.fd(), 2, "CDEF");
            assertMentionsNativeMemory(assertThrows(IllegalArgumentException.class, () -> r.setBuffer(heap)));
            assertMentionsNativeMemory(assertThrows(IllegalArgumentException.class, () -> w.setBuffer(heap)));
            // The refused buffer did not replace the old one.
            Aio.lioListio(LioMode.LIO_WAIT, List.of(r, w), SigevNotify.none());
            assertEquals(4, r.aioReturn());
            assertEquals(4, w.aioReturn());
            assertEquals(4, r.nbytes());
            assertEquals("3456", str(r.buffer()));
            assertEquals("abCDEF123456", fileContent(f));
        }

        @Test
        void readOnlySegmentsAreRejectedAsReadBuffers() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            MemorySegment readOnly = buffer(4).asReadOnly();
            assertThrows(IllegalArgumentException.class,
                    () -> new AioRead(engine(), f.fd(), 0, readOnly, 0, SigevNotify.none()));
            assertThrows(IllegalArgumentException.class,
                    () -> new AioReadv(engine(), f.fd(), 0, List.of(buffer(4), readOnly), 0, SigevNotify.none()));
            AioRead r = newRead(f.fd(), 2, 4);
            assertThrows(IllegalArgumentException.class, () -> r.setBuffer(readOnly));
            r.submit();
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
            assertEquals("cdef", str(r.buffer()));
            assertEquals("....", str(readOnly));
        }

        /**
         * A buffer whose arena was closed before submit is refused at submit (as FFM refuses any
         * access to it, with IllegalStateException), never handed to the kernel or libc to write into
         * freed memory; the block stays idle.
         */
        @Test
        void buffersOfAClosedArenaAreRefusedAtSubmit() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            Arena gone = Arena.ofShared();
            AioRead r = track(new AioRead(engine(), f.fd(), 2, gone.allocate(4), 0, SigevNotify.none()));
            AioWrite w = track(new AioWrite(engine(), f.fd(), 0, gone.allocate(4), 0, SigevNotify.none()));
            gone.close();
            assertThrows(IllegalStateException.class, r::submit);
            assertThrows(IllegalStateException.class, w::submit);
            for (LioMode mode : LioMode.values()) {
                assertThrows(IllegalStateException.class, () -> Aio.lioListio(mode, List.of(r), SigevNotify.none()));
                assertThrows(IllegalStateException.class, () -> Aio.lioListio(mode, List.of(w), SigevNotify.none()));
            }
            assertFalse(r.inProgress());
            assertFalse(w.inProgress());
            Thread.sleep(20);
            assertEquals(INITIAL, fileContent(f));
            // Re-aimed at live memory, the same blocks work.
            r.setBuffer(buffer(4));
            w.setBuffer(segment("AB"));
            Aio.lioListio(LioMode.LIO_WAIT, List.of(r, w), SigevNotify.none());
            assertEquals(4, r.aioReturn());
            assertEquals(2, w.aioReturn());
            assertEquals("cdef", str(r.buffer()));
            assertEquals("ABcdef123456", fileContent(f));
        }

        @Test
        void buffersOfConfinedArenasAreRefusedNamingTheFix() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            try (Arena confined = Arena.ofConfined()) {
                MemorySegment seg = confined.allocate(4);
                for (Step make : List.<Step>of(
                        () -> new AioRead(engine(), f.fd(), 0, seg, 0, SigevNotify.none()),
                        () -> new AioWrite(engine(), f.fd(), 0, seg, 0, SigevNotify.none()),
                        () -> new AioReadv(engine(), f.fd(), 0, List.of(buffer(2), seg), 0, SigevNotify.none()),
                        () -> new AioWritev(engine(), f.fd(), 0, List.of(seg), 0, SigevNotify.none()),
                        () -> newRead(f.fd(), 0, 4).setBuffer(seg),
                        () -> newWrite(f.fd(), 0, "ab").setBuffer(seg))) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, make::run);
                    assertTrue(e.getMessage().contains("Arena.ofConfined()") && e.getMessage().contains("Arena.ofShared()")
                            && e.getMessage().contains("Arena.ofAuto()"), e.getMessage());
                }
            }
        }

        /**
         * A read into a segment of a shared arena, the arena closed while the read waits on a pipe
         * (single and in a list): close() is allowed and nothing the kernel or a worker writes
         * lands in freed memory (new allocations of the same size, which malloc is likely to place
         * there, stay untouched); the read ends with EFAULT, or, on an engine that refused the
         * close, with the data.
         */
        @Test
        void sharedArenaClosedUnderAPendingReadNeverReceivesItsData() throws Exception {
            for (boolean inList : new boolean[] {false, true}) {
                Pipe p = pipe();
                int size = 4096;
                Arena shared = Arena.ofShared();
                AioRead r = track(new AioRead(engine(), p.readFd(), 0, shared.allocate(size), 0, SigevNotify.none()));
                if (inList) {
                    Aio.lioListio(LioMode.LIO_NOWAIT, List.of(r), SigevNotify.none());
                } else {
                    r.submit();
                }
                assertStaysInProgress(r);
                boolean closed;
                try {
                    shared.close();
                    closed = true;
                } catch (IllegalStateException refused) {
                    closed = false;
                }
                List<MemorySegment> newcomers = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    newcomers.add(arena.allocate(size).fill((byte) 0));
                }
                byte[] data = new byte[size];
                Arrays.fill(data, (byte) 'X');
                p.write(data);
                assertNotEquals(Errno.EINPROGRESS, poll(r));
                if (closed) {
                    assertEquals(Errno.EFAULT, r.error(), "a read whose arena was closed before its data arrived");
                    assertAioException(Errno.EFAULT, r::aioReturn);
                } else {
                    assertEquals(size, r.aioReturn());
                    shared.close();
                }
                for (MemorySegment m : newcomers) {
                    for (long i = 0; i < size; i++) {
                        if (m.get(JAVA_BYTE, i) != 0) {
                            fail("the pending read wrote into memory allocated after its arena was closed");
                        }
                    }
                }
            }
        }

        /**
         * A write from a shared arena closed before the kernel took its data (the pipe is full):
         * what is written is what the segment held at submit, never what malloc put there later.
         */
        @Test
        void sharedArenaClosedUnderAPendingWriteWritesWhatWasSubmitted() throws Exception {
            for (boolean inList : new boolean[] {false, true}) {
                sharedArenaClosedUnderAPendingWrite(inList);
            }
        }

        private void sharedArenaClosedUnderAPendingWrite(boolean inList) throws Exception {
            Pipe p = pipe();
            int size = 4096;
            byte[] filler = new byte[p.capacity()];
            p.write(filler);
            Arena shared = Arena.ofShared();
            MemorySegment seg = shared.allocate(size).fill((byte) 'W');
            AioWrite w = track(new AioWrite(engine(), p.writeFd(), 0, seg, 0, SigevNotify.none()));
            if (inList) {
                Aio.lioListio(LioMode.LIO_NOWAIT, List.of(w), SigevNotify.none());
            } else {
                w.submit();
            }
            assertStaysInProgress(w);
            boolean closed;
            try {
                shared.close();
                closed = true;
            } catch (IllegalStateException refused) {
                closed = false;
            }
            for (int i = 0; i < 64; i++) {
                arena.allocate(size).fill((byte) 'Z');
            }
            assertEquals(filler.length, p.read(filler.length).length);
            assertEquals(Errno.SUCCESS, poll(w));
            assertEquals(size, w.aioReturn());
            byte[] got = p.read(size);
            byte[] expected = new byte[size];
            Arrays.fill(expected, (byte) 'W');
            assertArrayEquals(expected, got);
            if (!closed) {
                shared.close();
            }
        }

        /** A shared arena closed after aioReturn (Java's counterpart of nix's on-stack buffers) is fine. */
        @Test
        void sharedArenaBuffersWorkAndMayBeClosedAfterAioReturn() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            try (Arena scope = Arena.ofShared()) {
                MemorySegment a = scope.allocate(3);
                MemorySegment b = scope.allocate(2);
                try (AioRead r = new AioRead(engine(), f.fd(), 2, scope.allocate(4), 0, SigevNotify.none());
                        AioWrite w = new AioWrite(engine(), f.fd(), 0, scope.allocateFrom(JAVA_BYTE, "AB".getBytes(ISO_8859_1)), 0,
                                SigevNotify.none())) {
                    Aio.lioListio(LioMode.LIO_WAIT, List.of(r), SigevNotify.none());
                    assertEquals(4, r.aioReturn());
                    assertEquals("cdef", str(r.buffer()));
                    w.submit();
                    assertEquals(Errno.SUCCESS, poll(w));
                    assertEquals(2, w.aioReturn());
                }
                if (supportsVectored()) {
                    try (AioReadv rv = new AioReadv(engine(), f.fd(), 0, List.of(a, b), 0, SigevNotify.none())) {
                        rv.submit();
                        assertEquals(Errno.SUCCESS, poll(rv));
                        assertEquals(5, rv.aioReturn());
                        assertEquals("ABc", str(a));
                        assertEquals("de", str(b));
                    }
                }
            }
            assertEquals("ABcdef123456", fileContent(f));
        }
    }

    /**
     * The control block's protocol (an {@code aiocb}'s life): idle until submitted, then in progress
     * until {@code aio_return}, even once complete; submit, {@code aio_return} and the setters are
     * refused while it is not idle; one block serves many operations, also after a failed one; a
     * closed block refuses everything but its accessors, and {@code close()} of a block in flight
     * waits for its operation and never lets it touch the buffer afterwards.
     */
    @Nested
    @Tag("BlockLifecycle")
    class BlockLifecycle {
        /**
         * nix 21, casting, adapted: Java has no pointer identity to check, so check instead that a
         * never-submitted block on fd 666 reports what it was given and touches nothing.
         */
        @Test
        void nix21NeverSubmittedBlocksAreConsistent() throws Exception {
            AioFsync fsync = track(new AioFsync(engine(), 666, AioFsyncMode.O_DSYNC, 3, SigevNotify.none()));
            AioRead read = track(new AioRead(engine(), 666, 7, arena.allocate(0), 1, SigevNotify.none()));
            AioWrite write = track(new AioWrite(engine(), 666, 9, segment("xy"), 2, SigevNotify.none()));
            for (Aio op : List.<Aio>of(fsync, read, write)) {
                assertEquals(666, op.fd());
                assertFalse(op.inProgress());
                assertEquals(Errno.SUCCESS, op.error(), "error() before any submit");
                assertSame(engine(), op.engine());
                assertEquals(SigevNotify.none(), op.sigevNotify());
                assertThrows(IllegalStateException.class, op::aioReturn, "aioReturn() of a never-submitted block");
            }
            assertEquals(AioFsyncMode.O_DSYNC, fsync.mode());
            assertEquals(3, fsync.priority());
            assertEquals(0, read.nbytes());
            assertEquals(7, read.offset());
            assertEquals(1, read.priority());
            assertEquals(2, write.nbytes());
            assertEquals(9, write.offset());
            assertEquals(2, write.priority());
        }

        @Test
        void inProgressFromSubmitUntilAioReturn() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioRead r = newRead(f.fd(), 2, 4);
            assertFalse(r.inProgress());
            r.submit();
            assertTrue(r.inProgress());
            assertEquals(Errno.SUCCESS, poll(r));
            assertTrue(r.inProgress(), "complete but not yet returned is still in progress");
            assertEquals(4, r.aioReturn());
            assertFalse(r.inProgress());
        }

        @Test
        void submitWhileInProgressIsIllegalState() throws Exception {
            Pipe p = pipe();
            AioRead r = newRead(p.readFd(), 0, 4);
            r.submit();
            assertThrows(IllegalStateException.class, r::submit);
            assertStaysInProgress(r);
            p.write("wxyz".getBytes(ISO_8859_1));
            assertEquals(Errno.SUCCESS, poll(r));
            // Complete but not returned is still in progress: a second submit is still refused.
            assertThrows(IllegalStateException.class, r::submit);
            assertEquals(4, r.aioReturn());
            assertEquals("wxyz", str(r.buffer()));
        }

        @Test
        void aioReturnWhileRunningOrNeverSubmittedIsIllegalState() throws Exception {
            Pipe p = pipe();
            AioRead r = newRead(p.readFd(), 0, 4);
            assertThrows(IllegalStateException.class, r::aioReturn, "never submitted");
            r.submit();
            assertThrows(IllegalStateException.class, r::aioReturn, "still running");
            assertStaysInProgress(r);
            p.write("wxyz".getBytes(ISO_8859_1));
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
            assertEquals("wxyz", str(r.buffer()));
            assertThrows(IllegalStateException.class, r::aioReturn, "already returned");
        }

        @Test
        void settersWhileInProgressAreIllegalState() throws Exception {
            Pipe p = pipe();
            MemorySegment original = buffer(4);
            AioRead r = track(new AioRead(engine(), p.readFd(), 0, original, 0, SigevNotify.none()));
            r.submit();
            assertThrows(IllegalStateException.class, () -> r.setOffset(5));
            assertThrows(IllegalStateException.class, () -> r.setBuffer(buffer(8)));
            assertThrows(IllegalStateException.class, () -> r.setSigevNotify(SigevNotify.signal(Signal.SIGUSR2, 1)));
            assertEquals(0, r.offset());
            assertEquals(original.address(), r.buffer().address());
            assertEquals(4, r.nbytes());
            assertEquals(SigevNotify.none(), r.sigevNotify());

            // A write that is complete but not yet returned is in progress too.
            AioFile f = tempfileWith(INITIAL);
            AioWrite w = newWrite(f.fd(), 2, "CDEF");
            w.submit();
            assertEquals(Errno.SUCCESS, poll(w));
            assertThrows(IllegalStateException.class, () -> w.setOffset(0));
            assertThrows(IllegalStateException.class, () -> w.setBuffer(segment("zz")));
            assertThrows(IllegalStateException.class, () -> w.setSigevNotify(SigevNotify.none()));
            assertEquals(4, w.aioReturn());

            p.write("wxyz".getBytes(ISO_8859_1));
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
            assertEquals("wxyz", str(original));
            assertEquals("abCDEF123456", fileContent(f));
        }

        @Test
        void closedBlocksRefuseEverythingButAccessors() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            MemorySegment rbuf = buffer(4);
            SigevNotify sev = SigevNotify.signal(Signal.SIGUSR2, 5);
            AioRead r = track(new AioRead(engine(), f.fd(), 2, rbuf, 3, sev));
            AioWrite w = newWrite(f.fd(), 2, "CDEF");
            AioFsync s = track(new AioFsync(engine(), f.fd(), AioFsyncMode.O_DSYNC, 1, SigevNotify.none()));
            // A block used once, then closed, and one never used.
            r.submit();
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
            List<Aio> all = List.of(r, w, s);
            for (Aio op : all) {
                op.close();
                op.close(); // a no-op
                assertFalse(op.inProgress());
                assertThrows(IllegalStateException.class, op::submit, "submit() after close()");
                assertThrows(IllegalStateException.class, op::error, "error() after close()");
                assertThrows(IllegalStateException.class, op::aioReturn, "aioReturn() after close()");
                assertThrows(IllegalStateException.class, op::cancel, "cancel() after close()");
                assertThrows(IllegalStateException.class, () -> op.setSigevNotify(SigevNotify.none()));
                assertEquals(f.fd(), op.fd());
                assertSame(engine(), op.engine());
            }
            for (Aio op : List.<Aio>of(r, w)) {
                assertThrows(IllegalStateException.class,
                        () -> Aio.lioListio(LioMode.LIO_NOWAIT, List.of(op), SigevNotify.none()));
            }
            assertThrows(IllegalStateException.class, () -> r.setOffset(0));
            assertThrows(IllegalStateException.class, () -> r.setBuffer(buffer(4)));
            assertThrows(IllegalStateException.class, () -> w.setOffset(0));
            assertThrows(IllegalStateException.class, () -> w.setBuffer(segment("zz")));
            // Accessors still answer.
            assertEquals(2, r.offset());
            assertEquals(4, r.nbytes());
            assertEquals(3, r.priority());
            assertEquals(sev, r.sigevNotify());
            assertEquals(rbuf.address(), r.buffer().address());
            assertEquals(2, w.offset());
            assertEquals(4, w.nbytes());
            assertEquals(AioFsyncMode.O_DSYNC, s.mode());
            assertEquals(1, s.priority());
            assertEquals("abcdef123456", fileContent(f));
        }

        /** One write block and one read block serve 300 operations each, re-aimed between them. */
        @Test
        void reuseOneBlockForManyOperations() throws Exception {
            AioFile f = tempfile();
            final int rounds = 300;
            MemorySegment[] wbufs = {segment("0123"), segment("4567"), segment("89ab")};
            AioWrite w = track(new AioWrite(engine(), f.fd(), 0, wbufs[0], 0, SigevNotify.none()));
            for (int i = 0; i < rounds; i++) {
                assertFalse(w.inProgress());
                w.setOffset(4L * i);
                w.setBuffer(wbufs[i % 3]);
                assertEquals(4L * i, w.offset());
                w.submit();
                assertTrue(w.inProgress());
                assertEquals(Errno.SUCCESS, poll(w));
                assertEquals(4, w.aioReturn());
            }
            assertFalse(w.inProgress());
            String expected = "012345678 9ab".replace(" ", "").repeat(rounds / 3);
            assertEquals(expected, fileContent(f));

            MemorySegment small = buffer(2);
            MemorySegment big = buffer(4);
            AioRead r = track(new AioRead(engine(), f.fd(), 0, big, 0, SigevNotify.none()));
            for (int i = rounds - 1; i >= 0; i--) {
                boolean half = i % 2 == 0;
                r.setBuffer(half ? small : big);
                r.setOffset(4L * i);
                assertEquals(half ? 2 : 4, r.nbytes());
                if (i % 3 == 0) {
                    Aio.lioListio(LioMode.LIO_WAIT, List.of(r), SigevNotify.none());
                } else {
                    r.submit();
                    assertEquals(Errno.SUCCESS, poll(r));
                }
                assertEquals(half ? 2 : 4, r.aioReturn());
                String want = expected.substring(4 * i, 4 * i + (half ? 2 : 4));
                assertEquals(want, str(r.buffer()), "round " + i);
            }
        }

        /** A block whose operation failed is idle after aioReturn and works once re-aimed. */
        @Test
        void reuseAfterAFailedOperation() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioRead r = newRead(f.fd(), -1, 4);
            try {
                r.submit();
                assertEquals(Errno.EINVAL, poll(r));
                assertAioException(Errno.EINVAL, r::aioReturn);
            } catch (AioException e) {
                assertEquals(Errno.EINVAL, e.errno());
            }
            assertFalse(r.inProgress());
            r.setOffset(2);
            r.submit();
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
            assertEquals("cdef", str(r.buffer()));
        }

        /**
         * close() of an in-progress block cancels, waits for the operation to end, then frees; once
         * it has returned nothing writes to the block's buffer.
         */
        @Test
        void closeOfAnInProgressBlockWaitsThenNeverTouchesItsBuffer() throws Exception {
            Pipe p = pipe();
            MemorySegment buf = buffer(4);
            AioRead r = track(new AioRead(engine(), p.readFd(), 0, buf, 0, SigevNotify.none()));
            r.submit();
            assertStaysInProgress(r);
            assertCloseNeverLetsThePendingReadTouchItsBufferAfterwards(p, buf, r::close);
            assertFalse(r.inProgress());
            assertThrows(IllegalStateException.class, r::submit);
            r.close();
        }
    }

    /**
     * {@code aio_reqprio}: 0 to 20 are accepted, and anything else fails at submit with
     * {@code EINVAL}, for reads, writes and fsyncs alike (glibc checks reads and writes only).
     */
    @Nested
    @Tag("Priorities")
    class Priorities {
        /**
         * Priorities outside 0..20 fail at submit with EINVAL on every engine. glibc checks this for
         * reads and writes, but silently resets an aio_fsync's priority to 0, so the posix engine must
         * check fsync itself.
         */
        @Test
        void priorityOutOfRangeFailsAtSubmitWithEinval() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            for (int priority : new int[] {21, -1, Integer.MAX_VALUE}) {
                List<Aio> ops = List.of(
                        track(new AioRead(engine(), f.fd(), 2, buffer(4), priority, SigevNotify.none())),
                        newWrite(f.fd(), 0, "ZZ", priority),
                        track(new AioFsync(engine(), f.fd(), AioFsyncMode.O_SYNC, priority, SigevNotify.none())));
                for (Aio op : ops) {
                    String what = op.getClass().getSimpleName() + " with priority " + priority;
                    AioException e = assertThrows(AioException.class, op::submit, what);
                    assertEquals(Errno.EINVAL, e.errno(), what);
                    assertFalse(op.inProgress(), what);
                    assertEquals(Errno.EINVAL, op.error(), what);
                    assertEquals(priority, op.priority(), what);
                }
            }
            Thread.sleep(20);
            assertEquals(INITIAL, fileContent(f), "no write with a bad priority may happen");
        }

        @Test
        void priorityBoundsAreAccepted() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioWrite low = newWrite(f.fd(), 0, "AB", 0);
            AioWrite high = newWrite(f.fd(), 10, "YZ", 20);
            AioFsync sync = track(new AioFsync(engine(), f.fd(), AioFsyncMode.O_DSYNC, 20, SigevNotify.none()));
            low.submit();
            high.submit();
            assertEquals(Errno.SUCCESS, poll(low));
            assertEquals(Errno.SUCCESS, poll(high));
            sync.submit();
            assertEquals(Errno.SUCCESS, poll(sync));
            assertEquals(2, low.aioReturn());
            assertEquals(2, high.aioReturn());
            assertEquals(0, sync.aioReturn());
            assertEquals("ABcdef1234YZ", fileContent(f));
        }
    }

    /**
     * {@code lio_listio}: {@code LIO_WAIT} returns once every operation of the list is complete,
     * {@code LIO_NOWAIT} returns at once and notifies (a signal or a callback) once all are; the
     * seed's three examples and nix's list tests, a list marking every operation in progress until it
     * is returned, empty lists, and null entries, which are ignored as POSIX ignores null pointers in
     * the list.
     */
    @Nested
    @Tag("Lists")
    class Lists {
        /** Seed example 1: LIO_WAIT, then aioReturn at once; no polling needed. */
        @Test
        void seedLioWaitSingleWrite() throws Exception {
            AioFile f = tempfile();
            AioWrite aiow = newWrite(f.fd(), 2, INITIAL);
            Aio.lioListio(LioMode.LIO_WAIT, List.of(aiow), SigevNotify.none());
            // At this point, we are guaranteed that aiow is complete.
            assertEquals(INITIAL.length(), aiow.aioReturn());
            assertEquals("\0\0" + INITIAL, fileContent(f));
        }

        /** Seed example 2: LIO_NOWAIT, then poll each operation's error() every 10 ms. */
        @Test
        void seedLioNowaitPolling() throws Exception {
            AioFile f = tempfile();
            AioWrite aiow = newWrite(f.fd(), 2, INITIAL);
            Aio.lioListio(LioMode.LIO_NOWAIT, List.of(aiow), SigevNotify.none());
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (aiow.error() == Errno.EINPROGRESS) {
                assertTrue(System.nanoTime() - deadline < 0, "still in progress after " + PATIENCE);
                Thread.sleep(10);
            }
            assertEquals(INITIAL.length(), aiow.aioReturn());
            assertEquals("\0\0" + INITIAL, fileContent(f));
        }

        /**
         * Seed example 3: LIO_NOWAIT with SIGUSR2 as the list's notification; once the signal came,
         * every operation is complete.
         */
        @Test
        void seedLioNowaitSignalWhenAllDone() throws Exception {
            int before = Usr2.install();
            AioFile f = tempfile();
            AioWrite aiow = newWrite(f.fd(), 2, INITIAL);
            Aio.lioListio(LioMode.LIO_NOWAIT, List.of(aiow), SigevNotify.signal(Signal.SIGUSR2, 0));
            Usr2.awaitAfter(before, PATIENCE);
            // At this point, since lioListio returned and delivered its notification, we know
            // that all operations are complete.
            assertEquals(Errno.SUCCESS, aiow.error());
            assertEquals(INITIAL.length(), aiow.aioReturn());
            assertEquals("\0\0" + INITIAL, fileContent(f));
        }

        /**
         * nix's removed test_liocb_listio_wait (before 0.25): a write of "CDEF"@2 and a read of 4
         * bytes @8 in one LIO_WAIT list; both are complete when it returns.
         */
        @Test
        void nixLiocbListioWait() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioWrite w = newWrite(f.fd(), 2, "CDEF");
            AioRead r = newRead(f.fd(), 8, 4);
            Aio.lioListio(LioMode.LIO_WAIT, List.of(w, r), SigevNotify.none());
            assertEquals(Errno.SUCCESS, w.error());
            assertEquals(Errno.SUCCESS, r.error());
            assertEquals(4, w.aioReturn());
            assertEquals(4, r.aioReturn());
            assertEquals("3456", str(r.buffer()));
            assertEquals("abCDEF123456", fileContent(f));
        }

        /** nix's removed test_liocb_listio_nowait: the same list, LIO_NOWAIT, then polling. */
        @Test
        void nixLiocbListioNowait() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioWrite w = newWrite(f.fd(), 2, "CDEF");
            AioRead r = newRead(f.fd(), 8, 4);
            Aio.lioListio(LioMode.LIO_NOWAIT, List.of(w, r), SigevNotify.none());
            assertEquals(Errno.SUCCESS, poll(w));
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, w.aioReturn());
            assertEquals(4, r.aioReturn());
            assertEquals("3456", str(r.buffer()));
            assertEquals("abCDEF123456", fileContent(f));
        }

        /** nix's removed test_liocb_listio_signal: the same list with SIGUSR2 when all are done. */
        @Test
        void nixLiocbListioSignal() throws Exception {
            int before = Usr2.install();
            AioFile f = tempfileWith(INITIAL);
            AioWrite w = newWrite(f.fd(), 2, "CDEF");
            AioRead r = newRead(f.fd(), 8, 4);
            Aio.lioListio(LioMode.LIO_NOWAIT, List.of(w, r), SigevNotify.signal(Signal.SIGUSR2, 0));
            Usr2.awaitAfter(before, PATIENCE);
            assertEquals(Errno.SUCCESS, w.error(), "the list's signal comes after every operation completed");
            assertEquals(Errno.SUCCESS, r.error(), "the list's signal comes after every operation completed");
            assertEquals(4, w.aioReturn());
            assertEquals(4, r.aioReturn());
            assertEquals("3456", str(r.buffer()));
            assertEquals("abCDEF123456", fileContent(f));
        }

        /** Unlike nix's lio_listio, which forgets to: a list marks every operation it queued. */
        @Test
        void lioListioMarksEveryOperationInProgressUntilReturned() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioWrite w = newWrite(f.fd(), 2, "CDEF");
            AioRead r = newRead(f.fd(), 8, 4);
            Aio.lioListio(LioMode.LIO_WAIT, List.of(w, r), SigevNotify.none());
            assertTrue(w.inProgress());
            assertTrue(r.inProgress());
            assertEquals(4, w.aioReturn());
            assertFalse(w.inProgress());
            assertTrue(r.inProgress());
            assertEquals(4, r.aioReturn());
            assertFalse(r.inProgress());
        }

        @Test
        void emptyListsReturnAtOnceAndNotify() throws Exception {
            for (AioEngine e : List.of(engine(), AioEngine.defaultEngine())) {
                long t0 = System.nanoTime();
                e.lioListio(LioMode.LIO_WAIT, List.of(), SigevNotify.none());
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "LIO_WAIT of nothing returns at once");
                CountDownLatch fired = new CountDownLatch(1);
                AtomicLong value = new AtomicLong();
                e.lioListio(LioMode.LIO_NOWAIT, List.of(), SigevNotify.thread(77, v -> {
                    value.set(v);
                    fired.countDown();
                }));
                assertTrue(fired.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS),
                        "LIO_NOWAIT of nothing notifies at once");
                assertEquals(77, value.get());
            }
            Aio.lioListio(LioMode.LIO_WAIT, List.of(), SigevNotify.none());
            CountDownLatch fired = new CountDownLatch(1);
            Aio.lioListio(LioMode.LIO_NOWAIT, List.of(), SigevNotify.thread(1, v -> fired.countDown()));
            assertTrue(fired.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS));
        }

        /**
         * POSIX ignores null pointers in the lists of lio_listio and aio_suspend; so does jaio, in
         * both calls and at every position. A list of nothing but nulls is an empty list.
         */
        @Test
        void nullEntriesInListsAreIgnoredAtEveryPosition() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            for (int position = 0; position < 3; position++) {
                for (LioMode mode : LioMode.values()) {
                    AioRead a = newRead(f.fd(), 0, 2);
                    AioRead b = newRead(f.fd(), 2, 2);
                    List<AioRead> list = new ArrayList<>(List.of(a, b));
                    list.add(position, null);
                    CountDownLatch fired = new CountDownLatch(1);
                    Aio.lioListio(mode, list, mode == LioMode.LIO_NOWAIT
                            ? SigevNotify.thread(0, v -> fired.countDown()) : SigevNotify.none());
                    if (mode == LioMode.LIO_NOWAIT) {
                        assertTrue(fired.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS));
                    }
                    assertTrue(Aio.aioSuspend(list, PATIENCE));
                    suspendUntilAllDone(List.of(a, b));
                    assertEquals(2, a.aioReturn());
                    assertEquals(2, b.aioReturn());
                    assertEquals("ab", str(a.buffer()));
                    assertEquals("cd", str(b.buffer()));
                    assertTrue(engine().aioSuspend(list, Duration.ZERO), "idle blocks end a wait at once");
                }
            }
            List<Aio> nulls = Arrays.asList(null, null);
            Aio.lioListio(LioMode.LIO_WAIT, nulls, SigevNotify.none());
            engine().lioListio(LioMode.LIO_WAIT, nulls, SigevNotify.none());
            CountDownLatch fired = new CountDownLatch(1);
            engine().lioListio(LioMode.LIO_NOWAIT, nulls, SigevNotify.thread(0, v -> fired.countDown()));
            assertTrue(fired.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Aio.aioSuspend(nulls, PATIENCE));
            assertTrue(e.getMessage().contains("null entries are ignored"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> engine().aioSuspend(nulls, PATIENCE));
        }
    }

    /**
     * What {@code lio_listio} refuses, and lists that fail part-way. A list that breaks jaio's rules
     * (an fsync in it, a block twice, blocks of two engines, a block already in progress) is refused
     * whole and nothing is queued. A block that cannot be queued (a bad priority) is named by {@code
     * notQueued()} while the others run, as glibc's {@code lio_listio} enqueues what it can and goes
     * on, then fails with {@code EINVAL} ({@code LIO_NOWAIT}) or {@code EIO} ({@code LIO_WAIT}); a bad
     * descriptor is not a queuing error on Linux.
     */
    @Nested
    @Tag("ListErrors")
    class ListErrors {
        /** POSIX lio_listio has no fsync opcode, and nix forbids AioFsync in a list too. */
        @Test
        void fsyncInAListIsIllegalArgument() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioWrite w = newWrite(f.fd(), 2, "CDEF");
            AioFsync s = track(new AioFsync(engine(), f.fd(), AioFsyncMode.O_SYNC, 0, SigevNotify.none()));
            for (LioMode mode : LioMode.values()) {
                assertThrows(IllegalArgumentException.class, () -> Aio.lioListio(mode, List.of(w, s), SigevNotify.none()));
                assertThrows(IllegalArgumentException.class, () -> Aio.lioListio(mode, List.of(s), SigevNotify.none()));
            }
            assertNothingSubmitted(f, w, s);
        }

        /** A refused list submits nothing: the blocks stay idle and the file unchanged. */
        static void assertNothingSubmitted(AioFile f, Aio... ops) throws Exception {
            Thread.sleep(20);
            for (Aio op : ops) {
                assertFalse(op.inProgress(), () -> op + " was submitted by a refused list");
                assertEquals(Errno.SUCCESS, op.error());
            }
            assertEquals(INITIAL, fileContent(f));
        }

        @Test
        void sameBlockTwiceInAListIsIllegalArgument() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioWrite w = newWrite(f.fd(), 2, "CDEF");
            AioRead r = newRead(f.fd(), 8, 4);
            for (LioMode mode : LioMode.values()) {
                assertThrows(IllegalArgumentException.class,
                        () -> Aio.lioListio(mode, List.of(w, r, w), SigevNotify.none()));
            }
            assertNothingSubmitted(f, w, r);
        }

        /**
         * A list stamps its blocks to find one listed twice, and stamps are handed out per thread
         * in blocks: a block listed by one thread and then by another, each in its first list, is
         * not taken for a duplicate (two threads must never draw the same stamp).
         */
        @Test
        void aBlockListedByOneThreadThenByAnotherIsNoDuplicate() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioRead r = newRead(f.fd(), 6, 6);
            for (int t = 0; t < 2; t++) {
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread lister = Thread.ofPlatform().start(() -> {
                    try {
                        Aio.lioListio(LioMode.LIO_WAIT, List.of(r), SigevNotify.none());
                        assertEquals(6, r.aioReturn());
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
                lister.join();
                if (failure.get() != null) {
                    throw new AssertionError("the list of thread " + t + " failed", failure.get());
                }
            }
        }

        @Test
        void blocksOfDifferentEnginesInAListAreIllegalArgument() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            try (AioEngine other = AioEngine.open(engine().name())) {
                AioWrite mine = newWrite(f.fd(), 2, "CDEF");
                AioWrite theirs = track(new AioWrite(other, f.fd(), 8, segment("WXYZ"), 0, SigevNotify.none()));
                for (LioMode mode : LioMode.values()) {
                    assertThrows(IllegalArgumentException.class,
                            () -> Aio.lioListio(mode, List.of(mine, theirs), SigevNotify.none()));
                    assertThrows(IllegalArgumentException.class,
                            () -> engine().lioListio(mode, List.of(theirs), SigevNotify.none()));
                }
                assertNothingSubmitted(f, mine, theirs);
                assertThrows(IllegalArgumentException.class, () -> Aio.aioSuspend(List.of(mine, theirs), Duration.ZERO));
                theirs.close();
            }
        }

        @Test
        void inProgressBlockInAListIsIllegalStateAndNothingIsSubmitted() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            Pipe p = pipe();
            AioRead busy = newRead(p.readFd(), 0, 4);
            busy.submit();
            AioWrite fresh = newWrite(f.fd(), 2, "CDEF");
            AioRead fresh2 = newRead(f.fd(), 8, 4);
            for (LioMode mode : LioMode.values()) {
                assertThrows(IllegalStateException.class,
                        () -> Aio.lioListio(mode, List.of(fresh, busy, fresh2), SigevNotify.none()));
            }
            assertNothingSubmitted(f, fresh, fresh2);
            assertEquals("....", str(fresh2.buffer()));
            assertStaysInProgress(busy);
            p.write("wxyz".getBytes(ISO_8859_1));
            assertEquals(Errno.SUCCESS, poll(busy));
            assertEquals(4, busy.aioReturn());
        }

        /**
         * A partly failed list with nulls in it: notQueued() names the blocks (never null), and the
         * positions in messages are those of the list as given.
         */
        @Test
        void nullEntriesDoNotDisturbPartialSubmission() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioWrite good = newWrite(f.fd(), 2, "CDEF");
            AioWrite bad = newWrite(f.fd(), 0, "ZZ", 21);
            AioException e = assertThrows(AioException.class,
                    () -> Aio.lioListio(LioMode.LIO_NOWAIT, Arrays.asList(null, good, null, bad), SigevNotify.none()));
            assertEquals(List.of(bad), e.notQueued());
            suspendUntilAllDone(List.of(good));
            assertEquals(4, good.aioReturn());
            IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
                    () -> Aio.lioListio(LioMode.LIO_WAIT, Arrays.asList(null, good, null, good), SigevNotify.none()));
            assertTrue(dup.getMessage().contains("list element 3"), dup.getMessage());
        }

        /**
         * LIO_NOWAIT with one block that cannot be queued (priority 21): glibc returns -1/EINVAL
         * while the others still run. notQueued() names exactly the bad block; the documented
         * recovery (a new block, since the priority is final) then works.
         */
        @Test
        void partialSubmissionNowait() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioWrite good = newWrite(f.fd(), 2, "CDEF");
            AioWrite bad = newWrite(f.fd(), 0, "ZZ", 21);
            AioRead goodRead = newRead(f.fd(), 8, 4);
            AtomicInteger notified = new AtomicInteger();
            CountDownLatch fired = new CountDownLatch(1);
            AioException e = assertThrows(AioException.class,
                    () -> Aio.lioListio(LioMode.LIO_NOWAIT, List.of(good, bad, goodRead), SigevNotify.thread(7, v -> {
                        notified.incrementAndGet();
                        fired.countDown();
                    })));
            assertEquals(Errno.EINVAL, e.errno(), () -> "errno of " + e);
            assertEquals(1, e.notQueued().size(), () -> "notQueued() = " + e.notQueued());
            assertSame(bad, e.notQueued().get(0));
            assertFalse(bad.inProgress());
            assertEquals(Errno.EINVAL, bad.error());

            assertEquals(Errno.SUCCESS, poll(good));
            assertEquals(Errno.SUCCESS, poll(goodRead));
            assertEquals(4, good.aioReturn());
            assertEquals(4, goodRead.aioReturn());
            assertEquals("3456", str(goodRead.buffer()));
            assertEquals("abCDEF123456", fileContent(f));
            // glibc still fires the list's notification once the queued operations are done, so a
            // program waiting for it does not hang after a partial submission.
            assertTrue(fired.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS), "the list notification did not fire");
            Thread.sleep(50);
            assertEquals(1, notified.get(), "the list notification fires once");

            AioWrite fixed = newWrite(f.fd(), 0, "ZZ", 0);
            Aio.lioListio(LioMode.LIO_NOWAIT, List.of(fixed), SigevNotify.none());
            assertEquals(Errno.SUCCESS, poll(fixed));
            assertEquals(2, fixed.aioReturn());
            assertEquals("ZZCDEF123456", fileContent(f));
        }

        /** As above with LIO_WAIT: glibc waits for every queued operation, then says EIO. */
        @Test
        void partialSubmissionWait() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioWrite good = newWrite(f.fd(), 2, "CDEF");
            AioRead goodRead = newRead(f.fd(), 8, 4);
            AioWrite bad = newWrite(f.fd(), 0, "ZZ", 21);
            AioException e = assertThrows(AioException.class,
                    () -> Aio.lioListio(LioMode.LIO_WAIT, List.of(good, goodRead, bad), SigevNotify.none()));
            assertEquals(Errno.EIO, e.errno(), () -> "errno of " + e);
            assertEquals(1, e.notQueued().size(), () -> "notQueued() = " + e.notQueued());
            assertSame(bad, e.notQueued().get(0));
            assertFalse(bad.inProgress());
            assertEquals(Errno.EINVAL, bad.error());
            // LIO_WAIT waited for everything that was queued.
            assertEquals(Errno.SUCCESS, good.error());
            assertEquals(Errno.SUCCESS, goodRead.error());
            assertTrue(good.inProgress());
            assertEquals(4, good.aioReturn());
            assertEquals(4, goodRead.aioReturn());
            assertEquals("3456", str(goodRead.buffer()));
            assertEquals("abCDEF123456", fileContent(f));

            AioWrite fixed = newWrite(f.fd(), 0, "ZZ", 0);
            Aio.lioListio(LioMode.LIO_WAIT, List.of(fixed), SigevNotify.none());
            assertEquals(2, fixed.aioReturn());
            assertEquals("ZZCDEF123456", fileContent(f));
        }

        /**
         * A bad descriptor is not a queuing error on Linux: glibc queues the write and its worker
         * fails it, so LIO_WAIT reports EIO (an operation returned -1), the bad operation EBADF, and
         * nothing is left unqueued [measured in the reference: bad-fd write + good read gives EIO].
         */
        @Test
        void badDescriptorInAListWait() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioRead good = newRead(f.fd(), 8, 4);
            AioWrite bad = newWrite(unusedFd(), 0, "xy");
            AioWrite good2 = newWrite(f.fd(), 2, "CDEF");
            AioException e = assertThrows(AioException.class,
                    () -> Aio.lioListio(LioMode.LIO_WAIT, List.of(good, bad, good2), SigevNotify.none()));
            assertEquals(Errno.EIO, e.errno(), () -> "errno of " + e);
            assertEquals(List.of(), e.notQueued());
            assertTrue(bad.inProgress(), "the bad write was queued and must still be returned");
            assertEquals(Errno.EBADF, bad.error());
            assertAioException(Errno.EBADF, bad::aioReturn);
            assertFalse(bad.inProgress());
            assertEquals(Errno.SUCCESS, good.error());
            assertEquals(4, good.aioReturn());
            assertEquals("3456", str(good.buffer()));
            assertEquals(4, good2.aioReturn());
            assertEquals("abCDEF123456", fileContent(f));
        }

        /** The same list with LIO_NOWAIT: everything is queued, so lioListio succeeds. */
        @Test
        void badDescriptorInAListNowait() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioRead good = newRead(f.fd(), 8, 4);
            AioWrite bad = newWrite(unusedFd(), 0, "xy");
            Aio.lioListio(LioMode.LIO_NOWAIT, List.of(good, bad), SigevNotify.none());
            assertEquals(Errno.EBADF, poll(bad));
            assertAioException(Errno.EBADF, bad::aioReturn);
            assertEquals(Errno.SUCCESS, poll(good));
            assertEquals(4, good.aioReturn());
            assertEquals("3456", str(good.buffer()));
        }
    }

    /**
     * {@code aio_suspend} and {@code LIO_WAIT}: a wait returns once one of its operations is complete
     * (at once for complete or returned ones) or returns false when its timeout passes; an empty list
     * is refused; an interrupted wait ends with {@code EINTR}, the thread's interrupt status kept and
     * its operations still running.
     */
    @Nested
    @Tag("Waiting")
    class Waiting {
        /** nix 20, test_aio_suspend: a write and a read, waited for with aioSuspend. */
        @Test
        void nix20AioSuspend() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioWrite wcb = newWrite(f.fd(), 2, "CDEFG");
            AioRead rcb = newRead(f.fd(), 8, 4);
            wcb.submit();
            rcb.submit();
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (wcb.error() == Errno.EINPROGRESS || rcb.error() == Errno.EINPROGRESS) {
                assertTrue(System.nanoTime() - deadline < 0, "still in progress after " + PATIENCE);
                Aio.aioSuspend(List.of(wcb, rcb), Duration.ofSeconds(10));
            }
            assertEquals(5, wcb.aioReturn());
            assertEquals(4, rcb.aioReturn());
            assertEquals("3456", str(rcb.buffer()));
            assertEquals("abCDEFG23456", fileContent(f));
        }

        @Test
        void aioSuspendOfAnEmptyListIsIllegalArgument() {
            assertThrows(IllegalArgumentException.class, () -> Aio.aioSuspend(List.of(), Duration.ofSeconds(1)));
            assertThrows(IllegalArgumentException.class, () -> Aio.aioSuspend(List.of(), null));
            assertThrows(IllegalArgumentException.class, () -> engine().aioSuspend(List.of(), Duration.ZERO));
        }

        @Test
        void aioSuspendTimesOutWithFalse() throws Exception {
            Pipe p = pipe();
            AioRead r = newRead(p.readFd(), 0, 4);
            r.submit();
            long t0 = System.nanoTime();
            assertFalse(Aio.aioSuspend(List.of(r), Duration.ofMillis(100)));
            long waited = System.nanoTime() - t0;
            assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(90), () -> "returned after " + waited / 1_000_000 + " ms");
            assertFalse(engine().aioSuspend(List.of(r), Duration.ZERO), "a zero timeout polls");
            assertEquals(Errno.EINPROGRESS, r.error());
            p.write("wxyz".getBytes(ISO_8859_1));
            assertTrue(Aio.aioSuspend(List.of(r), PATIENCE));
            assertEquals(Errno.SUCCESS, r.error());
            assertEquals(4, r.aioReturn());
        }

        @Test
        void aioSuspendReturnsTrueForAlreadyCompleteOrReturnedBlocks() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            Pipe p = pipe();
            AioRead pending = newRead(p.readFd(), 0, 4);
            pending.submit();
            AioRead done = newRead(f.fd(), 2, 4);
            done.submit();
            assertEquals(Errno.SUCCESS, poll(done));
            long t0 = System.nanoTime();
            assertTrue(Aio.aioSuspend(List.of(pending, done), PATIENCE));
            assertTrue(Aio.aioSuspend(List.of(pending, done), null));
            assertTrue(Aio.aioSuspend(List.of(pending, done), Duration.ZERO));
            assertEquals(4, done.aioReturn());
            assertTrue(Aio.aioSuspend(List.of(pending, done), Duration.ofSeconds(5)),
                    "a returned block is not in progress");
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "none of these may wait");
            assertEquals(Errno.EINPROGRESS, pending.error());
        }

        @Test
        void aioSuspendWakesWhenOneCompletes() throws Exception {
            Pipe p1 = pipe();
            Pipe p2 = pipe();
            AioRead r1 = newRead(p1.readFd(), 0, 4);
            AioRead r2 = newRead(p2.readFd(), 0, 4);
            Aio.lioListio(LioMode.LIO_NOWAIT, List.of(r1, r2), SigevNotify.none());
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread writer = startThread("pipe-writer", () -> {
                Thread.sleep(100);
                p2.write("wxyz".getBytes(ISO_8859_1));
            }, failure);
            long t0 = System.nanoTime();
            assertTrue(Aio.aioSuspend(List.of(r1, r2), PATIENCE));
            long waited = System.nanoTime() - t0;
            join(writer);
            assertEquals(null, failure.get());
            assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(50), () -> "woke after " + waited / 1_000_000 + " ms");
            assertEquals(Errno.SUCCESS, r2.error());
            assertEquals(Errno.EINPROGRESS, r1.error());
            assertEquals(4, r2.aioReturn());
            assertEquals("wxyz", str(r2.buffer()));
            p1.write("abcd".getBytes(ISO_8859_1));
            assertTrue(Aio.aioSuspend(List.of(r1), PATIENCE));
            assertEquals(4, r1.aioReturn());
        }

        @Test
        void aioSuspendHonoursInterrupt() throws Exception {
            Pipe p = pipe();
            AioRead r = newRead(p.readFd(), 0, 4);
            r.submit();
            AtomicReference<AioException> caught = new AtomicReference<>();
            AtomicBoolean stillInterrupted = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread waiter = startThread("suspender", () -> {
                try {
                    Aio.aioSuspend(List.of(r), null);
                } catch (AioException e) {
                    caught.set(e);
                    stillInterrupted.set(Thread.currentThread().isInterrupted());
                }
            }, failure);
            Thread.sleep(100);
            assertTrue(waiter.isAlive(), "aioSuspend must wait while the read is pending");
            waiter.interrupt();
            join(waiter);
            assertEquals(null, failure.get());
            assertNotNull(caught.get(), "an interrupted aioSuspend throws AioException");
            assertEquals(Errno.EINTR, caught.get().errno());
            assertTrue(stillInterrupted.get(), "the interrupt status stays set");
            // Nothing was lost: the read goes on and can be finished.
            assertStaysInProgress(r);
            p.write("wxyz".getBytes(ISO_8859_1));
            assertTrue(Aio.aioSuspend(List.of(r), PATIENCE));
            assertEquals(4, r.aioReturn());
            assertEquals("wxyz", str(r.buffer()));
        }

        @Test
        void aioSuspendOfAnAlreadyInterruptedThreadThrowsEintr() throws Exception {
            Pipe p = pipe();
            AioRead r = newRead(p.readFd(), 0, 4);
            r.submit();
            Thread.currentThread().interrupt();
            try {
                assertAioException(Errno.EINTR, () -> Aio.aioSuspend(List.of(r), PATIENCE));
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status stays set");
            } finally {
                Thread.interrupted();
            }
            p.write("wxyz".getBytes(ISO_8859_1));
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
        }

        @Test
        void lioWaitHonoursInterrupt() throws Exception {
            Pipe p = pipe();
            AioFile f = tempfileWith(INITIAL);
            AioRead r = newRead(p.readFd(), 0, 4);
            AioWrite w = newWrite(f.fd(), 2, "CDEF");
            AtomicReference<AioException> caught = new AtomicReference<>();
            AtomicBoolean stillInterrupted = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread waiter = startThread("lio-waiter", () -> {
                try {
                    Aio.lioListio(LioMode.LIO_WAIT, List.of(w, r), SigevNotify.none());
                } catch (AioException e) {
                    caught.set(e);
                    stillInterrupted.set(Thread.currentThread().isInterrupted());
                }
            }, failure);
            Thread.sleep(100);
            assertTrue(waiter.isAlive(), "LIO_WAIT must wait while the read is pending");
            waiter.interrupt();
            join(waiter);
            assertEquals(null, failure.get());
            assertNotNull(caught.get(), "an interrupted LIO_WAIT throws AioException");
            assertEquals(Errno.EINTR, caught.get().errno());
            assertTrue(stillInterrupted.get(), "the interrupt status stays set");
            assertEquals(List.of(), caught.get().notQueued(), "everything was queued before the interrupt");
            // The operations go on.
            assertTrue(w.inProgress());
            assertEquals(Errno.SUCCESS, poll(w));
            assertEquals(4, w.aioReturn());
            assertStaysInProgress(r);
            p.write("wxyz".getBytes(ISO_8859_1));
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
            assertEquals("wxyz", str(r.buffer()));
            assertEquals("abCDEF123456", fileContent(f));
        }
    }

    /**
     * Waits on virtual threads: a virtual thread waiting in {@code aio_suspend} or {@code LIO_WAIT}
     * leaves its carrier to others, honours interrupts, and many waiting at once each see their own
     * I/O.
     */
    @Nested
    @Tag("VirtualThreads")
    class VirtualThreads {
        /**
         * Waits must not hold a virtual thread's carrier: with the default scheduler (one carrier
         * per CPU), twice as many virtual threads as CPUs wait, in {@code aioSuspend} and in
         * {@code LIO_WAIT}, for reads of empty pipes, while one more virtual thread sleeps 1 ms a
         * hundred times; it must get a carrier and finish long before the reads can complete. Then
         * the pipes are fed and every wait ends. (A wait that sits in native code keeps its carrier:
         * the sleeper then never runs.)
         */
        @Test
        void waitingVirtualThreadsLeaveTheirCarriersToOthers() throws Exception {
            int n = 2 * Runtime.getRuntime().availableProcessors();
            List<Pipe> fed = new ArrayList<>();
            List<AioRead> reads = new ArrayList<>();
            List<Thread> waiters = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int i = 0; i < n; i++) {
                Pipe p = pipe();
                AioRead r = newRead(p.readFd(), 0, 1);
                fed.add(p);
                reads.add(r);
                boolean suspend = i % 2 == 0;
                if (suspend) {
                    r.submit();
                }
                waiters.add(Thread.ofVirtual().name("jaio-contract-waiter-" + i).start(() -> {
                    try {
                        if (suspend) {
                            assertTrue(Aio.aioSuspend(List.of(r), null), "aioSuspend without a timeout returns true");
                        } else {
                            Aio.lioListio(LioMode.LIO_WAIT, List.of(r), SigevNotify.none());
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                }));
            }
            Thread.sleep(200); // every waiter that can get a carrier is waiting now
            Thread sleeper = Thread.ofVirtual().name("jaio-contract-sleeper").start(() -> {
                try {
                    for (int i = 0; i < 100; i++) {
                        Thread.sleep(1);
                    }
                } catch (InterruptedException e) {
                    failure.set(e);
                }
            });
            boolean sleeperFinished = sleeper.join(PATIENCE);
            for (Pipe p : fed) {
                p.write(new byte[] {'x'});
            }
            for (Thread t : waiters) {
                join(t);
            }
            assertTrue(sleeperFinished, () -> n + " virtual threads waiting for I/O starved a virtual thread that sleeps"
                    + " 1 ms 100 times for " + PATIENCE + ": the waits hold their carriers");
            assertEquals(null, failure.get());
            for (AioRead r : reads) {
                assertEquals(Errno.SUCCESS, r.error());
                assertEquals(1, r.aioReturn());
                assertEquals("x", str(r.buffer()));
            }
        }

        /**
         * A virtual thread waiting in {@code aioSuspend} and one in {@code LIO_WAIT} are interrupted:
         * both throw EINTR, keep their interrupt status, and the reads go on.
         */
        @Test
        void virtualThreadWaitsHonourInterrupt() throws Exception {
            Pipe p = pipe();
            AioRead suspended = newRead(p.readFd(), 0, 4);
            AioRead listed = newRead(p.readFd(), 0, 4);
            suspended.submit();
            List<AtomicReference<Errno>> caught = List.of(new AtomicReference<>(), new AtomicReference<>());
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Step> waits = List.of(() -> Aio.aioSuspend(List.of(suspended), null),
                    () -> Aio.lioListio(LioMode.LIO_WAIT, List.of(listed), SigevNotify.none()));
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Step wait = waits.get(i);
                AtomicReference<Errno> out = caught.get(i);
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        wait.run();
                    } catch (AioException e) {
                        out.set(Thread.currentThread().isInterrupted() ? e.errno() : Errno.SUCCESS);
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                }));
            }
            Thread.sleep(100);
            for (Thread t : threads) {
                assertTrue(t.isAlive(), "the wait must go on while the reads are pending");
                t.interrupt();
            }
            for (Thread t : threads) {
                join(t);
            }
            assertEquals(null, failure.get());
            for (AtomicReference<Errno> e : caught) {
                assertEquals(Errno.EINTR, e.get(), "EINTR, with the interrupt status still set");
            }
            assertStaysInProgress(suspended);
            assertStaysInProgress(listed);
            p.write("wxyzWXYZ".getBytes(ISO_8859_1));
            suspendUntilAllDone(List.of(suspended, listed));
            assertEquals(4, suspended.aioReturn());
            assertEquals(4, listed.aioReturn());
        }

        /**
         * Many virtual threads wait at once, each for its own short lists of reads of one file, over
         * and over, and close their blocks right after: every wait ends with the right bytes (the
         * posix engine hands these waits to a watcher thread; this runs its registering, waking and
         * freeing paths many times).
         */
        @Test
        void manyVirtualThreadsWaitingAtOnceEachSeeTheirOwnIo() throws Exception {
            int threads = 16;
            int rounds = 50;
            AioFile f = tempfile();
            byte[] content = new byte[4096];
            for (int i = 0; i < content.length; i++) {
                content[i] = (byte) ('a' + i % 26);
            }
            writeFile(f.fd(), content);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                workers.add(Thread.ofVirtual().name("jaio-contract-vwaiter-" + t).start(() -> {
                    try (Arena scope = Arena.ofShared()) {
                        for (int round = 0; round < rounds; round++) {
                            int offset = (id * 131 + round * 17) % (content.length - 8);
                            try (AioRead a = new AioRead(engine(), f.fd(), offset, scope.allocate(4), 0, SigevNotify.none());
                                    AioRead b = new AioRead(engine(), f.fd(), offset + 4, scope.allocate(4), 0,
                                            SigevNotify.none())) {
                                if (round % 2 == 0) {
                                    Aio.lioListio(LioMode.LIO_WAIT, List.of(a, b), SigevNotify.none());
                                } else {
                                    a.submit();
                                    b.submit();
                                    for (Aio op : List.of(a, b)) {
                                        while (op.error() == Errno.EINPROGRESS) {
                                            Aio.aioSuspend(List.of(a, b), PATIENCE);
                                        }
                                    }
                                }
                                assertEquals(4, a.aioReturn());
                                assertEquals(4, b.aioReturn());
                                byte[] got = new byte[8];
                                MemorySegment.copy(a.buffer(), JAVA_BYTE, 0, got, 0, 4);
                                MemorySegment.copy(b.buffer(), JAVA_BYTE, 0, got, 4, 4);
                                assertArrayEquals(Arrays.copyOfRange(content, offset, offset + 8), got,
                                        "thread " + id + ", round " + round);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread t : workers) {
                join(t);
            }
            assertEquals(null, failure.get());
        }
    }

    /**
     * {@code aio_cancel}: an operation queued behind a running one on its descriptor is canceled
     * ({@code AIO_CANCELED}, then {@code ECANCELED} at once); a running one may go on ({@code
     * AIO_NOTCANCELED}) and completes; idle, complete and returned blocks answer {@code AIO_ALLDONE};
     * a descriptor that is not open is {@code EBADF}; a canceled block can be used again. A test that
     * needs a queued read first occupies the engine with {@link
     * EngineUnderTest#parallelOperationsPerDescriptor()} reads of an empty pipe.
     */
    @Nested
    @Tag("Cancel")
    class Cancel {
        /**
         * nix 5, aio_read::cancel. nix ignores both results; here they must be consistent: a
         * canceled read ends with ECANCELED and aioReturn throws it, otherwise it read "cdef".
         */
        @Test
        void nix05ReadCancel() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioRead op = newRead(f.fd(), 2, 4);
            op.submit();
            AioCancelStat stat = op.cancel();
            assertNotNull(stat);
            assertCancelOutcome(stat, op, () -> assertEquals("cdef", str(op.buffer())));
        }

        /**
         * After a cancel of a single operation that returned {@code stat}: ECANCELED exactly when it
         * was canceled; otherwise it ran to success and {@code onSuccess} checks what it did.
         */
        static void assertCancelOutcome(AioCancelStat stat, Aio op, Step onSuccess) throws Exception {
            Errno e = poll(op);
            if (stat == AioCancelStat.AIO_CANCELED) {
                assertEquals(Errno.ECANCELED, e, "a canceled operation ends with ECANCELED");
            } else {
                assertEquals(Errno.SUCCESS, e, () -> "after " + stat + " the operation runs to completion");
            }
            if (e == Errno.SUCCESS) {
                assertTrue(op.aioReturn() > 0);
                onSuccess.run();
            } else {
                assertAioException(Errno.ECANCELED, op::aioReturn);
            }
            assertFalse(op.inProgress(), "aioReturn() ends the operation, whatever its outcome");
        }

        /** nix 12, aio_write::cancel, with the outcome checked for consistency. */
        @Test
        void nix12WriteCancel() throws Exception {
            AioFile f = tempfile();
            AioWrite op = newWrite(f.fd(), 0, "CDEF");
            op.submit();
            Errno err = op.error();
            assertTrue(err == Errno.SUCCESS || err == Errno.EINPROGRESS, () -> "error() right after submit: " + err);
            AioCancelStat stat = op.cancel();
            assertNotNull(stat);
            assertCancelOutcome(stat, op, () -> assertEquals("CDEF", fileContent(f)));
            if (stat == AioCancelStat.AIO_CANCELED) {
                assertEquals("", fileContent(f), "a canceled write writes nothing");
            }
        }

        /** nix 19, test_aio_cancel_all: as nix 12, through the engine's aioCancelAll(fd). */
        @Test
        void nix19AioCancelAll() throws Exception {
            AioFile f = tempfile();
            AioWrite op = newWrite(f.fd(), 0, "CDEF");
            op.submit();
            Errno err = op.error();
            assertTrue(err == Errno.SUCCESS || err == Errno.EINPROGRESS, () -> "error() right after submit: " + err);
            AioCancelStat stat = engine().aioCancelAll(f.fd());
            assertNotNull(stat);
            assertCancelOutcome(stat, op, () -> assertEquals("CDEF", fileContent(f)));
        }

        @Test
        void errorBeforeSubmitIsSuccessAndCancelOfIdleBlockIsAllDone() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioRead r = newRead(f.fd(), 2, 4);
            assertEquals(Errno.SUCCESS, r.error());
            assertEquals(AioCancelStat.AIO_ALLDONE, r.cancel());
            assertFalse(r.inProgress());
            r.submit();
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(AioCancelStat.AIO_ALLDONE, r.cancel(), "cancel() of a complete, unreturned operation");
            assertEquals(Errno.SUCCESS, r.error(), "cancel() must not change a final status");
            assertEquals(4, r.aioReturn());
            assertEquals(AioCancelStat.AIO_ALLDONE, r.cancel(), "cancel() of a returned operation");
            assertEquals("cdef", str(r.buffer()));
        }

        /**
         * glibc never interrupts a running syscall (AIO_NOTCANCELED) but cancels a request queued
         * behind it on the same descriptor (AIO_CANCELED, status ECANCELED at once). Engines that run
         * several operations of one descriptor at once get that many blocked reads in front instead
         * of one ({@link AioEngineContract#parallelOperationsPerDescriptor()}).
         */
        @Test
        void cancelOfAReadQueuedBehindABlockedOne() throws Exception {
            Pipe p = pipe();
            List<AioRead> running = occupyWithBlockedReads(p);
            AioRead queued = newRead(p.readFd(), 0, 4);
            queued.submit();
            assertStaysInProgress(queued);

            assertEquals(AioCancelStat.AIO_CANCELED, queued.cancel());
            assertEquals(Errno.ECANCELED, queued.error(), "the status is ECANCELED once cancel() said AIO_CANCELED");
            assertTrue(queued.inProgress(), "a canceled operation must still be returned");
            assertAioException(Errno.ECANCELED, queued::aioReturn);
            assertFalse(queued.inProgress());
            assertEquals("....", str(queued.buffer()));

            List<AioRead> notCanceled = new ArrayList<>();
            for (AioRead r : running) {
                AioCancelStat stat = r.cancel();
                assertTrue(stat == AioCancelStat.AIO_NOTCANCELED || stat == AioCancelStat.AIO_CANCELED, stat::toString);
                if (stat == AioCancelStat.AIO_NOTCANCELED) {
                    notCanceled.add(r);
                } else {
                    assertEquals(Errno.ECANCELED, r.error());
                    assertAioException(Errno.ECANCELED, r::aioReturn);
                }
            }
            for (AioRead r : notCanceled) {
                assertEquals(Errno.EINPROGRESS, r.error(), "AIO_NOTCANCELED: it goes on");
            }
            p.write("wxyz".repeat(notCanceled.size()).getBytes(ISO_8859_1));
            for (AioRead r : notCanceled) {
                assertEquals(Errno.SUCCESS, poll(r));
                assertEquals(4, r.aioReturn());
                assertEquals("wxyz", str(r.buffer()));
            }
        }

        /**
         * Three reads of an empty pipe (behind as many blocked ones as the engine runs at once on one
         * descriptor): the second and the third are only queued, so canceling them answers
         * AIO_CANCELED, as glibc's own {@code aio_cancel} does; POSIX keeps AIO_NOTCANCELED for
         * operations in progress. Canceling the second must not hold up the third (glibc 2.36 strands
         * a descriptor's queue when its head is canceled at the wrong moment), and the first goes on
         * and completes when the pipe is fed. (LTP open_posix aio_cancel 3-1 and 5-1 do the same.)
         */
        @Test
        void cancelOfReadsQueuedBehindTheFirstOfThreeOnAnEmptyPipe() throws Exception {
            Pipe p = pipe();
            List<AioRead> running = occupyWithBlockedReads(p);
            AioRead first = running.getLast();
            AioRead second = newRead(p.readFd(), 0, 4);
            AioRead third = newRead(p.readFd(), 0, 4);
            second.submit();
            third.submit();
            assertStaysInProgress(third);

            assertEquals(AioCancelStat.AIO_CANCELED, second.cancel(), "the second of three, only queued");
            assertEquals(Errno.ECANCELED, second.error());
            assertStaysInProgress(third);
            assertStaysInProgress(first);
            assertEquals(AioCancelStat.AIO_CANCELED, third.cancel(), "the third of three, only queued");
            assertEquals(Errno.ECANCELED, third.error());
            assertAioException(Errno.ECANCELED, second::aioReturn);
            assertAioException(Errno.ECANCELED, third::aioReturn);
            assertEquals("....", str(second.buffer()));
            assertEquals("....", str(third.buffer()));

            assertEquals(Errno.EINPROGRESS, first.error(), "the first still runs");
            p.write("wxyz".repeat(running.size()).getBytes(ISO_8859_1));
            for (AioRead r : running) {
                assertEquals(Errno.SUCCESS, poll(r));
                assertEquals(4, r.aioReturn());
                assertEquals("wxyz", str(r.buffer()));
            }
        }

        /**
         * Canceling the middle one of three queued reads leaves the one behind it queued, and it runs
         * when its turn comes: the cancel strands nothing.
         */
        @Test
        void cancelOfAMiddleQueuedReadLeavesTheOneBehindItToRun() throws Exception {
            Pipe p = pipe();
            List<AioRead> running = occupyWithBlockedReads(p);
            AioRead middle = newRead(p.readFd(), 0, 4);
            AioRead last = newRead(p.readFd(), 0, 4);
            middle.submit();
            last.submit();
            assertStaysInProgress(last);
            assertEquals(AioCancelStat.AIO_CANCELED, middle.cancel());
            assertAioException(Errno.ECANCELED, middle::aioReturn);
            p.write("wxyz".repeat(running.size() + 1).getBytes(ISO_8859_1));
            for (AioRead r : running) {
                assertEquals(Errno.SUCCESS, poll(r));
                assertEquals(4, r.aioReturn());
            }
            assertEquals(Errno.SUCCESS, poll(last), "the read behind the canceled one must run");
            assertEquals(4, last.aioReturn());
            assertEquals("wxyz", str(last.buffer()));
        }

        /** A canceled block is idle again after aioReturn and can be re-aimed and submitted again. */
        @Test
        void canceledBlockCanBeReused() throws Exception {
            Pipe p = pipe();
            List<AioRead> blockers = occupyWithBlockedReads(p);
            AioRead r = newRead(p.readFd(), 0, 4);
            r.submit();
            assertEquals(AioCancelStat.AIO_CANCELED, r.cancel(), "a read queued behind blocked ones");
            assertAioException(Errno.ECANCELED, r::aioReturn);
            assertFalse(r.inProgress());
            MemorySegment fresh = buffer(4);
            r.setBuffer(fresh);
            r.setOffset(0);
            r.submit();
            assertStaysInProgress(r);
            Set<String> sent = new HashSet<>();
            StringBuilder data = new StringBuilder();
            for (int i = 0; i <= blockers.size(); i++) {
                String chunk = String.format(Locale.ROOT, "%04d", i);
                sent.add(chunk);
                data.append(chunk);
            }
            p.write(data.toString().getBytes(ISO_8859_1));
            Set<String> got = new HashSet<>();
            for (AioRead b : blockers) {
                assertEquals(Errno.SUCCESS, poll(b));
                assertEquals(4, b.aioReturn());
                got.add(str(b.buffer()));
            }
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
            got.add(str(fresh));
            assertEquals(sent, got, "the reused block read its share of the pipe");
        }

        @Test
        void aioCancelAllWithNothingPendingIsAllDone() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            assertEquals(AioCancelStat.AIO_ALLDONE, engine().aioCancelAll(f.fd()));
            assertEquals(AioCancelStat.AIO_ALLDONE, Aio.aioCancelAll(f.fd()), "the default engine's");
            AioRead r = newRead(f.fd(), 2, 4);
            r.submit();
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(AioCancelStat.AIO_ALLDONE, engine().aioCancelAll(f.fd()), "only a complete operation on fd");
            assertEquals(4, r.aioReturn());
            assertEquals(AioCancelStat.AIO_ALLDONE, engine().aioCancelAll(f.fd()));
        }

        @Test
        void aioCancelAllOnAPipeWithWaitingReads() throws Exception {
            Pipe p = pipe();
            AioRead a = newRead(p.readFd(), 0, 4);
            AioRead b = newRead(p.readFd(), 0, 4);
            a.submit();
            Thread.sleep(20);
            b.submit();
            assertStaysInProgress(b);
            AioCancelStat stat = engine().aioCancelAll(p.readFd());
            assertNotEquals(AioCancelStat.AIO_ALLDONE, stat, "two reads were waiting");
            p.write("wxyzWXYZ".getBytes(ISO_8859_1));
            p.closeWriteEnd();
            int canceled = 0;
            for (AioRead op : List.of(a, b)) {
                Errno e = poll(op);
                if (e == Errno.ECANCELED) {
                    canceled++;
                    assertAioException(Errno.ECANCELED, op::aioReturn);
                } else {
                    assertEquals(Errno.SUCCESS, e);
                    op.aioReturn();
                }
            }
            if (stat == AioCancelStat.AIO_CANCELED) {
                assertEquals(2, canceled, "AIO_CANCELED means every operation was canceled");
            } else {
                assertTrue(canceled < 2, "AIO_NOTCANCELED means at least one was not canceled");
            }
        }

        /**
         * POSIX {@code aio_cancel}: EBADF when {@code fildes} is not a valid descriptor. glibc checks
         * it first, with {@code fcntl}, before it looks for any request; every engine answers alike,
         * for a descriptor never opened as for a negative one.
         */
        @Test
        void aioCancelAllOnADescriptorThatIsNotOpenIsEbadf() throws Exception {
            int unused = unusedFd();
            for (int fd : new int[] {unused, -1, Integer.MIN_VALUE}) {
                AioException e = assertAioException(Errno.EBADF, () -> engine().aioCancelAll(fd));
                assertTrue(String.valueOf(e.getMessage()).contains("aio_cancel"), () -> "names the call: " + e);
            }
            assertAioException(Errno.EBADF, () -> Aio.aioCancelAll(unused));
        }

        /**
         * {@code aio_cancel(fd, aiocb)} with a descriptor that is not open is EBADF too, as glibc
         * answers whatever the block's state (it checks the descriptor before the block): for a block
         * never submitted, and for one whose descriptor was closed after its operation completed.
         */
        @Test
        void cancelOfABlockWhoseDescriptorIsNotOpenIsEbadf() throws Exception {
            AioRead idle = newRead(unusedFd(), 0, 4);
            assertAioException(Errno.EBADF, idle::cancel);
            assertFalse(idle.inProgress(), "a refused cancel changes nothing");

            AioFile f = tempfileWith(INITIAL);
            AioRead done = newRead(f.fd(), 2, 4);
            done.submit();
            assertEquals(Errno.SUCCESS, poll(done));
            f.close();
            assertAioException(Errno.EBADF, done::cancel);
            assertTrue(done.inProgress(), "the completed operation still waits for aioReturn");
            assertEquals(4, done.aioReturn());
            assertEquals("cdef", str(done.buffer()));
        }
    }

    /**
     * Call order where POSIX requires it: with {@code O_APPEND}, writes append in the order of the
     * calls; on a descriptor without offsets (here a pipe) reads and writes happen in call order.
     * Randomized; each test prints its seed ({@code -Djaio.test.seed=SEED} repeats a run).
     */
    @Nested
    @Tag("CallOrder")
    class CallOrder {
        /** Rounds of the order tests: an engine that runs them side by side swaps two within a few. */
        static final int ORDER_ROUNDS = 200;

        /** Operations per round of the order tests, all submitted before any is waited for. */
        static final int ORDER_BURST = 4;

        /**
         * POSIX {@code aio_write}: "If O_APPEND is set for the file descriptor, write operations
         * append to the file in the same order as the calls were made." Each round submits a burst
         * of records of random lengths (offset 0, which O_APPEND overrides) before waiting for any;
         * the file must hold every record in call order.
         */
        @Test
        void appendWritesLandInCallOrder() throws Exception {
            long seed = seed("appendWritesLandInCallOrder");
            Random rnd = new Random(seed);
            Path path = tempDir().resolve("log");
            paths.add(path);
            StringBuilder expected = new StringBuilder();
            try (AioFile f = AioFile.open(path, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND)) {
                List<AioWrite> burst = new ArrayList<>();
                for (int i = 0; i < ORDER_BURST; i++) {
                    burst.add(newWrite(f.fd(), 0, "-"));
                }
                for (int round = 0; round < ORDER_ROUNDS; round++) {
                    for (int i = 0; i < ORDER_BURST; i++) {
                        String record = round + "." + i + ":" + "x".repeat(rnd.nextInt(1, 200)) + "\n";
                        expected.append(record);
                        AioWrite w = burst.get(i);
                        w.setBuffer(segment(record));
                        w.submit();
                    }
                    suspendUntilAllDone(burst);
                    for (AioWrite w : burst) {
                        assertEquals(w.nbytes(), w.aioReturn());
                    }
                }
            }
            assertSameRecords(expected.toString(), Files.readString(path, ISO_8859_1), seed);
        }

        /** Compares two texts of newline-ended records and names the first record out of place. */
        static void assertSameRecords(String expected, String actual, long seed) {
            if (expected.equals(actual)) {
                return;
            }
            String[] want = expected.split("\n");
            String[] got = actual.split("\n");
            for (int i = 0; i < Math.min(want.length, got.length); i++) {
                if (!want[i].equals(got[i])) {
                    fail("seed " + seed + ": record " + i + " is " + prefix(got[i]) + ", expected " + prefix(want[i])
                            + ": operations ran out of call order");
                }
            }
            fail("seed " + seed + ": " + got.length + " records, expected " + want.length);
        }

        private static String prefix(String record) {
            int colon = record.indexOf(':');
            return colon < 0 ? record : record.substring(0, colon);
        }

        /**
         * POSIX: on a descriptor without offsets (a FIFO, here a pipe) operations happen in call
         * order. Each round submits a burst of writes of one record each, then reads the pipe:
         * the records must come out in call order.
         */
        @Test
        void pipeWritesStayInCallOrder() throws Exception {
            long seed = seed("pipeWritesStayInCallOrder");
            Random rnd = new Random(seed);
            Pipe p = pipe();
            List<AioWrite> burst = new ArrayList<>();
            for (int i = 0; i < ORDER_BURST; i++) {
                burst.add(newWrite(p.writeFd(), 0, "-"));
            }
            for (int round = 0; round < ORDER_ROUNDS; round++) {
                StringBuilder expected = new StringBuilder();
                for (int i = 0; i < ORDER_BURST; i++) {
                    String record = round + "." + i + ":" + "x".repeat(rnd.nextInt(1, 64)) + "\n";
                    expected.append(record);
                    AioWrite w = burst.get(i);
                    w.setBuffer(segment(record));
                    w.submit();
                }
                suspendUntilAllDone(burst);
                for (AioWrite w : burst) {
                    assertEquals(w.nbytes(), w.aioReturn());
                }
                assertSameRecords(expected.toString(), new String(p.read(expected.length()), ISO_8859_1), seed);
            }
        }

        /**
         * The same with a pipe that is full when the writes are submitted, so that every one of them
         * has to wait for room: emptied, the pipe must still receive them in call order.
         */
        @Test
        void writesToAFullPipeStayInCallOrder() throws Exception {
            long seed = seed("writesToAFullPipeStayInCallOrder");
            Random rnd = new Random(seed);
            Pipe p = pipe();
            int capacity = p.capacity();
            byte[] filler = new byte[capacity];
            List<AioWrite> burst = new ArrayList<>();
            for (int i = 0; i < ORDER_BURST; i++) {
                burst.add(newWrite(p.writeFd(), 0, "-"));
            }
            for (int round = 0; round < ORDER_ROUNDS / 4; round++) {
                p.write(filler);
                StringBuilder expected = new StringBuilder();
                for (int i = 0; i < ORDER_BURST; i++) {
                    String record = round + "." + i + ":" + "x".repeat(rnd.nextInt(1, 64)) + "\n";
                    expected.append(record);
                    AioWrite w = burst.get(i);
                    w.setBuffer(segment(record));
                    w.submit();
                }
                p.read(capacity);
                suspendUntilAllDone(burst);
                for (AioWrite w : burst) {
                    assertEquals(w.nbytes(), w.aioReturn());
                }
                assertSameRecords(expected.toString(), new String(p.read(expected.length()), ISO_8859_1), seed);
            }
        }

        /**
         * The reading side of the same rule: a burst of reads waits on an empty pipe, then one write
         * feeds all of them at once; the first read submitted must get the first bytes, and so on.
         */
        @Test
        void pipeReadsStayInCallOrder() throws Exception {
            long seed = seed("pipeReadsStayInCallOrder");
            Random rnd = new Random(seed);
            Pipe p = pipe();
            int size = 8;
            List<AioRead> burst = new ArrayList<>();
            for (int i = 0; i < ORDER_BURST; i++) {
                burst.add(newRead(p.readFd(), 0, size));
            }
            for (int round = 0; round < ORDER_ROUNDS; round++) {
                StringBuilder feed = new StringBuilder();
                for (AioRead r : burst) {
                    r.submit();
                    feed.append(String.format(Locale.ROOT, "%0" + size + "d", rnd.nextInt(100_000_000)));
                }
                p.write(feed.toString().getBytes(ISO_8859_1));
                suspendUntilAllDone(burst);
                StringBuilder got = new StringBuilder();
                for (AioRead r : burst) {
                    assertEquals(size, r.aioReturn());
                    got.append(str(r.buffer()));
                }
                assertEquals(feed.toString(), got.toString(), () -> "seed " + seed + ": reads ran out of call order");
            }
        }
    }

    /**
     * {@code sigevent}: {@code SIGEV_SIGNAL} per operation; {@code SIGEV_THREAD} as a callback that
     * gets its value on another thread once the status is final; a list's own notification once,
     * after every operation of the list, and none for a {@code LIO_WAIT} list; a callback that throws
     * harms neither the JVM nor the engine.
     */
    @Nested
    @Tag("Notification")
    class Notification {
        /**
         * nix 18, sigev_signal: a per-operation SIGUSR2. Like nix, it relies on the status being
         * final when the signal arrives (glibc notifies after storing it).
         */
        @Test
        void nix18SigevSignal() throws Exception {
            int before = Usr2.install();
            AioFile f = tempfileWith(INITIAL);
            AioWrite op = newWrite(f.fd(), 2, "CDEF", SigevNotify.signal(Signal.SIGUSR2, 0));
            op.submit();
            Usr2.awaitAfter(before, PATIENCE);
            assertEquals(Errno.SUCCESS, op.error(), "the status is final when the signal arrives");
            assertEquals(4, op.aioReturn());
            assertEquals("abCDEF123456", fileContent(f));
        }

        @Test
        void threadNotificationGetsItsValueOnAnotherThreadAfterCompletion() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            CountDownLatch fired = new CountDownLatch(1);
            AtomicLong value = new AtomicLong();
            AtomicReference<Thread> thread = new AtomicReference<>();
            AtomicReference<Errno> statusSeen = new AtomicReference<>();
            AtomicReference<AioWrite> self = new AtomicReference<>();
            AioWrite w = newWrite(f.fd(), 2, "CDEF", SigevNotify.thread(0x1234_5678_9ABCL, v -> {
                value.set(v);
                thread.set(Thread.currentThread());
                statusSeen.set(self.get().error());
                fired.countDown();
            }));
            self.set(w);
            w.submit();
            assertTrue(fired.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS), "the callback was not called");
            assertEquals(0x1234_5678_9ABCL, value.get());
            assertNotSame(Thread.currentThread(), thread.get(), "the callback runs on a thread not the submitter's");
            assertEquals(Errno.SUCCESS, statusSeen.get(), "the status is final when the callback runs");
            assertEquals(4, w.aioReturn());
            assertEquals("abCDEF123456", fileContent(f));
        }

        @Test
        void throwingCallbackNeitherKillsTheJvmNorStopsTheEngine() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            CountDownLatch thrown = new CountDownLatch(1);
            AioWrite w = newWrite(f.fd(), 2, "CDEF", SigevNotify.thread(1, v -> {
                thrown.countDown();
                throw new IllegalStateException("thrown on purpose by a jaio contract test; ignore");
            }));
            w.submit();
            assertTrue(thrown.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS));
            assertEquals(Errno.SUCCESS, poll(w));
            assertEquals(4, w.aioReturn());
            // The engine, and notification, go on working.
            for (int i = 0; i < 3; i++) {
                CountDownLatch fired = new CountDownLatch(1);
                AioRead r = newRead(f.fd(), 8, 4, SigevNotify.thread(2, v -> fired.countDown()));
                r.submit();
                assertTrue(fired.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS), "callback after a throwing one");
                assertEquals(Errno.SUCCESS, poll(r));
                assertEquals(4, r.aioReturn());
                assertEquals("3456", str(r.buffer()));
            }
            CountDownLatch listFired = new CountDownLatch(1);
            AioWrite w2 = newWrite(f.fd(), 0, "AB");
            Aio.lioListio(LioMode.LIO_NOWAIT, List.of(w2), SigevNotify.thread(3, v -> {
                listFired.countDown();
                throw new IllegalStateException("thrown on purpose by a jaio contract test; ignore");
            }));
            assertTrue(listFired.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS));
            assertEquals(Errno.SUCCESS, poll(w2));
            assertEquals(2, w2.aioReturn());
            assertEquals("ABCDEF123456", fileContent(f));
        }

        /**
         * A list notification fires exactly once, after every operation of the list is complete;
         * the operations' own notifications fire too, once each (glibc since 2.4).
         */
        @Test
        void listNotificationFiresOnceAfterEveryOperation() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            Pipe p = pipe();
            AtomicInteger perOp = new AtomicInteger();
            AioWrite w = newWrite(f.fd(), 2, "CDEF", SigevNotify.thread(10, v -> perOp.incrementAndGet()));
            AioRead r = newRead(f.fd(), 8, 4, SigevNotify.thread(11, v -> perOp.incrementAndGet()));
            AioRead slow = newRead(p.readFd(), 0, 4, SigevNotify.thread(12, v -> perOp.incrementAndGet()));
            List<Aio> list = List.of(w, r, slow);
            AtomicInteger listCalls = new AtomicInteger();
            AtomicLong listValue = new AtomicLong();
            AtomicBoolean allFinalWhenFired = new AtomicBoolean();
            CountDownLatch fired = new CountDownLatch(1);
            Aio.lioListio(LioMode.LIO_NOWAIT, list, SigevNotify.thread(99, v -> {
                boolean allFinal = true;
                for (Aio op : list) {
                    allFinal &= op.error() != Errno.EINPROGRESS;
                }
                allFinalWhenFired.set(allFinal);
                listValue.set(v);
                listCalls.incrementAndGet();
                fired.countDown();
            }));
            assertEquals(Errno.SUCCESS, poll(w));
            assertEquals(Errno.SUCCESS, poll(r));
            Thread.sleep(100);
            assertEquals(0, listCalls.get(), "the list notification waits for its slowest operation");
            p.write("wxyz".getBytes(ISO_8859_1));
            assertTrue(fired.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS), "the list notification did not fire");
            assertTrue(allFinalWhenFired.get(), "every status is final when the list notification fires");
            assertEquals(99, listValue.get());
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (perOp.get() < 3 && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
            Thread.sleep(100);
            assertEquals(1, listCalls.get(), "the list notification fires exactly once");
            assertEquals(3, perOp.get(), "each operation's own notification fires once");
            assertEquals(4, w.aioReturn());
            assertEquals(4, r.aioReturn());
            assertEquals(4, slow.aioReturn());
            assertEquals("wxyz", str(slow.buffer()));
            assertEquals("3456", str(r.buffer()));
        }

        /**
         * POSIX {@code lio_listio}: with {@code LIO_WAIT} "the sig argument shall be ignored". Neither
         * a signal nor a thread notification of a {@code LIO_WAIT} list may ever fire (glibc in C
         * fires none); the operations' own notifications are not the list's and are not involved.
         */
        @Test
        void lioWaitIgnoresTheListNotification() throws Exception {
            int before = Usr2.install();
            AioFile f = tempfileWith(INITIAL);
            AtomicInteger calls = new AtomicInteger();
            AioWrite w = newWrite(f.fd(), 2, "CDEF");
            AioRead r = newRead(f.fd(), 8, 4);
            Aio.lioListio(LioMode.LIO_WAIT, List.of(w), SigevNotify.signal(Signal.SIGUSR2, 7));
            Aio.lioListio(LioMode.LIO_WAIT, List.of(r), SigevNotify.thread(8, v -> calls.incrementAndGet()));
            assertEquals(4, w.aioReturn());
            assertEquals(4, r.aioReturn());
            Thread.sleep(200); // long after any notification would have come
            assertEquals(0, calls.get(), "the thread notification of a LIO_WAIT list must not run");
            assertEquals(before, Usr2.received(), "the signal of a LIO_WAIT list must not be sent");
            assertEquals("3456", str(r.buffer()));
            assertEquals("abCDEF123456", fileContent(f));
        }

        /** setSigevNotify on an idle block changes what the next submit notifies. */
        @Test
        void setSigevNotifyAppliesToTheNextSubmit() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AtomicInteger calls = new AtomicInteger();
            AtomicLong lastValue = new AtomicLong();
            AioRead r = newRead(f.fd(), 2, 4);
            r.submit();
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
            CountDownLatch fired = new CountDownLatch(1);
            SigevNotify sev = SigevNotify.thread(5, v -> {
                lastValue.set(v);
                calls.incrementAndGet();
                fired.countDown();
            });
            r.setSigevNotify(sev);
            assertEquals(sev, r.sigevNotify());
            r.submit();
            assertTrue(fired.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS));
            assertEquals(5, lastValue.get());
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
            r.setSigevNotify(SigevNotify.none());
            r.submit();
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
            Thread.sleep(50);
            assertEquals(1, calls.get(), "no callback once the notification was set back to none()");
        }

        /**
         * setSigevNotify on an idle block also applies to its next submission in a list and to an
         * fsync's next submission (the posix engine writes the aiocb's sigevent at submission).
         */
        @Test
        void setSigevNotifyAppliesToTheNextListSubmissionAndFsync() throws Exception {
            AioFile f = tempfileWith(INITIAL);
            AioRead r = newRead(f.fd(), 2, 4);
            AioFsync sync = track(new AioFsync(engine(), f.fd(), AioFsyncMode.O_SYNC, 0, SigevNotify.none()));
            CountDownLatch readFired = new CountDownLatch(1);
            CountDownLatch syncFired = new CountDownLatch(1);
            AtomicLong values = new AtomicLong();
            r.setSigevNotify(SigevNotify.thread(7, v -> {
                values.addAndGet(v);
                readFired.countDown();
            }));
            sync.setSigevNotify(SigevNotify.thread(11, v -> {
                values.addAndGet(v);
                syncFired.countDown();
            }));
            Aio.lioListio(LioMode.LIO_NOWAIT, List.of(r), SigevNotify.none());
            assertTrue(readFired.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS), "the list member's new notification");
            assertEquals(Errno.SUCCESS, poll(r));
            assertEquals(4, r.aioReturn());
            sync.submit();
            assertTrue(syncFired.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS), "the fsync's new notification");
            assertEquals(Errno.SUCCESS, poll(sync));
            assertEquals(0, sync.aioReturn());
            assertEquals(18, values.get());
        }
    }

    /**
     * Blocks reaped by their own notification: callbacks that {@code aio_return} their block and close
     * or resubmit it while {@code lio_listio} may still be queuing the list. Every block is queued
     * once, the list's notification fires once and {@code LIO_WAIT} returns (RELIABILITY.md, row
     * 13).
     */
    @Nested
    @Tag("SelfReapingBlocks")
    class SelfReapingBlocks {
        /** A file of {@code blocks} blocks of {@code size} bytes, block {@code i} filled with byte {@code 'A' + i % 26}. */
        AioFile blockFile(int blocks, int size) throws IOException {
            byte[] data = new byte[blocks * size];
            for (int i = 0; i < blocks; i++) {
                Arrays.fill(data, i * size, (i + 1) * size, (byte) ('A' + i % 26));
            }
            AioFile f = tempfile();
            writeFile(f.fd(), data);
            return f;
        }

        /** What the thread notification of a self-reaping read does with its own block. */
        interface Reaping {
            void reap(AioRead self, int index);
        }

        /**
         * {@code n} reads, read {@code i} of the {@code i}-th {@code size}-byte block of {@code f},
         * each with a thread notification that hands its own block to {@code reaping}.
         */
        AioRead[] selfReapingReads(AioFile f, int n, int size, Reaping reaping) {
            AioRead[] blocks = new AioRead[n];
            for (int i = 0; i < n; i++) {
                blocks[i] = track(new AioRead(engine(), f.fd(), (long) i * size, buffer(size), 0,
                        SigevNotify.thread(i, v -> reaping.reap(blocks[(int) v], (int) v))));
            }
            return blocks;
        }

        /** Fails round {@code round} with what a callback recorded in {@code failure}, if anything. */
        static void rethrowCallbackFailure(AtomicReference<Throwable> failure, int round) {
            if (failure.get() != null) {
                throw new AssertionError("a callback failed in round " + round, failure.get());
            }
        }

        /**
         * The first pattern a Java developer writes: LIO_NOWAIT lists of cached reads whose own
         * thread notification reaps ({@code aioReturn}) and closes its block. Every block is queued
         * and completes; lioListio must not report any of them as "not queued" (so that resubmitting
         * notQueued() would do the I/O twice) nor trip over a block its callback already closed.
         */
        @Test
        void listOfBlocksThatReapAndCloseThemselvesIsQueuedWhole() throws Exception {
            int n = 64;
            int size = 512;
            AioFile f = blockFile(n, size);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int round = 0; round < 100; round++) {
                CountDownLatch reaped = new CountDownLatch(n);
                AioRead[] blocks = selfReapingReads(f, n, size, (self, v) -> {
                    try {
                        assertEquals(size, self.aioReturn());
                        assertEquals('A' + v % 26, self.buffer().get(JAVA_BYTE, size - 1));
                        self.close();
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        reaped.countDown();
                    }
                });
                Aio.lioListio(LioMode.LIO_NOWAIT, List.of(blocks), SigevNotify.none());
                assertTrue(reaped.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS), "round " + round);
                rethrowCallbackFailure(failure, round);
            }
        }

        /**
         * Callbacks that reap their block and submit it again at once (a block reused by its own
         * notification): the list still knows it queued every block, its own notification fires
         * once, and every block reads twice.
         */
        @Test
        void listOfBlocksThatReapAndResubmitThemselves() throws Exception {
            int n = 32;
            int size = 512;
            AioFile f = blockFile(n, size);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int round = 0; round < 50; round++) {
                CountDownLatch secondDone = new CountDownLatch(n);
                AtomicInteger listNotifications = new AtomicInteger();
                int[] completions = new int[n];
                AioRead[] blocks = selfReapingReads(f, n, size, (self, v) -> {
                    try {
                        assertEquals(size, self.aioReturn());
                        if (++completions[v] == 1) {
                            self.setOffset((long) ((v + 1) % n) * size);
                            self.submit();
                        } else {
                            assertEquals('A' + (v + 1) % n % 26, self.buffer().get(JAVA_BYTE, 0));
                            secondDone.countDown();
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                        secondDone.countDown();
                    }
                });
                Aio.lioListio(LioMode.LIO_NOWAIT, List.of(blocks), SigevNotify.thread(round, v -> listNotifications.incrementAndGet()));
                assertTrue(secondDone.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS), "round " + round);
                rethrowCallbackFailure(failure, round);
                long deadline = System.nanoTime() + PATIENCE.toNanos();
                while (listNotifications.get() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                Thread.sleep(5);
                assertEquals(1, listNotifications.get(), "the list's own notification, round " + round);
            }
        }

        /**
         * LIO_WAIT of blocks whose notification reaps them (and closes every other one): the call
         * returns normally once every submission it made is over, though it can no longer ask the
         * blocks for their results, and it never hands a closed block's native state to libc.
         */
        @Test
        void lioWaitOfBlocksThatReapThemselvesReturns() throws Exception {
            int n = 32;
            int size = 512;
            AioFile f = blockFile(n, size);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int round = 0; round < 50; round++) {
                CountDownLatch reaped = new CountDownLatch(n);
                AioRead[] blocks = selfReapingReads(f, n, size, (self, v) -> {
                    try {
                        assertEquals(size, self.aioReturn());
                        if (v % 2 == 1) {
                            self.close(); // while LIO_WAIT may still look at it
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        reaped.countDown();
                    }
                });
                Aio.lioListio(LioMode.LIO_WAIT, List.of(blocks), SigevNotify.none());
                assertTrue(reaped.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS), "round " + round);
                rethrowCallbackFailure(failure, round);
            }
        }
    }

    /**
     * Blocks nothing refers to any more: the engine keeps a block and its memory alive while its I/O is
     * in flight, so a dropped write still lands and no freed memory is ever written, and lets the
     * block go once it is over (nix panics when an in-progress block is dropped).
     */
    @Nested
    @Tag("GarbageCollector")
    class GarbageCollector {
        /**
         * nix 23, test_drop, adapted. nix panics when an in-progress block is dropped; here the
         * engine keeps an unreachable in-flight block alive until its I/O completes, so the write
         * must land even though nothing refers to the block any more.
         */
        @Test
        void nix23DroppedInProgressWriteStillLands() throws Exception {
            AioFile f = tempfileWith("\0\0\0\0\0\0"); // nix: f.set_len(6)
            submitAndForget(engine(), f.fd(), 2, "CDEF".getBytes(ISO_8859_1), null);
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            awaitFileContent(f.fd(), "\0\0CDEF".getBytes(ISO_8859_1));
        }

        /**
         * Submits a write whose block and buffer (from {@code Arena.ofAuto()}) nothing refers to once
         * this method returns, except the weak reference it may add to {@code sample}. EAGAIN is
         * back-pressure that POSIX allows at submit: it retries.
         */
        static void submitAndForget(AioEngine engine, int fd, long offset, byte[] data, List<WeakReference<Aio>> sample)
                throws Exception {
            MemorySegment buf = Arena.ofAuto().allocateFrom(JAVA_BYTE, data);
            AioWrite w = new AioWrite(engine, fd, offset, buf, 0, SigevNotify.none());
            if (sample != null) {
                sample.add(new WeakReference<>(w));
            }
            while (true) {
                try {
                    w.submit();
                    return;
                } catch (AioException e) {
                    if (e.errno() != Errno.EAGAIN) {
                        throw e;
                    }
                    Thread.sleep(1);
                }
            }
        }

        /** Polls the file with plain Java I/O until it holds exactly {@code expected}. */
        static void awaitFileContent(int fd, byte[] expected) throws Exception {
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            byte[] actual;
            while (!Arrays.equals(expected, actual = readFile(fd))) {
                if (System.nanoTime() - deadline > 0) {
                    assertArrayEquals(expected, actual, "file content after " + PATIENCE);
                }
                System.gc();
                Thread.sleep(10);
            }
        }

        /**
         * 10,000 writes from blocks that nothing refers to once submitted (buffers from
         * Arena.ofAuto()), under repeated System.gc(): the engine must keep each alive until its I/O
         * is done, so every byte lands; afterwards it must let them go.
         */
        @Test
        @Timeout(value = 50, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
        void gcStressTenThousandDroppedWrites() throws Exception {
            final int total = 10_000;
            final int batch = 1_000;
            final int width = 8;
            AioFile f = tempfile();
            int fd = f.fd();
            List<WeakReference<Aio>> sample = new ArrayList<>();
            long barrierBase = (long) total * width;
            for (int b = 0; b < total / batch; b++) {
                if (b % 2 == 0) {
                    for (int i = b * batch; i < (b + 1) * batch; i++) {
                        long offset = (long) i * width;
                        submitAndForget(engine(), fd, offset, pattern(offset, width), i % 97 == 0 ? sample : null);
                    }
                } else {
                    listDropped(engine(), fd, b * batch, batch, width, sample);
                }
                System.gc();
                // A waited-for write per batch: keeps the engine busy and bounds how far ahead we run.
                try (AioWrite barrier = new AioWrite(engine(), fd, barrierBase + (long) b * width,
                        Arena.ofAuto().allocateFrom(JAVA_BYTE, pattern(barrierBase + (long) b * width, width)), 0,
                        SigevNotify.none())) {
                    Aio.lioListio(LioMode.LIO_WAIT, List.of(barrier), SigevNotify.none());
                    assertEquals(width, barrier.aioReturn());
                }
            }
            byte[] expected = pattern(0, (int) barrierBase + total / batch * width);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            byte[] actual;
            while (!Arrays.equals(expected, actual = readFile(fd))) {
                if (System.nanoTime() - deadline > 0) {
                    fail(describeMismatch(expected, actual, width));
                }
                System.gc();
                Thread.sleep(20);
            }
            // Every write has landed; the engine must not hold the finished blocks for ever.
            AioRead ping = track(new AioRead(engine(), fd, 0, buffer(1), 0, SigevNotify.none()));
            awaitCleared(sample, () -> { // some engines reap lazily: give them a call to do it in
                Aio.lioListio(LioMode.LIO_WAIT, List.of(ping), SigevNotify.none());
                ping.aioReturn();
            });
        }

        /**
         * Dropped blocks whose I/O stays in flight across several collections: writes to a full pipe
         * cannot complete until the test drains it, so every block is unreachable long before its
         * write runs. Native memory is churned meanwhile, so a buffer or control block freed too
         * early would show up as foreign bytes in the pipe (or as a crash).
         */
        @Test
        void droppedBlocksStayAliveWhileTheirIoWaits() throws Exception {
            final int count = 2_000;
            Pipe p = pipe();
            int capacity = p.capacity();
            byte[] filler = new byte[capacity];
            Arrays.fill(filler, (byte) 'F');
            p.write(filler); // the pipe is full: every write below must wait
            // Submitted from another thread: an engine may hold a submitter back while its queue is
            // full, and only this thread can make room, by draining the pipe.
            List<WeakReference<Aio>> sample = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger submitted = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread submitter = startThread("dropped-writes", () -> {
                for (int i = 0; i < count; i++) {
                    submitAndForget(engine(), p.writeFd(), 0, pipeChunk(i), sample);
                    submitted.incrementAndGet();
                }
            }, failure);
            for (int last = -1; submitter.isAlive() && submitted.get() != last; ) {
                last = submitted.get();
                Thread.sleep(200); // until all are submitted, or the engine holds the submitter back
            }
            assertTrue(submitted.get() > 0, "not one write could be submitted");
            try (Arena junk = Arena.ofShared()) {
                for (int round = 0; round < 5; round++) {
                    System.gc();
                    Thread.sleep(20);
                    for (int k = 0; k < 2_000; k++) {
                        junk.allocate(8).fill((byte) 0xEE); // reuses whatever was freed
                    }
                }
                assertArrayEquals(filler, p.read(capacity));
                byte[] rest = p.read(count * 8);
                // Each 8-byte write is atomic (at most PIPE_BUF), but engines may run them in any order.
                Set<String> expected = new HashSet<>();
                for (int i = 0; i < count; i++) {
                    expected.add(new String(pipeChunk(i), ISO_8859_1));
                }
                Set<String> got = new HashSet<>();
                List<String> foreign = new ArrayList<>();
                for (int off = 0; off < rest.length; off += 8) {
                    String chunk = new String(rest, off, 8, ISO_8859_1);
                    if (!expected.contains(chunk) || !got.add(chunk)) {
                        foreign.add(chunk);
                    }
                }
                assertEquals(List.of(), foreign.subList(0, Math.min(5, foreign.size())),
                        () -> foreign.size() + " of " + count + " writes carried foreign or repeated bytes");
                assertEquals(expected, got);
            }
            join(submitter);
            assertEquals(null, failure.get(), "submitting");
            awaitCleared(List.copyOf(sample), () -> {
            });
        }

        /** The 8 bytes the i-th write of {@link #droppedBlocksStayAliveWhileTheirIoWaits} sends. */
        static byte[] pipeChunk(int i) {
            return String.format(Locale.ROOT, "w%07d", i).getBytes(ISO_8859_1);
        }

        /** Collects until every referent in {@code refs} is gone; {@code nudge} lets a lazy engine reap. */
        static void awaitCleared(List<WeakReference<Aio>> refs, Step nudge) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (refs.stream().anyMatch(ref -> ref.get() != null)) {
                if (System.nanoTime() - deadline > 0) {
                    long alive = refs.stream().filter(ref -> ref.get() != null).count();
                    fail(alive + " of " + refs.size() + " finished, unreachable blocks are still held by the engine");
                }
                nudge.run();
                System.gc();
                Thread.sleep(20);
            }
        }

        /** Bytes derived from their file position, so any misplaced or missing write shows. */
        static byte[] pattern(long position, int length) {
            byte[] b = new byte[length];
            for (int k = 0; k < length; k++) {
                long x = (position + k + 1) * 0x9E3779B97F4A7C15L;
                b[k] = (byte) (x >>> 56 ^ x >>> 29);
            }
            return b;
        }

        static String describeMismatch(byte[] expected, byte[] actual, int width) {
            int n = Math.min(expected.length, actual.length);
            int first = -1;
            int bad = 0;
            for (int i = 0; i < n; i += width) {
                if (!Arrays.equals(expected, i, Math.min(i + width, n), actual, i, Math.min(i + width, n))) {
                    bad++;
                    if (first < 0) {
                        first = i;
                    }
                }
            }
            return "file has " + actual.length + " bytes, expected " + expected.length + "; " + bad
                    + " writes wrong or missing, the first at offset " + first;
        }

        private static void listDropped(AioEngine engine, int fd, int first, int count, int width,
                List<WeakReference<Aio>> sample) throws Exception {
            List<Aio> list = new ArrayList<>(count);
            for (int i = first; i < first + count; i++) {
                long offset = (long) i * width;
                MemorySegment buf = Arena.ofAuto().allocateFrom(JAVA_BYTE, pattern(offset, width));
                AioWrite w = new AioWrite(engine, fd, offset, buf, 0, SigevNotify.none());
                list.add(w);
                if (i % 97 == 0) {
                    sample.add(new WeakReference<>(w));
                }
            }
            while (!list.isEmpty()) {
                try {
                    Aio.lioListio(LioMode.LIO_NOWAIT, list, SigevNotify.none());
                    return;
                } catch (AioException e) {
                    if (e.errno() != Errno.EAGAIN) {
                        throw e;
                    }
                    list = new ArrayList<>(e.notQueued()); // the documented recovery
                    Thread.sleep(1);
                }
            }
        }
    }

    /**
     * Engines are thread-safe: concurrent submitters, through every way of submitting and waiting,
     * agree with a model of the file.
     */
    @Nested
    @Tag("ThreadSafety")
    class ThreadSafety {
        /**
         * Engines are thread-safe: four threads each run random rounds of reads and writes on their
         * own region of one file, through every way of submitting and waiting, and check every read
         * and, at the end, the whole file against a model. Rerun with -Djaio.test.seed=SEED.
         */
        @Test
        void randomizedConcurrentSubmittersAgreeWithAModel() throws Exception {
            long seed = seed("randomizedConcurrentSubmittersAgreeWithAModel");
            final int threads = 4;
            final int region = 1 << 15;
            final int rounds = 60;
            byte[] model = new byte[threads * region];
            new Random(seed).nextBytes(model);
            AioFile f = tempfile();
            writeFile(f.fd(), model);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int base = t * region;
                    Random rnd = new Random(seed + 31L * (t + 1));
                    workers.add(pool.submit(() -> {
                        randomRounds(f.fd(), model, base, region, rounds, rnd);
                        return null;
                    }));
                }
                for (Future<?> w : workers) {
                    try {
                        w.get(25, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw new AssertionError("seed " + seed + ": " + e.getCause(), e.getCause());
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            assertArrayEquals(model, readFile(f.fd()), "seed " + seed);
        }

        /** One submitter's rounds on model[base, base + size), which only it touches. */
        private void randomRounds(int fd, byte[] model, int base, int size, int rounds, Random rnd) throws Exception {
            try (Arena scope = Arena.ofShared()) {
                for (int round = 0; round < rounds; round++) {
                    List<Aio> ops = new ArrayList<>();
                    try {
                        oneRandomRound(fd, model, base, size, round, rnd, scope, ops);
                    } finally {
                        for (Aio op : ops) {
                            op.close(); // waits for anything a failed round left in flight
                        }
                    }
                }
            }
        }

        private void oneRandomRound(int fd, byte[] model, int base, int size, int round, Random rnd, Arena scope,
                List<Aio> ops) throws Exception {
            int k = 1 + rnd.nextInt(6);
            int slot = size / k;
            List<byte[]> expectedReads = new ArrayList<>();
            byte[] after = Arrays.copyOfRange(model, base, base + size);
            for (int i = 0; i < k; i++) {
                int len = 1 + rnd.nextInt(Math.min(slot / 2, 4096));
                int off = i * slot + rnd.nextInt(slot - len + 1);
                if (rnd.nextBoolean()) {
                    byte[] data = new byte[len];
                    rnd.nextBytes(data);
                    System.arraycopy(data, 0, after, off, len);
                    ops.add(new AioWrite(engine(), fd, base + off, scope.allocateFrom(JAVA_BYTE, data),
                            rnd.nextInt(21), SigevNotify.none()));
                    expectedReads.add(null);
                } else {
                    ops.add(new AioRead(engine(), fd, base + off, scope.allocate(len), rnd.nextInt(21),
                            SigevNotify.none()));
                    expectedReads.add(Arrays.copyOfRange(model, base + off, base + off + len));
                }
            }
            switch (rnd.nextInt(4)) {
                case 0 -> Aio.lioListio(LioMode.LIO_WAIT, ops, SigevNotify.none());
                case 1 -> {
                    engine().lioListio(LioMode.LIO_NOWAIT, ops, SigevNotify.none());
                    suspendUntilAllDone(ops);
                }
                case 2 -> {
                    for (Aio op : ops) {
                        op.submit();
                    }
                    for (Aio op : ops) {
                        poll(op);
                    }
                }
                default -> {
                    CountDownLatch done = new CountDownLatch(1);
                    Aio.lioListio(LioMode.LIO_NOWAIT, ops, SigevNotify.thread(round, v -> done.countDown()));
                    assertTrue(done.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS), "list notification");
                }
            }
            for (int i = 0; i < ops.size(); i++) {
                Aio op = ops.get(i);
                assertEquals(Errno.SUCCESS, op.error(), "round " + round);
                long n = op.aioReturn();
                if (op instanceof AioRead r) {
                    assertEquals(r.nbytes(), n, "round " + round);
                    assertArrayEquals(expectedReads.get(i), r.buffer().toArray(JAVA_BYTE), "round " + round);
                } else {
                    assertEquals(((AioWrite) op).nbytes(), n, "round " + round);
                }
                op.close();
            }
            System.arraycopy(after, 0, model, base, size);
        }
    }
}
