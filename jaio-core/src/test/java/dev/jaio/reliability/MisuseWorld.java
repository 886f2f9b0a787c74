package dev.jaio.reliability;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.jaio.Aio;
import dev.jaio.AioCancelStat;
import dev.jaio.AioEngine;
import dev.jaio.AioEngineOptions;
import dev.jaio.AioException;
import dev.jaio.AioFsync;
import dev.jaio.AioFsyncMode;
import dev.jaio.AioRead;
import dev.jaio.AioReadv;
import dev.jaio.AioWrite;
import dev.jaio.AioWritev;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.Signal;
import dev.jaio.contract.Pipe;
import dev.jaio.contract.Usr2;
import dev.jaio.reliability.MisuseStep.AwaitAndReturn;
import dev.jaio.reliability.MisuseStep.Cancel;
import dev.jaio.reliability.MisuseStep.CancelAll;
import dev.jaio.reliability.MisuseStep.Close;
import dev.jaio.reliability.MisuseStep.CloseArena;
import dev.jaio.reliability.MisuseStep.CloseEngine;
import dev.jaio.reliability.MisuseStep.CloseFd;
import dev.jaio.reliability.MisuseStep.Create;
import dev.jaio.reliability.MisuseStep.FeedPipe;
import dev.jaio.reliability.MisuseStep.Interrupted;
import dev.jaio.reliability.MisuseStep.Kind;
import dev.jaio.reliability.MisuseStep.Lio;
import dev.jaio.reliability.MisuseStep.Nulls;
import dev.jaio.reliability.MisuseStep.OnOtherThread;
import dev.jaio.reliability.MisuseStep.Return;
import dev.jaio.reliability.MisuseStep.SetBuffer;
import dev.jaio.reliability.MisuseStep.SetNotify;
import dev.jaio.reliability.MisuseStep.SetOffset;
import dev.jaio.reliability.MisuseStep.Submit;
import dev.jaio.reliability.MisuseStep.Suspend;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The world one misuse sequence runs in, and the judge of every call in it.
 *
 * <p><b>The world.</b> A private engine of the kind under test and a second ("foreign") engine;
 * a table of descriptors (regular files read-write, read-only and {@code O_DIRECT}, a directory,
 * {@code /dev/null}, {@code /dev/zero}, a pipe at end of file, a pipe with no reader, a data file
 * the sequence may close, a closed number, {@code -1}, {@code Integer.MAX_VALUE} and
 * {@code MIN_VALUE}, standard input); of offsets (0, odd, negative, {@code Long.MIN_VALUE},
 * {@code Long.MAX_VALUE}, 1 TiB, 2^62); of buffers (shared, confined, confined to another
 * thread, automatic, global, read-only, heap, overlapping slices, from arenas the sequence may
 * close, empty, 4 MiB, and native segments at address 0 of 16 bytes and of 5 GiB); of priorities,
 * notifications (none, null, a callback, a throwing callback, SIGUSR2) and timeouts. Every
 * descriptor completes every operation promptly, so a hang is a bug, not the test's doing.
 *
 * <p><b>The judge.</b> Each call must return or throw an exception {@code docs/API.md} documents for
 * it ({@link #ALLOWED}); anything else (a {@code WrongThreadException}, an
 * {@code IndexOutOfBoundsException}, an {@code Error}) fails the sequence. A model of each block
 * (in progress or not, closed or not) is kept from the calls' documented effects and compared
 * with {@code inProgress()} after every step; results are checked where they are defined (a
 * byte count never above what was asked; exactly what the read-only file holds; zeros from
 * {@code /dev/zero}; nothing from a pipe at end of file); after the sequence every operation must
 * complete within a bound, the engine must still do correct I/O, and close.
 *
 * <p>Not thread-safe: one sequence, driven by one thread at a time (steps run on another thread
 * are joined before the next).
 */
final class MisuseWorld implements AutoCloseable {
    static final int SLOTS = 4;
    /** How long an operation may take after the sequence before it counts as a hang. */
    static final Duration PATIENCE = Duration.ofSeconds(20);

    static final List<String> FD_NAMES = List.of("data", "read-only file", "O_DIRECT file", "directory", "/dev/null",
            "/dev/zero", "pipe at EOF", "pipe without reader", "closable data file", "closed number", "-1",
            "Integer.MAX_VALUE", "Integer.MIN_VALUE", "stdin", "pipe the world feeds");
    static final int FD_DATA = 0, FD_RDONLY = 1, FD_DIRECT = 2, FD_DIR = 3, FD_NULL = 4, FD_ZERO = 5, FD_PIPE_EOF = 6,
            FD_PIPE_BROKEN = 7, FD_CLOSABLE = 8, FD_CLOSED = 9, FD_STDIN = 13, FD_PIPE_FED = 14;
    /** What the world feeds its pipe with, {@link #FEED_SIZE} bytes at a time, only when it is empty. */
    static final byte FEED_BYTE = 'F';
    static final int FEED_SIZE = 256;

    static final List<Long> OFFSETS = List.of(0L, 1L, 4095L, 4096L, 65_526L, 1L << 20, -1L, -4096L, Long.MIN_VALUE,
            Long.MAX_VALUE, Long.MAX_VALUE - 4095, 1L << 40, 1L << 62);

    static final List<String> BUFFER_NAMES = List.of("shared 4096 aligned", "shared 1 byte", "shared empty",
            "confined 512", "auto 8192", "global 64", "read-only view", "heap", "slice of the first",
            "closable shared 1024", "closable confined 1024", "address 0, 5 GiB", "address 0, 16 bytes",
            "shared 4 MiB", "null", "shared 4096 aligned (2)", "confined to another thread 256");
    static final int BUF_SHARED = 0, BUF_CONFINED = 3, BUF_SLICE = 8, BUF_CLOSABLE_SHARED = 9, BUF_CLOSABLE_CONFINED = 10,
            NULL_HUGE = 11, NULL_SMALL = 12, BUF_NULL = 14, BUF_OTHER_THREAD = 16, BUF_HEAP = 7, BUF_READ_ONLY = 6;

    static final List<Integer> PRIORITIES = List.of(0, 20, 21, -1, Integer.MAX_VALUE);
    static final List<String> NOTIFY_NAMES = List.of("none", "null", "callback", "throwing callback", "SIGUSR2",
            "callback reaping its block", "callback reaping and closing its block",
            "callback reaping and resubmitting its block once");
    /** The first of the notifications whose callback reaps its own block ({@link Reaper}). */
    static final int NOTIFY_REAP = 5, NOTIFY_REAP_CLOSE = 6, NOTIFY_REAP_RESUBMIT = 7;
    static final List<String> TIMEOUT_NAMES = List.of("null (for ever)", "zero", "1 ms", "50 ms", "-1 ms",
            "Long.MAX_VALUE s");
    static final int NULL_CALLS = 12;
    /** Bytes of the read-only file, whose content every read of it is checked against. */
    static final int RDONLY_SIZE = 65_536;

    /** The exceptions each call may throw, per docs/API.md and the Javadoc. */
    enum Call {
        CONSTRUCT(Set.of(IllegalArgumentException.class, NullPointerException.class, IllegalStateException.class)),
        SUBMIT(Set.of(AioException.class, IllegalStateException.class, UnsupportedOperationException.class)),
        ERROR(Set.of(IllegalStateException.class)),
        RETURN(Set.of(AioException.class, IllegalStateException.class)),
        CANCEL(Set.of(AioException.class, IllegalStateException.class)),
        SETTER(Set.of(IllegalStateException.class, IllegalArgumentException.class, NullPointerException.class)),
        CLOSE(Set.of()),
        LIO(Set.of(AioException.class, IllegalArgumentException.class, IllegalStateException.class,
                UnsupportedOperationException.class, NullPointerException.class)),
        SUSPEND(Set.of(AioException.class, IllegalArgumentException.class, NullPointerException.class)),
        CANCEL_ALL(Set.of(AioException.class, IllegalStateException.class)),
        NULLS(Set.of(NullPointerException.class, IllegalStateException.class, IllegalArgumentException.class));

        final Set<Class<? extends Throwable>> allowed;

        Call(Set<Class<? extends Throwable>> allowed) {
            this.allowed = allowed;
        }

        boolean allows(Throwable t) {
            for (Class<? extends Throwable> c : allowed) {
                if (c.isInstance(t)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Counts over every sequence of this JVM, for the summary the fuzzer prints. */
    static final class Stats {
        final AtomicLong sequences = new AtomicLong(), steps = new AtomicLong(), calls = new AtomicLong(),
                dataChecks = new AtomicLong(), completedOps = new AtomicLong(), callbacks = new AtomicLong();
        final Map<String, Long> outcomes = new TreeMap<>();

        synchronized void outcome(String what) {
            outcomes.merge(what, 1L, Long::sum);
        }

        synchronized long count(String what) {
            return outcomes.getOrDefault(what, 0L);
        }

        synchronized String outcomes() {
            return outcomes.toString();
        }
    }

    static final Stats STATS = new Stats();
    /** Allocated once: the global arena never frees. */
    private static final MemorySegment GLOBAL = Arena.global().allocate(64);

    /** What the judge knows of one block. */
    private static final class Block {
        final Aio aio;
        final Kind kind;
        final boolean foreign;
        final int fd;
        int offset;
        List<Integer> buffers;
        /** The segments the block holds (a closable arena's buffer index names a new segment after each close). */
        List<MemorySegment> segments;
        boolean inProgress;
        boolean closed;
        boolean tainted;
        /** The offset and buffers of the submission in flight. */
        long submittedOffset;
        List<Integer> submittedBuffers;
        List<MemorySegment> submittedSegments;
        /** Its notification's callback reaps it ({@code null}: it does not). */
        Reaper reaper;
        /**
         * Submitted with a self-reaping notification whose callbacks have not all run: whether it
         * is in progress (or, for one that closes itself, closed) is up to them.
         */
        boolean async;
        /**
         * A read of the fed pipe whose (first) buffer's shared arena was closed while it was in
         * flight, before the pipe had ever been fed: its data cannot have been delivered.
         */
        volatile boolean mustNotDeliver;

        Block(Aio aio, Kind kind, boolean foreign, int fd, int offset, List<Integer> buffers,
              List<MemorySegment> segments) {
            this.aio = aio;
            this.kind = kind;
            this.foreign = foreign;
            this.fd = fd;
            this.offset = offset;
            this.buffers = buffers;
            this.segments = segments;
        }

        boolean reads() {
            return kind == Kind.READ || kind == Kind.READV;
        }

        @Override
        public String toString() {
            return aio + (foreign ? " (foreign engine)" : "") + " fd=" + FD_NAMES.get(fd);
        }
    }

    /**
     * What a block with a self-reaping notification ({@link #NOTIFY_REAP} and after) shares with
     * its callback: the callback {@code aioReturn()}s the block, checks the result, and then
     * closes it ({@link #NOTIFY_REAP_CLOSE}) or submits it once more ({@link #NOTIFY_REAP_RESUBMIT}).
     */
    private static final class Reaper {
        final int kind;
        volatile Block block;
        /** Submissions made (or being made) whose callback has not finished. */
        final AtomicInteger outstanding = new AtomicInteger();
        /** How many more times the callback resubmits (reset to 1 by each submission of the sequence). */
        final AtomicInteger resubmits = new AtomicInteger();
        /** The sequence reaped, closed or submitted the block itself meanwhile: the callback may find it so. */
        volatile boolean mainTouched;
        volatile boolean closedByCallback;

        Reaper(int kind) {
            this.kind = kind;
        }
    }

    private final String engineName;

    private final AioEngine engine;
    private final AioEngine foreign;
    private volatile boolean engineClosed;
    private final Path dir;
    private final int[] fds = new int[FD_NAMES.size()];
    private final List<Integer> ownFds = new ArrayList<>();
    private final Pipe eofPipe;
    private final Pipe brokenPipe;
    private boolean closableFdClosed;
    private final byte[] rdonlyContent;
    private final Arena shared = Arena.ofShared();
    private final Arena confined = Arena.ofConfined();
    /** The closable shared arena of buffer 9; each {@code CloseArena(0)} closes it and makes a new one. */
    private Arena closableShared = Arena.ofShared();
    private final Pipe fedPipe;
    /** Whether the pipe has ever been fed (after that, any read of it may have got data before its arena closed). */
    private volatile boolean pipeFed;
    /** Set during steps that wait for operations: the feeder then keeps the pipe from staying empty. */
    private volatile boolean feeding;
    private volatile boolean feederStop;
    private final Thread feeder;
    /** What self-reaping callbacks found wrong; thrown by the sequence's thread at the next check. */
    private final ConcurrentLinkedQueue<String> callbackViolations = new ConcurrentLinkedQueue<>();
    private final Arena closableConfined = Arena.ofConfined();
    private final boolean[] arenaClosed = new boolean[2];
    private final Thread owner = Thread.currentThread();
    private final OtherThreadArena otherThreadArena;
    private final MemorySegment[] buffers = new MemorySegment[BUFFER_NAMES.size()];
    private final Block[] slots = new Block[SLOTS];
    /** Blocks replaced in their slot, kept for the final cleanup. */
    private final List<Block> replaced = new ArrayList<>();
    private final AtomicLong callbacks = new AtomicLong();
    private final List<String> log = new ArrayList<>();

    /** A confined arena owned by a thread that lives as long as the world. */
    private static final class OtherThreadArena {
        final CountDownLatch ready = new CountDownLatch(1);
        final CountDownLatch done = new CountDownLatch(1);
        final AtomicReference<MemorySegment> segment = new AtomicReference<>();
        final Thread thread;

        OtherThreadArena() throws InterruptedException {
            thread = Thread.ofPlatform().daemon().name("misuse-arena-owner").start(() -> {
                try (Arena a = Arena.ofConfined()) {
                    segment.set(a.allocate(256));
                    ready.countDown();
                    done.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            ready.await();
        }

        void close() throws InterruptedException {
            done.countDown();
            thread.join();
        }
    }

    MisuseWorld(String engineName) throws IOException, InterruptedException {
        Usr2.install(); // SIGUSR2 notifications must find a handler, or the signal ends the JVM
        this.engineName = engineName;
        this.engine = AioEngine.open(engineName);
        this.foreign = engineName.equals("posix")
                ? AioEngine.open("threads", AioEngineOptions.defaults().withThreads(1)) : AioEngine.open("posix");
        this.dir = Files.createTempDirectory("jaio-misuse-");
        this.rdonlyContent = BlockPattern.bytes(0, 77, RDONLY_SIZE);
        Path data = dir.resolve("data");
        Path rdonly = dir.resolve("read-only");
        Files.write(rdonly, rdonlyContent);
        fds[FD_DATA] = own(LinuxCalls.open(data.toString(), 0100 /* O_CREAT */ | LinuxCalls.O_RDWR | LinuxCalls.O_CLOEXEC));
        fds[FD_RDONLY] = own(LinuxCalls.open(rdonly.toString(), LinuxCalls.O_RDONLY | LinuxCalls.O_CLOEXEC));
        fds[FD_DIRECT] = own(LinuxCalls.open(dir.resolve("direct").toString(),
                0100 | LinuxCalls.O_RDWR | LinuxCalls.O_CLOEXEC | directFlag()));
        fds[FD_DIR] = own(LinuxCalls.open(dir.toString(), LinuxCalls.O_RDONLY | LinuxCalls.O_CLOEXEC));
        fds[FD_NULL] = own(LinuxCalls.open("/dev/null", LinuxCalls.O_RDWR | LinuxCalls.O_CLOEXEC));
        fds[FD_ZERO] = own(LinuxCalls.open("/dev/zero", LinuxCalls.O_RDWR | LinuxCalls.O_CLOEXEC));
        eofPipe = Pipe.open();
        eofPipe.closeWriteEnd();
        fds[FD_PIPE_EOF] = eofPipe.readFd();
        brokenPipe = Pipe.open();
        fds[FD_PIPE_BROKEN] = brokenPipe.writeFd();
        closeReadEnd(brokenPipe);
        fds[FD_CLOSABLE] = farAbove(LinuxCalls.open(dir.resolve("closable").toString(),
                0100 | LinuxCalls.O_RDWR | LinuxCalls.O_CLOEXEC));
        fds[FD_CLOSED] = closedNumber();
        fds[10] = -1;
        fds[11] = Integer.MAX_VALUE;
        fds[12] = Integer.MIN_VALUE;
        fds[FD_STDIN] = 0;
        fedPipe = Pipe.open();
        fds[FD_PIPE_FED] = fedPipe.readFd();
        feeder = Thread.ofPlatform().daemon().name("misuse-pipe-feeder").start(() -> {
            while (!feederStop) {
                if (feeding) {
                    feedIfEmpty();
                }
                LockSupport.parkNanos(1_000_000);
            }
        });
        otherThreadArena = new OtherThreadArena();
        buffers[0] = shared.allocate(4096, 4096);
        buffers[1] = shared.allocate(1);
        buffers[2] = shared.allocate(0);
        buffers[3] = confined.allocate(512);
        buffers[4] = Arena.ofAuto().allocate(8192);
        buffers[5] = GLOBAL;
        buffers[BUF_READ_ONLY] = shared.allocate(256).asReadOnly();
        buffers[BUF_HEAP] = MemorySegment.ofArray(new byte[16]);
        buffers[BUF_SLICE] = buffers[0].asSlice(100, 200);
        buffers[BUF_CLOSABLE_SHARED] = closableShared.allocate(1024);
        buffers[BUF_CLOSABLE_CONFINED] = closableConfined.allocate(1024);
        buffers[NULL_HUGE] = atAddressZero(5L << 30);
        buffers[NULL_SMALL] = atAddressZero(16);
        buffers[13] = shared.allocate(4 << 20);
        buffers[BUF_NULL] = null;
        buffers[15] = shared.allocate(4096, 4096);
        buffers[BUF_OTHER_THREAD] = otherThreadArena.segment.get();
        STATS.sequences.incrementAndGet();
    }

    private static int directFlag() {
        String arch = System.getProperty("os.arch");
        return arch.equals("aarch64") ? 0200000 : 040000;
    }

    @SuppressWarnings("restricted")
    private static MemorySegment atAddressZero(long size) {
        return MemorySegment.NULL.reinterpret(size);
    }

    private int own(int fd) {
        if (fd < 0) {
            throw new IllegalStateException("setting up the misuse world: open failed: " + LinuxCalls.errnoText(-fd));
        }
        ownFds.add(fd);
        return fd;
    }

    private static void closeReadEnd(Pipe p) {
        LinuxCalls.close(p.readFd());
    }

    /** Bytes waiting in the fed pipe ({@code FIONREAD}), or -1 when that cannot be told. */
    private int pipeBytes() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(java.lang.foreign.ValueLayout.JAVA_INT);
            int rc = LinuxCalls.ioctl(fedPipe.readFd(), 0x541B /* FIONREAD */, n);
            return rc < 0 ? -1 : n.get(java.lang.foreign.ValueLayout.JAVA_INT, 0);
        }
    }

    /** Feeds the pipe {@link #FEED_SIZE} bytes if it is empty (so that it never fills up). */
    private void feedIfEmpty() {
        synchronized (fedPipe) {
            if (pipeBytes() == 0) {
                byte[] data = new byte[FEED_SIZE];
                Arrays.fill(data, FEED_BYTE);
                pipeFed = true;
                fedPipe.write(data);
            }
        }
    }

    /** Whether {@code s} may wait for an operation to end (the pipe is fed meanwhile, so that none waits for ever). */
    private static boolean waits(MisuseStep s) {
        return switch (s) {
            case AwaitAndReturn a -> true;
            case Lio l -> l.mode() != 1;
            case Suspend u -> u.timeout() == 0 || u.timeout() == 5;
            case Close c -> true;
            case CloseEngine c -> true;
            case OnOtherThread o -> waits(o.inner());
            case Interrupted i -> waits(i.inner());
            default -> false;
        };
    }

    /**
     * {@code fd} moved to a number far above what this JVM opens (and below {@link #closedNumber}'s).
     * Once {@code CloseFd} closed it, nothing opened later (a ring or an eventfd an engine creates
     * when a thread first needs it) can take its number: a block's later submission on it must meet
     * {@code EBADF}, not a read that blocks on one of jaio's own eventfds for ever.
     */
    private static int farAbove(int fd) {
        int moved = LinuxCalls.fcntl(fd, F_DUPFD_CLOEXEC, 3000);
        if (moved < 0) {
            throw new IllegalStateException("fcntl(F_DUPFD_CLOEXEC) failed: errno " + -moved);
        }
        LinuxCalls.close(fd);
        return moved;
    }

    private static final int F_DUPFD_CLOEXEC = 1030;

    /** A descriptor number that is not open, and far above what this JVM opens. */
    private static int closedNumber() {
        for (int n = 4000; ; n++) {
            if (!LinuxCalls.isOpen(n)) {
                return n;
            }
        }
    }

    // ------------------------------------------------------------------ running steps

    /** Runs {@code steps}, judging each; throws {@link AssertionError} at the first violation. */
    void run(List<MisuseStep> steps) throws Exception {
        for (MisuseStep s : steps) {
            log.add(s.toString());
            STATS.steps.incrementAndGet();
            MisuseFuzzMain.progress(s);
            feeding = waits(s);
            try {
                step(s, false);
            } finally {
                feeding = false;
            }
            checkModel(s);
        }
    }

    private void step(MisuseStep s, boolean interrupted) throws Exception {
        switch (s) {
            case Create c -> create(c);
            case Submit c -> submit(c.slot(), interrupted);
            case SetOffset c -> setOffset(c);
            case SetBuffer c -> setBuffer(c);
            case SetNotify c -> setNotify(c);
            case Cancel c -> cancel(c.slot());
            case CancelAll c -> cancelAll(c.fd());
            case Return c -> aioReturn(c.slot(), false);
            case AwaitAndReturn c -> awaitAndReturn(c.slot(), interrupted);
            case Suspend c -> suspend(c, interrupted);
            case Lio c -> lio(c, interrupted);
            case Close c -> close(c.slot());
            case CloseArena c -> closeArena(c.which());
            case CloseFd c -> closeFd();
            case CloseEngine c -> closeEngine();
            case FeedPipe c -> feedIfEmpty();
            case Nulls c -> nulls(c.which());
            case OnOtherThread c -> onOtherThread(c.inner());
            case Interrupted c -> interrupted(c.inner());
        }
    }

    /** The outcome of one call: its value or the documented exception it threw. */
    private record Outcome(Object value, Throwable thrown) {
        boolean threw(Class<? extends Throwable> c) {
            return c.isInstance(thrown);
        }

        boolean ok() {
            return thrown == null;
        }
    }

    private interface ApiCall {
        Object call() throws Exception;
    }

    /** Calls {@code api}; an exception {@code call} does not allow fails the sequence. */
    private Outcome call(Call call, String what, ApiCall api) {
        STATS.calls.incrementAndGet();
        try {
            Object v = api.call();
            STATS.outcome(call + " ok");
            return new Outcome(v, null);
        } catch (Throwable t) {
            if (!call.allows(t)) {
                throw violation(what + " threw " + t.getClass().getName() + ", which the API does not document for "
                        + call + " (allowed: " + call.allowed.stream().map(Class::getSimpleName).toList() + ")", t);
            }
            STATS.outcome(call + " " + t.getClass().getSimpleName()
                    + (t instanceof AioException e ? " " + e.errno() : ""));
            return new Outcome(null, t);
        }
    }

    private AssertionError violation(String message, Throwable cause) {
        AssertionError e = new AssertionError("[" + engineName + "] " + message + "\n  sequence so far:\n    "
                + String.join("\n    ", log), cause);
        return e;
    }

    private AssertionError violation(String message) {
        return violation(message, null);
    }

    private void check(boolean condition, String message) {
        if (!condition) {
            throw violation(message);
        }
    }

    private AioEngine engineFor(boolean isForeign) {
        return isForeign ? foreign : engine;
    }

    /** A block's notification; {@code reaper} (for the self-reaping ones) is the block's, or null for a list's. */
    private SigevNotify notification(int index, Reaper reaper) {
        if (index >= NOTIFY_REAP && reaper != null) {
            return SigevNotify.thread(index, v -> {
                STATS.callbacks.incrementAndGet();
                try {
                    reap(reaper);
                } catch (Throwable t) {
                    callbackViolations.add("a self-reaping callback (" + NOTIFY_NAMES.get(reaper.kind) + ") failed: " + t);
                } finally {
                    reaper.outstanding.decrementAndGet();
                }
            });
        }
        return switch (index) {
            case 0 -> SigevNotify.none();
            case 1 -> null;
            case 2, 5, 6, 7 -> SigevNotify.thread(index, v -> {
                callbacks.incrementAndGet();
                STATS.callbacks.incrementAndGet();
            });
            case 3 -> SigevNotify.thread(index, v -> {
                STATS.callbacks.incrementAndGet();
                throw new InFlightFaultsTest.ThrownOnPurpose("misuse callback");
            });
            default -> SigevNotify.signal(Signal.SIGUSR2, index);
        };
    }

    private static Reaper reaperFor(int notification) {
        return notification >= NOTIFY_REAP ? new Reaper(notification) : null;
    }

    /**
     * A self-reaping callback: {@code aioReturn()} of its own block (its result checked as the
     * sequence's thread checks one), then {@code close()} or one more {@code submit()}. Every
     * exception is judged: {@code IllegalStateException} only when the sequence itself reaped,
     * closed or submitted the block meanwhile, or closed its engine (or, for the resubmission, the
     * arena of its buffer).
     */
    private void reap(Reaper r) {
        Block b = r.block;
        if (b == null) {
            callbackViolations.add("a self-reaping callback ran before its block was submitted");
            return;
        }
        Aio self = b.aio;
        Done d = done(b, self);
        long n = -1;
        Errno failure = null;
        try {
            n = self.aioReturn();
        } catch (AioException e) {
            failure = e.errno();
        } catch (IllegalStateException e) {
            if (!r.mainTouched && !blockEngineClosed(b)) {
                callbackViolations.add("aioReturn() in the callback of " + b + ", which nobody else reaped or closed, threw "
                        + e);
            }
            STATS.outcome("callback: aioReturn IllegalStateException");
            return;
        }
        STATS.completedOps.incrementAndGet();
        STATS.outcome("callback reaped " + b.kind + (failure == null ? " ok" : " " + failure));
        // An arena of its buffers may be closed between the question above and aioReturn(): by
        // the sequence's thread, or by the world's end. On posix that is where a staged read is
        // delivered (glibc runs the callback before anyone has seen the completion), so EFAULT is
        // then a right answer; on the other engines the data was delivered before the callback,
        // so success is right too. Either answer passes when the arena closed in between.
        if (!d.arenaClosed() && !segmentsAlive(b.segments) && failure == Errno.EFAULT) {
            d = new Done(d.kind(), d.fd(), d.offset(), d.asked(), d.realBuffers(), true, d.mustNotDeliver());
        }
        String problem = problem(d, n, failure);
        if (problem != null) {
            callbackViolations.add("reaped by its callback: " + problem);
        }
        if (r.kind == NOTIFY_REAP_CLOSE) {
            self.close();
            r.closedByCallback = true;
            STATS.outcome("callback closed its block");
        } else if (r.kind == NOTIFY_REAP_RESUBMIT && r.resubmits.getAndDecrement() > 0) {
            r.outstanding.incrementAndGet();
            try {
                self.submit();
                STATS.outcome("callback resubmitted its block");
            } catch (AioException e) {
                r.outstanding.decrementAndGet();
                STATS.outcome("callback resubmit " + e.errno());
            } catch (IllegalStateException e) {
                r.outstanding.decrementAndGet();
                if (!r.mainTouched && !blockEngineClosed(b) && segmentsAlive(b.segments)) {
                    callbackViolations.add("submit() in the callback of " + b + " threw " + e);
                }
                STATS.outcome("callback resubmit IllegalStateException");
            }
        }
    }

    private static Duration timeout(int index) {
        return switch (index) {
            case 0 -> null;
            case 1 -> Duration.ZERO;
            case 2 -> Duration.ofMillis(1);
            case 3 -> Duration.ofMillis(50);
            case 4 -> Duration.ofMillis(-1);
            default -> Duration.ofSeconds(Long.MAX_VALUE);
        };
    }

    private void create(Create c) {
        int slot = c.slot();
        AioEngine e = engineFor(c.foreign());
        int fd = fds[c.fd()];
        long offset = OFFSETS.get(c.offset());
        int prio = PRIORITIES.get(c.priority());
        Reaper reaper = reaperFor(c.notification());
        SigevNotify n = notification(c.notification(), reaper);
        List<Integer> bufIdx = c.buffers().isEmpty() ? List.of(BUF_SHARED) : c.buffers();
        MemorySegment buf = buffers[bufIdx.getFirst()];
        Outcome o = call(Call.CONSTRUCT, "new " + c.kind(), () -> switch (c.kind()) {
            case READ -> new AioRead(e, fd, offset, buf, prio, n);
            case WRITE -> new AioWrite(e, fd, offset, buf, prio, n);
            case WRITE_OF -> AioWrite.of(e, fd, offset, BlockPattern.bytes(offset, 5, 100 * bufIdx.getFirst()), prio, n);
            case FSYNC -> new AioFsync(e, fd, AioFsyncMode.O_SYNC, prio, n);
            case FDATASYNC -> new AioFsync(e, fd, AioFsyncMode.O_DSYNC, prio, n);
            case READV -> new AioReadv(e, fd, offset, segments(c.buffers()), prio, n);
            case WRITEV -> new AioWritev(e, fd, offset, segments(c.buffers()), prio, n);
        });
        List<Integer> used = switch (c.kind()) {
            case READ, WRITE -> List.of(bufIdx.getFirst());
            case READV, WRITEV -> c.buffers();
            default -> List.of();
        };
        boolean confinedBuffer = used.stream().anyMatch(MisuseWorld::confined);
        if (!o.ok()) {
            // Which refusals are right: a heap buffer, a read-only one for a read, an empty
            // vector, a null buffer, one of a confined arena, or an engine that was closed.
            Throwable t = o.thrown();
            if (confinedBuffer && t instanceof IllegalArgumentException) {
                STATS.outcome("confined buffer refused at construction");
            }
            boolean engineGone = !c.foreign() && engineClosed;
            check(engineGone || t instanceof IllegalArgumentException || t instanceof NullPointerException,
                    "new " + c.kind() + " threw " + t);
            if (engineGone) {
                check(t instanceof IllegalStateException, "new block on a closed engine threw " + t);
            }
            return;
        }
        check(!engineClosed || c.foreign(), "a block was created on a closed engine");
        Aio aio = (Aio) o.value();
        check(!confinedBuffer, "new " + c.kind() + " accepted a buffer of a confined arena: " + used.stream()
                .filter(MisuseWorld::confined).map(BUFFER_NAMES::get).toList());
        Block old = slots[slot];
        if (old != null) {
            replaced.add(old);
        }
        Block block = new Block(aio, c.kind(), c.foreign(), c.fd(), c.offset(), used, segments(used));
        block.reaper = reaper;
        if (reaper != null) {
            reaper.block = block;
        }
        slots[slot] = block;
        check(!aio.inProgress(), "a new block is in progress");
        check(aio.error() == Errno.SUCCESS, "a new block's error() is " + aio.error());
        check(aio.fd() == fd && aio.priority() == prio, "a new block does not keep its descriptor and priority");
        check(aio.engine() == e, "a new block names another engine");
    }

    /** Buffers of a thread-confined arena: refused as I/O buffers. */
    private static boolean confined(int buffer) {
        return buffer == BUF_CONFINED || buffer == BUF_CLOSABLE_CONFINED || buffer == BUF_OTHER_THREAD;
    }

    private List<MemorySegment> segments(List<Integer> indices) {
        return indices.stream().map(i -> buffers[i]).collect(java.util.stream.Collectors.toCollection(ArrayList::new));
    }

    private void submit(int slot, boolean interrupted) {
        Block b = slots[slot];
        if (b == null) {
            return;
        }
        boolean before = b.inProgress;
        boolean async = b.async;
        freshSubmission(b);
        arm(b);
        Outcome o = call(Call.SUBMIT, "submit " + b, () -> {
            b.aio.submit();
            return null;
        });
        if (o.ok()) {
            check(async || (!before && !b.closed), "submit succeeded on a block that was "
                    + (b.closed ? "closed" : "in progress"));
            started(List.of(b));
            return;
        }
        disarm(b);
        Throwable t = o.thrown();
        if (t instanceof AioException e) {
            check(async || !before, "submit of a block in progress threw " + e + " instead of IllegalStateException");
            if (!async) {
                check(!b.aio.inProgress(), "a failed submit left the block in progress: " + e);
                Errno now = b.aio.error();
                check(now == e.errno(), "after a failed submit error() says " + now + ", the exception " + e.errno());
            }
            check(interrupted || e.errno() != Errno.EINTR, "EINTR from a submit nobody interrupted");
        } else if (t instanceof IllegalStateException) {
            check(async || before || b.closed || blockEngineClosed(b) || !buffersAlive(b),
                    "submit of an idle, open block with live buffers threw " + t);
        } else if (t instanceof UnsupportedOperationException) {
            check(!EngineUnderTest.vectored(b.aio.engine().name()) && (b.kind == Kind.READV || b.kind == Kind.WRITEV),
                    "UnsupportedOperationException from " + b + ": " + t);
        }
    }

    /**
     * Before a submission of {@code b} (alone or in a list): a self-reaping block counts one more
     * callback to come and may resubmit once more; if its callbacks are still at work, they may
     * now find it reaped, closed or resubmitted by the sequence.
     */
    /**
     * Forgets what was known of the data of {@code b}'s earlier submission once that is over, before
     * the new one is made: its callback may run before {@link #started} is reached.
     */
    private static void freshSubmission(Block b) {
        boolean earlierOver = b.reaper != null ? b.reaper.outstanding.get() == 0 : !b.inProgress;
        if (earlierOver) {
            b.mustNotDeliver = false;
        }
    }

    private static void arm(Block b) {
        if (b.reaper != null) {
            if (b.async) {
                b.reaper.mainTouched = true;
            }
            b.reaper.resubmits.set(1);
            b.reaper.outstanding.incrementAndGet();
        }
    }

    /** The submission {@link #arm} counted was not made. */
    private static void disarm(Block b) {
        if (b.reaper != null) {
            b.reaper.outstanding.decrementAndGet();
        }
    }

    /** The sequence is about to reap or close {@code b}: its callbacks, if still at work, may find it so. */
    private static void touch(Block b) {
        if (b.reaper != null && b.async) {
            b.reaper.mainTouched = true;
        }
    }

    /**
     * A self-reaping block whose callbacks have all run is known again: idle (its callback or the
     * sequence reaped it), and closed if its callback closed it.
     */
    private void settle(Block b) {
        if (b.async && b.reaper.outstanding.get() == 0) {
            b.async = false;
            b.inProgress = false;
            if (b.reaper.closedByCallback) {
                b.closed = true;
            }
        }
    }

    /** Waits (bounded, the pipe fed) until the callbacks of {@code b} have all run, then settles it. */
    private void awaitCallbacks(Block b) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        boolean wasFeeding = feeding;
        feeding = true;
        try {
            while (b.async && !b.closed && !blockEngineClosed(b)) {
                settle(b);
                if (System.nanoTime() > deadline) {
                    throw violation("the callbacks of " + b + " did not all run in " + PATIENCE + " (outstanding "
                            + b.reaper.outstanding.get() + ")\n" + ThreadDump.all());
                }
                LockSupport.parkNanos(200_000);
            }
        } finally {
            feeding = wasFeeding;
        }
    }

    /** Marks blocks queued, tainting reads that share buffers with other reads in flight. */
    private void started(List<Block> blocks) {
        for (Block b : blocks) {
            b.inProgress = true;
            b.tainted = false;
            b.submittedOffset = OFFSETS.get(b.offset);
            b.submittedBuffers = b.buffers;
            b.submittedSegments = b.segments;
            b.mustNotDeliver = false;
            if (b.reaper != null) {
                b.async = true;
            }
        }
        for (Block b : blocks) {
            if (!b.reads()) {
                continue;
            }
            // A vector naming one buffer twice reads into it twice: what it ends with is not
            // what the file holds at the start of that buffer's part.
            if (b.buffers.stream().map(MisuseWorld::group).distinct().count() < b.buffers.size()) {
                b.tainted = true;
            }
            for (Block other : allBlocks()) {
                if (other != b && other.inProgress && other.reads() && sharesBuffer(b, other)) {
                    b.tainted = true;
                    other.tainted = true;
                }
            }
        }
    }

    private static boolean sharesBuffer(Block a, Block b) {
        for (int x : a.buffers) {
            for (int y : b.buffers) {
                if (group(x) == group(y)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static int group(int buffer) {
        return buffer == BUF_SLICE ? BUF_SHARED : buffer;
    }

    private List<Block> allBlocks() {
        List<Block> all = new ArrayList<>(replaced);
        for (Block b : slots) {
            if (b != null) {
                all.add(b);
            }
        }
        return all;
    }

    private void setOffset(SetOffset c) {
        Block b = slots[c.slot()];
        if (b == null) {
            return;
        }
        if (b.async) {
            // Its callback may reap and resubmit it at any moment: a setter could change what that
            // submission uses under the judge. Left alone until the callbacks are done.
            STATS.outcome("setter skipped: block owned by its callback");
            return;
        }
        long offset = OFFSETS.get(c.offset());
        Outcome o = call(Call.SETTER, "setOffset " + b, () -> {
            switch (b.aio) {
                case AioRead r -> r.setOffset(offset);
                case AioWrite w -> w.setOffset(offset);
                case AioReadv r -> r.setOffset(offset);
                case AioWritev w -> w.setOffset(offset);
                case AioFsync f -> {
                    return null; // an fsync has no offset
                }
            }
            return null;
        });
        if (o.ok()) {
            if (!(b.aio instanceof AioFsync)) {
                check(!b.inProgress && !b.closed, "setOffset accepted on a block in progress or closed");
                b.offset = c.offset();
            }
        } else {
            check(o.threw(IllegalStateException.class) && (b.inProgress || b.closed || blockEngineClosed(b)),
                    "setOffset threw " + o.thrown());
        }
    }

    /** Whether every buffer the block would use now is alive (its arena not closed). */
    private static boolean buffersAlive(Block b) {
        return segmentsAlive(b.segments);
    }

    private boolean blockEngineClosed(Block b) {
        return !b.foreign && engineClosed;
    }

    private void setBuffer(SetBuffer c) {
        Block b = slots[c.slot()];
        if (b == null) {
            return;
        }
        if (b.async) {
            // Its callback may reap and resubmit it at any moment: a setter could change what that
            // submission uses under the judge. Left alone until the callbacks are done.
            STATS.outcome("setter skipped: block owned by its callback");
            return;
        }
        MemorySegment buf = buffers[c.buffer()];
        Outcome o = call(Call.SETTER, "setBuffer " + b, () -> {
            switch (b.aio) {
                case AioRead r -> r.setBuffer(buf);
                case AioWrite w -> w.setBuffer(buf);
                default -> {
                    return null;
                }
            }
            return null;
        });
        if (o.ok()) {
            if (b.kind == Kind.READ || b.kind == Kind.WRITE || b.kind == Kind.WRITE_OF) {
                check(!b.inProgress && !b.closed, "setBuffer accepted on a block in progress or closed");
                check(!confined(c.buffer()), "setBuffer accepted a buffer of a confined arena: "
                        + BUFFER_NAMES.get(c.buffer()));
                b.buffers = List.of(c.buffer());
                b.segments = List.of(buf);
            }
        } else {
            Throwable t = o.thrown();
            boolean rightRefusal = t instanceof NullPointerException ? buf == null
                    : t instanceof IllegalArgumentException ? c.buffer() == BUF_HEAP || confined(c.buffer())
                            || (c.buffer() == BUF_READ_ONLY && b.reads())
                    : b.inProgress || b.closed || blockEngineClosed(b);
            check(rightRefusal, "setBuffer(" + BUFFER_NAMES.get(c.buffer()) + ") on " + b + " threw " + t);
        }
    }

    private void setNotify(SetNotify c) {
        Block b = slots[c.slot()];
        if (b == null) {
            return;
        }
        if (b.async) {
            // Its callback may reap and resubmit it at any moment: a setter could change what that
            // submission uses under the judge. Left alone until the callbacks are done.
            STATS.outcome("setter skipped: block owned by its callback");
            return;
        }
        Reaper reaper = reaperFor(c.notification());
        SigevNotify n = notification(c.notification(), reaper);
        Outcome o = call(Call.SETTER, "setSigevNotify " + b, () -> {
            b.aio.setSigevNotify(n);
            return null;
        });
        if (o.ok()) {
            check(!b.inProgress && !b.closed, "setSigevNotify accepted on a block in progress or closed");
            b.reaper = reaper;
            if (reaper != null) {
                reaper.block = b;
            }
            check(n == null ? b.aio.sigevNotify() instanceof SigevNotify.SigevNone : b.aio.sigevNotify().equals(n),
                    "sigevNotify() does not return what was set");
        } else {
            check(o.threw(IllegalStateException.class) && (b.inProgress || b.closed || blockEngineClosed(b)),
                    "setSigevNotify threw " + o.thrown());
        }
    }

    private void cancel(int slot) {
        Block b = slots[slot];
        if (b == null) {
            return;
        }
        Outcome o = call(Call.CANCEL, "cancel " + b, b.aio::cancel);
        if (o.ok()) {
            check(!b.closed, "cancel of a closed block returned " + o.value());
            if (!b.inProgress && !b.async) {
                check(o.value() == AioCancelStat.AIO_ALLDONE, "cancel of an idle block returned " + o.value());
            }
        } else if (o.threw(IllegalStateException.class)) {
            check(b.closed || blockEngineClosed(b) || (b.async && b.reaper.kind == NOTIFY_REAP_CLOSE),
                    "cancel of an open block threw " + o.thrown());
        }
    }

    private void cancelAll(int fdIndex) {
        Outcome o = call(Call.CANCEL_ALL, "aioCancelAll(" + FD_NAMES.get(fdIndex) + ")",
                () -> engine.aioCancelAll(fds[fdIndex]));
        if (o.threw(IllegalStateException.class)) {
            check(engineClosed, "aioCancelAll on an open engine threw " + o.thrown());
        }
    }

    private void aioReturn(int slot, boolean afterWait) {
        Block b = slots[slot];
        if (b == null) {
            return;
        }
        if (b.async) {
            // Racing its callback: either may reap it; whoever does sees a result to check.
            touch(b);
            Done d = done(b, b.aio);
            Outcome o = call(Call.RETURN, "aioReturn " + b + " (its callback may reap it too)", b.aio::aioReturn);
            if (o.ok() || o.thrown() instanceof AioException) {
                long n = o.ok() ? (Long) o.value() : -1;
                Errno failure = o.ok() ? null : ((AioException) o.thrown()).errno();
                STATS.completedOps.incrementAndGet();
                STATS.outcome("op " + b.kind + (failure == null ? " ok" : " " + failure) + " (before its callback)");
                String problem = problem(d, n, failure);
                check(problem == null, b + ": " + problem);
            }
            return;
        }
        Errno before = b.closed || blockEngineClosed(b) ? null : b.aio.error();
        Outcome o = call(Call.RETURN, "aioReturn " + b, b.aio::aioReturn);
        // error() said EINPROGRESS: the operation may have completed since, either way.
        boolean raced = before == Errno.EINPROGRESS;
        if (o.ok()) {
            check(b.inProgress, "aioReturn returned " + o.value() + " for a block not in progress");
            check(raced || before == Errno.SUCCESS, "aioReturn returned " + o.value() + " after error() said " + before);
            finished(b, (Long) o.value(), null);
        } else if (o.thrown() instanceof AioException e) {
            check(b.inProgress && before != Errno.SUCCESS, "aioReturn threw " + e + " after error() said " + before);
            check(raced || e.errno() == before, "aioReturn threw " + e.errno() + " after error() said " + before);
            finished(b, -1, e.errno());
        } else {
            check(!b.inProgress || before == Errno.EINPROGRESS || b.closed || blockEngineClosed(b),
                    "aioReturn of a completed block threw " + o.thrown() + " (error() said " + before + ")");
        }
        if (afterWait && b.inProgress && !b.closed) {
            throw violation("aioReturn after the block completed left it in progress: " + b);
        }
    }

    /** A block was returned: checks the result where it is defined, then marks it idle. */
    private void finished(Block b, long n, Errno failure) {
        b.inProgress = false;
        STATS.completedOps.incrementAndGet();
        check(!b.aio.inProgress(), "aioReturn left " + b + " in progress");
        if (failure != null) {
            STATS.outcome("op " + b.kind + " " + failure);
        } else {
            STATS.outcome("op " + b.kind + " ok");
            STATS.outcome("op ok on " + FD_NAMES.get(b.fd) + (n == 0 ? " (0 bytes)" : ""));
        }
        Done d = new Done(b.kind, b.fd, b.submittedOffset, nbytes(b), realBuffers(b.submittedBuffers),
                !segmentsAlive(b.submittedSegments), b.mustNotDeliver);
        String problem = problem(d, n, failure);
        if (problem != null) {
            throw violation(b + ": " + problem);
        }
        if (failure == null && b.reads() && n > 0 && (b.fd == FD_RDONLY || b.fd == FD_ZERO || b.fd == FD_PIPE_FED)) {
            if (b.tainted) {
                STATS.outcome("data check skipped: buffer shared with another read in flight");
            } else if (!d.realBuffers()) {
                STATS.outcome("data check skipped: buffer at address 0");
            } else {
                verifyRead(b, n, d.offset());
            }
        }
    }

    /**
     * What the judge needs of one completed submission: its kind and descriptor, its offset and
     * byte count, whether all its buffers are real memory, whether an arena of its buffers is
     * closed now, and whether its data cannot have arrived before its arena closed.
     */
    private record Done(Kind kind, int fd, long offset, long asked, boolean realBuffers, boolean arenaClosed,
                        boolean mustNotDeliver) {
        boolean reads() {
            return kind == Kind.READ || kind == Kind.READV;
        }
    }

    /** {@link Done} of a block in progress, from the block itself (for a self-reaping callback, before its aioReturn). */
    private Done done(Block b, Aio self) {
        long offset = switch (self) {
            case AioRead r -> r.offset();
            case AioWrite w -> w.offset();
            case AioReadv r -> r.offset();
            case AioWritev w -> w.offset();
            case AioFsync f -> 0;
        };
        long asked = switch (self) {
            case AioRead r -> r.nbytes();
            case AioWrite w -> w.nbytes();
            case AioReadv r -> r.buffers().stream().mapToLong(MemorySegment::byteSize).sum();
            case AioWritev w -> w.buffers().stream().mapToLong(MemorySegment::byteSize).sum();
            case AioFsync f -> 0;
        };
        return new Done(b.kind, b.fd, offset, asked, realBuffers(b.buffers), !segmentsAlive(b.segments),
                b.mustNotDeliver);
    }

    private static boolean realBuffers(List<Integer> indices) {
        return indices.stream().noneMatch(i -> i == NULL_HUGE || i == NULL_SMALL);
    }

    private static boolean segmentsAlive(List<MemorySegment> segments) {
        for (MemorySegment s : segments) {
            if (s != null && !s.scope().isAlive()) {
                return false;
            }
        }
        return true;
    }

    /**
     * What is wrong with the outcome of {@code d} ({@code n} bytes, or {@code failure}), or null.
     * {@code EFAULT} only from a buffer at address 0 or, for a read, a shared arena closed while
     * it was in flight (its data is then dropped); a read that cannot have had data before its
     * arena closed must not succeed with data.
     */
    private static String problem(Done d, long n, Errno failure) {
        if (failure != null) {
            if (failure == Errno.EFAULT && d.realBuffers() && !(d.reads() && d.arenaClosed())) {
                return d.kind() + " on " + FD_NAMES.get(d.fd()) + " failed with EFAULT, though all its buffers are"
                        + " real memory" + (d.arenaClosed() ? " (a write, whose bytes were taken at submit)" : ", alive");
            }
            return null;
        }
        if (d.mustNotDeliver() && n > 0) {
            return "a read of the pipe whose shared arena was closed before the pipe had any data succeeded with "
                    + n + " bytes (expected EFAULT: where did the data go?)";
        }
        long asked = d.asked();
        if (d.kind() == Kind.FSYNC || d.kind() == Kind.FDATASYNC) {
            return n == 0 ? null : "an fsync returned " + n;
        }
        if (n < 0 || n > asked) {
            return d.kind() + " transferred " + n + " of " + asked + " bytes";
        }
        long offset = d.offset();
        long cap = Math.min(asked, 0x7FFFF000L); // Linux MAX_RW_COUNT: one read or write moves at most this
        boolean ok = switch (d.fd()) {
            case FD_NULL -> d.reads() ? n == 0 : n == cap;
            case FD_PIPE_EOF, FD_STDIN -> n == 0;
            // A character device may transfer less than asked (read_iter_zero stops early when the
            // task should yield and io_uring tried without blocking): short, never nothing.
            case FD_ZERO -> d.reads() ? n > 0 || asked == 0 : n == cap;
            // Exactly what the file holds from there; less only when a buffer faults (address 0):
            // the kernel stops at it and reports what it read.
            case FD_RDONLY -> {
                long expected = offset < 0 ? -1 : Math.max(0, Math.min(cap, RDONLY_SIZE - Math.min(offset, RDONLY_SIZE)));
                yield d.realBuffers() ? n == expected : n <= expected;
            }
            // Whole, unless a buffer faults (address 0): a vectored write then stops there.
            case FD_DATA -> d.reads() || !d.realBuffers() || offset < 0 || offset > (1L << 40) || n == asked;
            // A pipe that is never at end of file: a read returns something (or is a read of nothing).
            case FD_PIPE_FED -> !d.reads() || n > 0 || asked == 0;
            default -> true;
        };
        return ok ? null : d.kind() + " on " + FD_NAMES.get(d.fd()) + " at " + offset + " transferred " + n + " of "
                + asked + " bytes";
    }

    private long nbytes(Block b) {
        return switch (b.aio) {
            case AioRead r -> r.nbytes();
            case AioWrite w -> w.nbytes();
            case AioReadv r -> r.buffers().stream().mapToLong(MemorySegment::byteSize).sum();
            case AioWritev w -> b.submittedSegments.stream().mapToLong(MemorySegment::byteSize).sum();
            case AioFsync f -> 0;
        };
    }

    /** The bytes a successful read put in its buffers are the file's (or zeros from /dev/zero). */
    private void verifyRead(Block b, long n, long offset) {
        long done = 0;
        try {
            for (MemorySegment s : b.submittedSegments) {
                if (!s.scope().isAlive()) {
                    STATS.outcome("data check skipped: arena closed");
                    return;
                }
                for (long k = 0; k < s.byteSize() && done < n; k++, done++) {
                    byte want = b.fd == FD_ZERO ? 0 : b.fd == FD_PIPE_FED ? FEED_BYTE : rdonlyContent[(int) (offset + done)];
                    byte got = s.get(JAVA_BYTE, k);
                    if (got != want) {
                        throw violation(b + " read byte " + done + " as " + got + ", the file holds " + want);
                    }
                }
            }
            STATS.dataChecks.incrementAndGet();
        } catch (WrongThreadException notOurs) {
            // A confined buffer of another thread: this thread may not look at it.
            STATS.outcome("data check skipped: buffer confined to another thread");
        }
    }

    private void awaitAndReturn(int slot, boolean interrupted) {
        Block b = slots[slot];
        if (b == null) {
            return;
        }
        if (b.async) {
            awaitCallbacks(b); // then it is idle (or closed), and known so
        }
        if (b.inProgress && !b.closed && !blockEngineClosed(b)) {
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (true) {
                Errno e = b.aio.error();
                if (e != Errno.EINPROGRESS) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw violation(b + " did not complete in " + PATIENCE + "\n" + ThreadDump.all());
                }
                Outcome o = call(Call.SUSPEND, "aioSuspend(" + b + ")",
                        () -> Aio.aioSuspend(List.of(b.aio), Duration.ofSeconds(1)));
                if (o.thrown() instanceof AioException e2) {
                    check(interrupted && e2.errno() == Errno.EINTR, "aioSuspend threw " + e2);
                    return;
                }
                check(o.ok(), "aioSuspend of one block threw " + o.thrown());
            }
        }
        aioReturn(slot, true);
    }

    private List<Aio> listOf(List<Integer> slotIndices, List<Block> blocks) {
        List<Aio> list = new ArrayList<>();
        for (int s : slotIndices) {
            if (s < 0) {
                list.add(null); // a null element, on purpose
            } else if (slots[s] != null) {
                list.add(slots[s].aio);
                blocks.add(slots[s]);
            }
        }
        return list;
    }

    private void suspend(Suspend c, boolean interrupted) {
        List<Block> blocks = new ArrayList<>();
        List<Aio> list = listOf(c.slots(), blocks);
        Duration t = timeout(c.timeout());
        Outcome o = call(Call.SUSPEND, "aioSuspend", () -> Aio.aioSuspend(list, t));
        if (o.ok()) {
            if (Boolean.FALSE.equals(o.value())) {
                check(t != null, "aioSuspend(null timeout) returned false");
            }
            return;
        }
        Throwable e = o.thrown();
        // Null entries are ignored (POSIX): a list of nothing but nulls is a list without blocks.
        boolean mixed = blocks.stream().map(b -> b.foreign).distinct().count() > 1;
        boolean right = e instanceof IllegalArgumentException ? blocks.isEmpty() || mixed || (t != null && t.isNegative())
                : e instanceof AioException a && a.errno() == Errno.EINTR && interrupted;
        check(right, "aioSuspend(" + c + ") threw " + e);
    }

    private void lio(Lio c, boolean interrupted) {
        List<Block> blocks = new ArrayList<>();
        List<Aio> list = listOf(c.slots(), blocks);
        LioMode mode = switch (c.mode()) {
            case 0 -> LioMode.LIO_WAIT;
            case 1 -> LioMode.LIO_NOWAIT;
            default -> null;
        };
        SigevNotify n = notification(c.notification(), null);
        List<Block> distinct = dedupe(blocks);
        Map<Block, Boolean> before = new IdentityHashMap<>();
        Map<Block, Boolean> async = new IdentityHashMap<>();
        for (Block b : distinct) {
            before.put(b, b.inProgress);
            async.put(b, b.async);
            freshSubmission(b);
            arm(b);
        }
        boolean viaEngine = blocks.isEmpty();
        Outcome o = call(Call.LIO, "lioListio(" + mode + ", " + c.slots() + ")", () -> {
            if (viaEngine) {
                // Aio.lioListio picks the engine of the first block; with none, ask ours directly.
                engine.lioListio(mode, list, n);
            } else {
                Aio.lioListio(mode, list, n);
            }
            return null;
        });
        if (o.ok()) {
            for (Block b : distinct) {
                check(async.get(b) || (!before.get(b) && !b.closed), "lioListio accepted " + b);
            }
            if (blocks.isEmpty()) {
                STATS.outcome("lioListio of no block (" + list.size() + " nulls) ok");
            }
            if (distinct.stream().anyMatch(b -> b.reaper != null)) {
                STATS.outcome("lioListio " + mode + " with self-reaping blocks ok");
            }
            started(distinct);
            return;
        }
        Throwable e = o.thrown();
        if (e instanceof AioException a) {
            Set<Aio> notQueued = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            notQueued.addAll(a.notQueued());
            check(a.notQueued().stream().noneMatch(Objects::isNull), "notQueued() names null");
            List<Block> queued = new ArrayList<>();
            for (Block b : distinct) {
                if (!notQueued.contains(b.aio)) {
                    queued.add(b);
                } else {
                    disarm(b);
                    check(async.get(b) || !b.aio.inProgress(), "a block in notQueued() is in progress: " + b);
                }
            }
            started(queued);
            Errno errno = a.errno();
            check(errno == Errno.EAGAIN || errno == Errno.EINVAL || errno == Errno.EIO
                    || (errno == Errno.EINTR && interrupted), "lioListio threw " + a);
            return;
        }
        // Refused as a whole: nothing may have been submitted, and only for a documented reason.
        for (Block b : distinct) {
            disarm(b);
        }
        for (Block b : distinct) {
            check(async.get(b) || b.aio.inProgress() == before.get(b) || b.closed || blockEngineClosed(b),
                    "lioListio threw " + e + " but changed " + b);
        }
        boolean mixed = blocks.stream().map(b -> b.foreign).distinct().count() > 1;
        boolean duplicate = distinct.size() < blocks.size();
        boolean fsync = blocks.stream().anyMatch(b -> b.kind == Kind.FSYNC || b.kind == Kind.FDATASYNC);
        boolean vectoredUnsupported = blocks.stream().anyMatch(b -> (b.kind == Kind.READV || b.kind == Kind.WRITEV)
                && !EngineUnderTest.vectored(b.aio.engine().name()));
        boolean notIdle = blocks.stream().anyMatch(b -> b.inProgress || b.async || b.closed || blockEngineClosed(b)
                || !buffersAlive(b)) || (viaEngine && engineClosed);
        boolean right = switch (e) {
            case NullPointerException x -> mode == null;
            case IllegalArgumentException x -> mixed || duplicate || fsync;
            case UnsupportedOperationException x -> vectoredUnsupported;
            case IllegalStateException x -> notIdle;
            default -> false;
        };
        if (!right) {
            StringBuilder states = new StringBuilder();
            for (Block b : distinct) {
                states.append("\n    ").append(b).append(": model inProgress=").append(before.get(b))
                        .append(", self-reaping=").append(b.reaper == null ? "no" : NOTIFY_NAMES.get(b.reaper.kind));
            }
            throw violation("lioListio(" + mode + ", " + c.slots() + ") of " + (blocks.isEmpty() ? "no block"
                    : "blocks it had no documented reason to refuse") + " threw " + e + states, e);
        }
    }

    private static List<Block> dedupe(List<Block> blocks) {
        List<Block> out = new ArrayList<>();
        for (Block b : blocks) {
            if (out.stream().noneMatch(x -> x == b)) {
                out.add(b);
            }
        }
        return out;
    }

    private void close(int slot) {
        Block b = slots[slot];
        if (b == null) {
            return;
        }
        touch(b);
        call(Call.CLOSE, "close " + b, () -> {
            b.aio.close();
            return null;
        });
        b.closed = true;
        b.inProgress = false;
        b.async = false;
    }

    /**
     * Closes the closable shared arena (0) at once, whatever I/O its buffer is in (allowed: such
     * buffers are staged), and gives buffer 9 a new arena; reads in flight on it may then end
     * with {@code EFAULT}. Closes the closable confined arena (1), which no I/O can use.
     */
    private void closeArena(int which) {
        if (Thread.currentThread() != owner) {
            return;
        }
        if (which == 1) {
            if (!arenaClosed[1]) {
                closableConfined.close();
                arenaClosed[1] = true;
            }
            return;
        }
        MemorySegment old = buffers[BUF_CLOSABLE_SHARED];
        List<Block> inFlight = new ArrayList<>();
        for (Block b : allBlocks()) {
            if ((b.inProgress || b.async) && !b.closed && !blockEngineClosed(b) && b.submittedSegments != null
                    && b.submittedSegments.stream().anyMatch(x -> x == old)) {
                inFlight.add(b);
            }
        }
        boolean fedBefore;
        synchronized (fedPipe) { // no feed between telling whether the pipe was ever fed and the close
            fedBefore = pipeFed;
            try {
                closableShared.close();
            } catch (IllegalStateException refused) {
                throw violation("close() of a shared arena whose buffer is in flight threw " + refused, refused);
            }
        }
        for (Block b : inFlight) {
            STATS.outcome("shared arena closed under " + b.kind + " on " + FD_NAMES.get(b.fd));
            // A read of the fed pipe into this buffer (first) cannot have had data if the pipe never had any.
            if (!fedBefore && b.fd == FD_PIPE_FED && b.reads() && b.submittedSegments.getFirst() == old) {
                b.mustNotDeliver = true;
            }
        }
        closableShared = Arena.ofShared();
        buffers[BUF_CLOSABLE_SHARED] = closableShared.allocate(1024);
    }

    /** Waits (bounded) until {@code b}'s I/O is over, without returning it. */
    private void awaitQuietly(Block b) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (b.aio.error() == Errno.EINPROGRESS) {
            if (System.nanoTime() > deadline) {
                throw violation(b + " did not complete in " + PATIENCE + "\n" + ThreadDump.all());
            }

            try {
                Aio.aioSuspend(List.of(b.aio), Duration.ofMillis(100));
            } catch (AioException e) {
                throw violation("aioSuspend of one block threw " + e, e);
            }
        }
    }

    private void closeFd() {
        if (!closableFdClosed) {
            closableFdClosed = true;
            LinuxCalls.close(fds[FD_CLOSABLE]);
        }
    }

    private void closeEngine() {
        if (Thread.currentThread() != owner) {
            return;
        }
        long t0 = System.nanoTime();
        for (Block b : allBlocks()) {
            if (!b.foreign && b.reaper != null) {
                b.reaper.mainTouched = true; // its callback may find it closed by the engine
            }
        }
        closeBounded(engine, "close() of the engine under test");
        engineClosed = true;
        for (Block b : allBlocks()) {
            if (!b.foreign) {
                b.closed = true;
                b.inProgress = false;
                b.async = false;
            }
        }
        STATS.outcome("engine closed mid-sequence");
        check(System.nanoTime() - t0 < PATIENCE.toNanos(), "engine close took too long");
    }

    /** {@code engine.close()} on another thread, so that a hang fails the sequence instead of stalling it. */
    private void closeBounded(AioEngine e, String what) {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("misuse-engine-closer").start(() -> {
            try {
                e.close();
            } catch (Throwable x) {
                thrown.set(x);
            }
        });
        try {
            t.join(PATIENCE.toMillis());
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            throw violation(what + " did not return in " + PATIENCE + " (hang)\n" + ThreadDump.all());
        }
        if (thrown.get() != null) {
            throw violation(what + " threw " + thrown.get(), thrown.get());
        }
    }

    private void nulls(int which) {
        Block first = slots[0];
        MemorySegment seg = buffers[BUF_SHARED];
        int fd = fds[FD_DATA];
        Outcome o = call(Call.NULLS, "null argument #" + which, () -> switch (which) {
            case 0 -> {
                Aio.lioListio(null, first == null ? List.of() : List.of(first.aio), SigevNotify.none());
                yield null;
            }
            case 1 -> {
                Aio.lioListio(LioMode.LIO_WAIT, null, SigevNotify.none());
                yield null;
            }
            case 2 -> Aio.aioSuspend(null, Duration.ZERO);
            case 3 -> new AioRead(engine, fd, 0, null, 0, SigevNotify.none());
            case 4 -> new AioFsync(engine, fd, null, 0, SigevNotify.none());
            case 5 -> AioWrite.of(engine, fd, 0, null, 0, SigevNotify.none());
            case 6 -> new AioReadv(engine, fd, 0, null, 0, SigevNotify.none());
            case 7 -> new AioWritev(engine, fd, 0, Arrays.asList(seg, null), 0, SigevNotify.none());
            case 8 -> new AioWrite(null, fd, 0, seg, 0, SigevNotify.none());
            case 9 -> AioEngine.open(null);
            case 10 -> {
                engine.lioListio(LioMode.LIO_NOWAIT, Arrays.asList((Aio) null), SigevNotify.none());
                yield null;
            }
            default -> engine.aioSuspend(Arrays.asList((Aio) null), Duration.ZERO);
        });
        check(!(o.thrown() instanceof IllegalStateException) || engineClosed,
                "a call with a null argument (#" + which + ") on an open engine threw " + o.thrown());
        if (which == 10) {
            // A null entry of a list is ignored (POSIX): a list of one null is an empty list.
            check(o.ok() || o.thrown() instanceof IllegalStateException,
                    "lioListio of a list of one null threw " + o.thrown());
        } else if (which == 11) {
            // ... and aioSuspend of it has no block to wait for.
            check(o.thrown() instanceof IllegalArgumentException || o.thrown() instanceof IllegalStateException,
                    "aioSuspend of a list of one null " + (o.ok() ? "returned " + o.value() : "threw " + o.thrown()));
        } else {
            check(!o.ok(), "a call with a null argument (#" + which + ") returned " + o.value());
            check(!(o.thrown() instanceof IllegalArgumentException),
                    "a call with a null argument (#" + which + ") threw " + o.thrown());
        }
    }

    private void onOtherThread(MisuseStep inner) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("misuse-other-thread").start(() -> {
            try {
                step(inner, false);
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.join(PATIENCE.toMillis() * 2);
        if (t.isAlive()) {
            throw violation("a step on another thread did not return (hang)\n" + ThreadDump.all());
        }
        if (failure.get() instanceof AssertionError ae) {
            throw ae;
        }
        if (failure.get() != null) {
            throw violation("a step on another thread failed: " + failure.get(), failure.get());
        }
    }

    private void interrupted(MisuseStep inner) throws Exception {
        Thread me = Thread.currentThread();
        Thread.currentThread().interrupt();
        Thread second = Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
            me.interrupt();
        });
        try {
            step(inner, true);
        } finally {
            while (true) {
                try {
                    second.join();
                    break;
                } catch (InterruptedException planned) {
                    // the interrupt this step sent itself; keep waiting for its sender
                }
            }
            Thread.interrupted();
        }
    }

    /** After each step: what each block says of itself agrees with what the calls said. */
    private void checkModel(MisuseStep s) {
        String fromCallback = callbackViolations.poll();
        if (fromCallback != null) {
            throw violation("after " + s + ": " + fromCallback);
        }
        for (Block b : allBlocks()) {
            settle(b);
            if (b.async) {
                checkAsync(s, b);
                continue;
            }
            boolean closed = b.closed || blockEngineClosed(b);
            if (closed) {
                check(!b.aio.inProgress(), "a closed block says it is in progress: " + b);
                boolean refused;
                try {
                    b.aio.error();
                    refused = false;
                } catch (IllegalStateException expected) {
                    refused = true;
                }
                check(refused, "error() of a closed block did not throw IllegalStateException: " + b);
            } else {
                check(b.aio.inProgress() == b.inProgress, "after " + s + ": " + b + " says inProgress()="
                        + b.aio.inProgress() + ", the calls made it " + b.inProgress);
                Errno e = b.aio.error();
                check(e != null, "error() returned null");
                check(b.inProgress || e != Errno.EINPROGRESS, "an idle block says EINPROGRESS: " + b);
            }
        }
    }

    /**
     * What is guaranteed of a block whose callbacks are still at work: once its callback closed it,
     * it is closed; one that reaps (and perhaps closes) itself but never resubmits, once not in
     * progress, stays so and says no {@code EINPROGRESS}. (Whether it is in progress is the
     * callbacks' business.)
     */
    private void checkAsync(MisuseStep s, Block b) {
        boolean closedByCallback = b.reaper.closedByCallback;
        boolean inProgress = b.aio.inProgress();
        if (closedByCallback) {
            check(!inProgress, "after " + s + ": a block its callback closed says it is in progress: " + b);
            check(throwsIllegalState(b.aio), "error() of a block its callback closed did not throw: " + b);
            return;
        }
        if (!inProgress && b.reaper.kind != NOTIFY_REAP_RESUBMIT) {
            Errno e;
            try {
                e = b.aio.error();
            } catch (IllegalStateException closedMeanwhile) {
                check(b.reaper.kind == NOTIFY_REAP_CLOSE, "error() of " + b + " threw " + closedMeanwhile);
                return;
            }
            check(e != Errno.EINPROGRESS, "after " + s + ": " + b + " is not in progress but says EINPROGRESS");
            check(!b.aio.inProgress(), "after " + s + ": " + b + " was reaped by its callback, then in progress again");
        }
    }

    private static boolean throwsIllegalState(Aio aio) {
        try {
            aio.error();
            return false;
        } catch (IllegalStateException expected) {
            return true;
        }
    }

    // ------------------------------------------------------------------ the end of a sequence

    /**
     * Finishes every operation (bounded), proves the engine still does correct I/O, closes the
     * engines (bounded) and frees the world.
     */
    @Override
    public void close() throws IOException {
        Thread.interrupted();
        feeding = true; // every read of the fed pipe must end
        try {
            for (Block b : allBlocks()) {
                if (b.async) {
                    awaitCallbacks(b);
                }
            }
            String fromCallback = callbackViolations.poll();
            if (fromCallback != null) {
                throw violation("at the end: " + fromCallback);
            }
            for (Block b : allBlocks()) {
                if (!b.closed && !blockEngineClosed(b)) {
                    if (b.inProgress) {
                        awaitQuietly(b);
                        Outcome o = call(Call.RETURN, "final aioReturn " + b, b.aio::aioReturn);
                        check(o.ok() || o.thrown() instanceof AioException, "final aioReturn threw " + o.thrown());
                        finished(b, o.ok() ? (Long) o.value() : -1,
                                o.ok() ? null : ((AioException) o.thrown()).errno());
                    }
                    b.aio.close();
                    b.closed = true;
                }
            }
            if (!engineClosed) {
                proveTheEngineWorks();
                closeBounded(engine, "close() of the engine after the sequence");
                engineClosed = true;
            }
            closeBounded(foreign, "close() of the foreign engine");
        } finally {
            feederStop = true;
            try {
                feeder.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            fedPipe.close();
            if (!engineClosed) {
                engine.close();
            }
            foreign.close();
            for (int fd : ownFds) {
                LinuxCalls.close(fd);
            }
            if (!closableFdClosed) {
                LinuxCalls.close(fds[FD_CLOSABLE]);
            }
            eofPipe.close();
            LinuxCalls.close(brokenPipe.writeFd());
            shared.close();
            confined.close();
            closableShared.close();
            if (!arenaClosed[1]) {
                closableConfined.close();
            }
            try {
                otherThreadArena.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /** A write and a read of a fresh file, checked: the engine works after the misuse. */
    private void proveTheEngineWorks() throws IOException {
        Path p = dir.resolve("after");
        int fd = LinuxCalls.open(p.toString(), 0100 | LinuxCalls.O_RDWR | LinuxCalls.O_CLOEXEC);
        check(fd >= 0, "open for the final check failed");
        try (Arena a = Arena.ofShared()) {
            MemorySegment in = a.allocate(4096);
            try (AioWrite w = AioWrite.of(engine, fd, 4096, BlockPattern.bytes(4096, 3, 4096), 0, SigevNotify.none());
                    AioRead r = new AioRead(engine, fd, 4096, in, 0, SigevNotify.none())) {
                Aio.lioListio(LioMode.LIO_WAIT, List.of(w), SigevNotify.none());
                check(w.aioReturn() == 4096, "the final write did not write 4096 bytes");
                Aio.lioListio(LioMode.LIO_WAIT, List.of(r), SigevNotify.none());
                check(r.aioReturn() == 4096, "the final read did not read 4096 bytes");
                check(BlockPattern.matches(in, 4096, 3), "after the misuse, the engine reads back wrong data: "
                        + BlockPattern.describe(in));
            }
        } finally {
            LinuxCalls.close(fd);
        }
        Objects.requireNonNull(engineName);
    }
}
