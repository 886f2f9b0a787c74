package dev.jaio.internal.uring;

import static dev.jaio.internal.ffi.IoUringAbi.CQE_SIZE;
import static dev.jaio.internal.ffi.IoUringAbi.CQ_OFF_CQES;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_ENTER_GETEVENTS;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_ENTER_SQ_WAKEUP;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OFF_CQ_RING;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OFF_SQES;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_OFF_SQ_RING;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_SETUP_ATTACH_WQ;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_SETUP_CLAMP;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_SETUP_COOP_TASKRUN;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_SETUP_CQSIZE;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_SETUP_DEFER_TASKRUN;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_SETUP_SINGLE_ISSUER;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_SETUP_SQPOLL;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_SETUP_SUBMIT_ALL;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_SETUP_TASKRUN_FLAG;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_SQ_CQ_OVERFLOW;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_SQ_NEED_WAKEUP;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_SQ_TASKRUN;
import static dev.jaio.internal.ffi.IoUringAbi.IO_CQRING_OFFSETS;
import static dev.jaio.internal.ffi.IoUringAbi.IO_SQRING_OFFSETS;
import static dev.jaio.internal.ffi.IoUringAbi.IO_URING_PARAMS;
import static dev.jaio.internal.ffi.IoUringAbi.PARAMS_CQ_ENTRIES;
import static dev.jaio.internal.ffi.IoUringAbi.PARAMS_CQ_OFF;
import static dev.jaio.internal.ffi.IoUringAbi.PARAMS_FEATURES;
import static dev.jaio.internal.ffi.IoUringAbi.PARAMS_FLAGS;
import static dev.jaio.internal.ffi.IoUringAbi.PARAMS_SQ_ENTRIES;
import static dev.jaio.internal.ffi.IoUringAbi.PARAMS_SQ_OFF;
import static dev.jaio.internal.ffi.IoUringAbi.PARAMS_SQ_THREAD_IDLE;
import static dev.jaio.internal.ffi.IoUringAbi.PARAMS_WQ_FD;
import static dev.jaio.internal.ffi.IoUringAbi.SQE_SIZE;
import static dev.jaio.internal.ffi.IoUringAbi.SQ_OFF_ARRAY;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.jaio.internal.ffi.Libc;
import dev.jaio.internal.ffi.Mman;
import dev.jaio.internal.ffi.Platform;
import dev.jaio.internal.ffi.Syscall;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One io_uring instance: its descriptor, its three mappings (SQ ring, CQ ring, SQE array), its
 * {@link SubmissionQueue} and {@link CompletionQueue}, and {@code io_uring_enter}.
 *
 * {@snippet :
 * switch (IoUring.setup(256, 0)) {
 *     case SetupResult.Ready(IoUring ring) -> {
 *         try (ring) {
 *             SubmissionQueue sq = ring.submissionQueue();
 *             int slot = sq.reserve();                 // SubmissionQueue.FULL: back-pressure
 *             sq.prepareNop(slot, 42L);
 *             ring.submitAndWait(1);                   // publish, io_uring_enter(1, 1, GETEVENTS)
 *             ring.completionQueue().reap(consumer, 1); // consumer sees (42, 0, 0)
 *         }
 *     }
 *     case SetupResult.Refused(SetupFailure why) -> log(why.message());
 * }
 * }
 *
 * <p>Setup never throws for what the machine refuses (no io_uring, EPERM from a sysctl or
 * seccomp, memlock limits): it returns {@link SetupResult.Refused} with a {@link SetupFailure}
 * that says why, and has released everything it took. For tests,
 * {@value #FAIL_SETUP_PROPERTY} makes setup fail with a chosen errno (see {@link SetupSyscall}), and
 * {@value #FAIL_ENTER_PROPERTY} and {@value #FAIL_REGISTER_PROPERTY} do the same for the later calls
 * (see {@link RingSyscalls}).
 *
 * <p>The ring is driven without IOPOLL: submissions happen inside {@code io_uring_enter}, which
 * is also how a thread waits for completions; or, with {@code IORING_SETUP_SQPOLL}, a kernel
 * thread takes published SQEs by itself, and {@link #enter} calls the kernel only to wake that
 * thread when it sleeps or to wait (see {@link #enter}). Setup flags that change that model or
 * the entry sizes (IOPOLL, SQE128, CQE32, NO_MMAP, ...) are refused with
 * {@link IllegalArgumentException}.
 *
 * <p>Threads: {@link #setup} from any thread. Afterwards the ring has one producer and one
 * consumer at a time (see {@link SubmissionQueue} and {@link CompletionQueue}); {@link #submit()}
 * and {@link #submitAndWait(int)} act for the producer. {@link #enter} itself is safe from any
 * thread, concurrently: the kernel serialises submissions, and any number of threads may wait for
 * completions. {@link #close()} is safe to call more than once from any thread, but must not race
 * with use of the ring: the engine stops submitting and reaping first.
 */
public final class IoUring implements AutoCloseable {

    /**
     * System property that makes every {@link #setup} fail without calling the kernel: an errno
     * name ({@code EPERM}, {@code ENOMEM}, {@code ENOSYS}, ...), a decimal errno, or
     * {@code io_uring_disabled} (EPERM explained as {@code kernel.io_uring_disabled=2}). For tests
     * of the engines' fallback; not a user setting.
     */
    public static final String FAIL_SETUP_PROPERTY = "dev.jaio.internal.uring.failSetup";

    /**
     * System property that makes {@link #enter} fail without calling the kernel, as a seccomp
     * filter that allows {@code io_uring_setup} but refuses {@code io_uring_enter} would: an errno
     * name or number, optionally with {@code ,after=N} and {@code ,times=K} (see
     * {@link ForcedErrno}). Read once per ring, at setup. For tests; not a user setting.
     */
    public static final String FAIL_ENTER_PROPERTY = "dev.jaio.internal.uring.failEnter";

    /** Like {@value #FAIL_ENTER_PROPERTY}, for {@link #register}. For tests; not a user setting. */
    public static final String FAIL_REGISTER_PROPERTY = "dev.jaio.internal.uring.failRegister";

    /** {@code IORING_MAX_ENTRIES} in the kernel: more SQ entries need IORING_SETUP_CLAMP. */
    public static final int MAX_ENTRIES = 32768;

    /**
     * Setup flags this layer can drive: they change scheduling or error handling, not the
     * mapping, entry sizes or who submits.
     */
    static final int SUPPORTED_SETUP_FLAGS = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL
            | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SINGLE_ISSUER
            | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SQPOLL | IORING_SETUP_ATTACH_WQ;

    private final int fd;
    private final RingFeatures features;
    /** Shared arena of every view over the mappings; closed before they are unmapped. */
    private final Arena views;
    /** The distinct mappings, each unmapped once by {@link #close()}. */
    private final List<RingRegion> regions;
    private final SubmissionQueue submissionQueue;
    private final CompletionQueue completionQueue;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** io_uring_enter and io_uring_register: the kernel's, or a test's forced failures. */
    private final RingSyscalls syscalls;
    /** {@code IORING_SETUP_SQPOLL}: a kernel thread consumes published SQEs. */
    private final boolean sqPoll;

    private IoUring(int fd, RingFeatures features, Arena views, List<RingRegion> regions,
            SubmissionQueue submissionQueue, CompletionQueue completionQueue, RingSyscalls syscalls) {
        this.fd = fd;
        this.syscalls = syscalls;
        this.features = features;
        this.views = views;
        this.regions = regions;
        this.submissionQueue = submissionQueue;
        this.completionQueue = completionQueue;
        this.sqPoll = (features.setupFlags() & IORING_SETUP_SQPOLL) != 0;
    }

    /**
     * Sets up a ring with {@code entries} SQ entries (rounded up to a power of two by the kernel)
     * and the kernel's default CQ size (twice that).
     *
     * @param flags {@code IORING_SETUP_*}, usually 0 (see {@link #setup(int, int, int)} for those allowed)
     * @see #setup(int, int, int)
     */
    public static SetupResult setup(int entries, int flags) {
        return setup(entries, 0, flags, SetupSyscall.current());
    }

    /**
     * Sets up a ring.
     *
     * @param entries   SQ entries, 1 to {@value #MAX_ENTRIES} (more with IORING_SETUP_CLAMP)
     * @param cqEntries CQ entries, or 0 for the kernel's default of twice the SQ; when positive,
     *                  IORING_SETUP_CQSIZE is added to the flags
     * @param flags     {@code IORING_SETUP_*} from {@code IORING_SETUP_CQSIZE, CLAMP, SUBMIT_ALL,
     *                  COOP_TASKRUN, TASKRUN_FLAG, SINGLE_ISSUER, DEFER_TASKRUN, SQPOLL}
     *                  (SQPOLL here with the kernel's default idle time, 1 s)
     * @return the ring, or why there is none
     * @throws IllegalArgumentException for a non-positive {@code entries}, a negative
     *         {@code cqEntries}, or flags this layer cannot drive
     * @throws IllegalCallerException if native access is not enabled (the message names the flag)
     */
    public static SetupResult setup(int entries, int cqEntries, int flags) {
        return setup(entries, cqEntries, flags, SetupSyscall.current());
    }

    /** {@link #setup(int, int, int)} through the given seam; tests pass a failing one. */
    static SetupResult setup(int entries, int cqEntries, int flags, SetupSyscall syscall) {
        return setup(entries, cqEntries, flags, syscall, null);
    }

    /**
     * {@link #setup(int, int)} whose ring makes its {@code io_uring_enter} and
     * {@code io_uring_register} calls through {@code ringSyscalls}: an engine with several rings
     * passes each the same one, so that a test's forced failures ({@value #FAIL_ENTER_PROPERTY})
     * count the engine's calls, whichever ring makes them.
     */
    static SetupResult setup(int entries, int flags, RingSyscalls ringSyscalls) {
        return setup(entries, 0, flags, SetupSyscall.current(), ringSyscalls, 0, -1);
    }

    /**
     * {@link #setup(int, int, RingSyscalls)} with {@code cqEntries} CQEs (0: the kernel's twice the
     * SQ) and, when {@code IORING_SETUP_SQPOLL} is among the flags, a poller that sleeps after
     * {@code sqThreadIdleMillis} without work; with {@code IORING_SETUP_ATTACH_WQ} the ring shares
     * the poller (5.11) and workers of ring {@code attachTo}.
     */
    static SetupResult setup(int entries, int cqEntries, int flags, RingSyscalls ringSyscalls, int sqThreadIdleMillis,
            int attachTo) {
        return setup(entries, cqEntries, flags, SetupSyscall.current(), ringSyscalls, sqThreadIdleMillis, attachTo);
    }

    private static SetupResult setup(int entries, int cqEntries, int flags, SetupSyscall syscall,
            RingSyscalls shared) {
        return setup(entries, cqEntries, flags, syscall, shared, 0, -1);
    }

    private static SetupResult setup(int entries, int cqEntries, int flags, SetupSyscall syscall,
            RingSyscalls shared, int sqThreadIdleMillis, int attachTo) {
        if (entries <= 0) {
            throw new IllegalArgumentException("an io_uring needs at least 1 entry, not " + entries);
        }
        if (cqEntries < 0) {
            throw new IllegalArgumentException("cqEntries must be 0 (default) or positive, not " + cqEntries);
        }
        if ((flags & ~SUPPORTED_SETUP_FLAGS) != 0) {
            throw new IllegalArgumentException("io_uring setup flags 0x"
                    + Integer.toHexString(flags & ~SUPPORTED_SETUP_FLAGS) + " are not supported by jaio's ring"
                    + " layer, which submits through io_uring_enter or SQPOLL with 64-byte SQEs and 16-byte"
                    + " CQEs (no IOPOLL, SQE128, CQE32, NO_MMAP)");
        }
        if ((flags & IORING_SETUP_CQSIZE) != 0 && cqEntries == 0) {
            throw new IllegalArgumentException("IORING_SETUP_CQSIZE needs a positive cqEntries");
        }
        if (cqEntries > 0) {
            flags |= IORING_SETUP_CQSIZE;
        }
        // Before the ring exists: a typo throws, nothing leaks.
        RingSyscalls ringSyscalls = shared != null ? shared : RingSyscalls.current();
        if (syscall == SetupSyscall.KERNEL && Platform.current() == Platform.UNSUPPORTED) {
            return new SetupResult.Refused(SetupFailure.unsupportedPlatform(Platform.describe()));
        }
        try (Arena arena = Arena.ofConfined()) {
            // Zeroed: the kernel refuses non-zero reserved fields with EINVAL.
            MemorySegment params = arena.allocate(IO_URING_PARAMS);
            params.set(JAVA_INT, PARAMS_FLAGS, flags);
            params.set(JAVA_INT, PARAMS_CQ_ENTRIES, cqEntries);
            params.set(JAVA_INT, PARAMS_SQ_THREAD_IDLE, sqThreadIdleMillis);
            params.set(JAVA_INT, PARAMS_WQ_FD, attachTo < 0 ? 0 : attachTo);
            long ringFd = syscall.ioUringSetup(entries, params);
            if (ringFd < 0) {
                return new SetupResult.Refused(
                        SetupFailure.ofSetup((int) -ringFd, entries, flags, syscall.ioUringDisabled()));
            }
            RingFeatures granted = new RingFeatures(params.get(JAVA_INT, PARAMS_SQ_ENTRIES),
                    params.get(JAVA_INT, PARAMS_CQ_ENTRIES), flags, params.get(JAVA_INT, PARAMS_FEATURES));
            return map((int) ringFd, granted, params.asSlice(PARAMS_SQ_OFF, IO_SQRING_OFFSETS),
                    params.asSlice(PARAMS_CQ_OFF, IO_CQRING_OFFSETS), ringSyscalls);
        }
    }

    /**
     * Maps the rings of a new ring descriptor, as liburing's {@code io_uring_mmap}: the SQ ring
     * at {@code IORING_OFF_SQ_RING}, the CQ ring in the same mapping with
     * IORING_FEAT_SINGLE_MMAP (5.4) or else at {@code IORING_OFF_CQ_RING}, and the SQE array at
     * {@code IORING_OFF_SQES}. On any failure everything is released again, the descriptor too.
     */
    private static SetupResult map(int fd, RingFeatures granted, MemorySegment sqOff, MemorySegment cqOff,
            RingSyscalls syscalls) {
        long sqRingSize = Integer.toUnsignedLong(sqOff.get(JAVA_INT, SQ_OFF_ARRAY))
                + Integer.toUnsignedLong(granted.sqEntries()) * Integer.BYTES;
        long cqRingSize = Integer.toUnsignedLong(cqOff.get(JAVA_INT, CQ_OFF_CQES))
                + Integer.toUnsignedLong(granted.cqEntries()) * CQE_SIZE;
        long sqesSize = Integer.toUnsignedLong(granted.sqEntries()) * SQE_SIZE;
        List<RingRegion> regions = new ArrayList<>(3);
        Arena views = Arena.ofShared();

        RingRegion sqRing;
        RingRegion cqRing;
        long r;
        if (granted.singleMmap()) {
            long both = Math.max(sqRingSize, cqRingSize);
            r = Mman.mmap(both, RingRegion.PROT, RingRegion.FLAGS, fd, IORING_OFF_SQ_RING);
            if (r < 0) {
                return refuse("SQ and CQ rings", r, both, fd, views, regions);
            }
            sqRing = new RingRegion("SQ and CQ rings", r, both);
            cqRing = sqRing;
            regions.add(sqRing);
        } else {
            r = Mman.mmap(sqRingSize, RingRegion.PROT, RingRegion.FLAGS, fd, IORING_OFF_SQ_RING);
            if (r < 0) {
                return refuse("SQ ring", r, sqRingSize, fd, views, regions);
            }
            sqRing = new RingRegion("SQ ring", r, sqRingSize);
            regions.add(sqRing);
            r = Mman.mmap(cqRingSize, RingRegion.PROT, RingRegion.FLAGS, fd, IORING_OFF_CQ_RING);
            if (r < 0) {
                return refuse("CQ ring", r, cqRingSize, fd, views, regions);
            }
            cqRing = new RingRegion("CQ ring", r, cqRingSize);
            regions.add(cqRing);
        }
        r = Mman.mmap(sqesSize, RingRegion.PROT, RingRegion.FLAGS, fd, IORING_OFF_SQES);
        if (r < 0) {
            return refuse("SQE array", r, sqesSize, fd, views, regions);
        }
        RingRegion sqes = new RingRegion("SQE array", r, sqesSize);
        regions.add(sqes);

        // Each queue gets its own views: the SQ never holds a segment over the CQ or back.
        SubmissionQueue sq;
        CompletionQueue cq;
        try {
            sq = new SubmissionQueue(sqRing.view(views, sqRingSize), sqes.view(views, sqesSize), sqOff);
            cq = new CompletionQueue(cqRing.view(views, cqRingSize), cqOff);
        } catch (RuntimeException e) {
            views.close(); // the views made so far were never handed out
            List<String> problems = release(fd, regions);
            problems.forEach(p -> e.addSuppressed(new IllegalStateException(p)));
            throw e;
        }
        return new SetupResult.Ready(new IoUring(fd, granted, views, List.copyOf(regions), sq, cq, syscalls));
    }

    private static SetupResult refuse(String what, long negErrno, long length, int fd, Arena views,
            List<RingRegion> mapped) {
        SetupFailure failure = SetupFailure.ofMmap(what, (int) -negErrno, length);
        views.close(); // no view was made yet
        List<String> problems = release(fd, mapped);
        if (!problems.isEmpty()) {
            failure = new SetupFailure(failure.call(), failure.errno(),
                    failure.explanation() + "; cleaning up also failed: " + String.join("; ", problems));
        }
        return new SetupResult.Refused(failure);
    }

    /** The ring's file descriptor. */
    public int fd() {
        return fd;
    }

    /** What the kernel granted. */
    public RingFeatures features() {
        return features;
    }

    /** The submission side; one producer at a time. */
    public SubmissionQueue submissionQueue() {
        return submissionQueue;
    }

    /** The completion side; one consumer at a time. */
    public CompletionQueue completionQueue() {
        return completionQueue;
    }

    /**
     * Publishes the reserved SQEs and submits every published, unconsumed one with
     * {@code io_uring_enter(fd, n, 0, 0)}. Producer only.
     *
     * @return how many SQEs the kernel consumed (each will produce a CQE, even one that failed
     *         at submission), 0 when there was nothing to submit, or {@code -errno}: EAGAIN or
     *         EBUSY (reap completions and try again), EINTR never (retried), anything else (EPERM
     *         from a seccomp filter, ...) a refusal: the SQEs not consumed stay published until
     *         {@link SubmissionQueue#withdrawUnconsumed} takes them back
     */
    public long submit() {
        int toSubmit = submissionQueue.publish();
        return toSubmit == 0 ? 0 : enter(toSubmit, 0, 0);
    }

    /**
     * Like {@link #submit()}, and then waits until at least {@code minComplete} CQEs are ready:
     * {@code io_uring_enter(fd, n, minComplete, IORING_ENTER_GETEVENTS)}. Producer only. The wait
     * is in the kernel and does not see {@code Thread.interrupt()}.
     */
    public long submitAndWait(int minComplete) {
        int toSubmit = submissionQueue.publish();
        return enter(toSubmit, minComplete, minComplete > 0 ? IORING_ENTER_GETEVENTS : 0);
    }

    /**
     * {@code io_uring_enter(fd, toSubmit, minComplete, flags)}, retried on EINTR (see
     * {@link Syscall#ioUringEnter}). Any thread; with {@code toSubmit > 0} it consumes published
     * SQEs, so a caller other than the producer passes 0.
     *
     * @return SQEs consumed, or {@code -errno}
     * @throws IllegalStateException after {@link #close()}: the descriptor number may already
     *         belong to another file
     */
    public long enter(int toSubmit, int minComplete, int flags) {
        ensureOpen();
        if (sqPoll && toSubmit > 0) {
            // The poller takes published SQEs by itself; the kernel is needed only to wake it
            // (liburing's sq_ring_needs_enter). The full fence orders the tail's release store
            // before the flags' load, and pairs with the poller's own barrier between setting
            // IORING_SQ_NEED_WAKEUP and its last look at the tail: either it sees our SQEs, or
            // we see it asleep. Without it both could miss each other and the SQEs wait forever.
            VarHandle.fullFence();
            if ((submissionQueue.kernelFlags() & IORING_SQ_NEED_WAKEUP) != 0) {
                flags |= IORING_ENTER_SQ_WAKEUP;
            } else if ((flags & IORING_ENTER_GETEVENTS) == 0) {
                return toSubmit; // the poller is awake and takes them: no system call
            }
        }
        return syscalls.enter(fd, toSubmit, minComplete, flags);
    }

    /**
     * Whether the ring has a poller thread ({@code IORING_SETUP_SQPOLL}): SQEs are the kernel's
     * once published, and {@link #enter} returns before the poller has consumed them, so an
     * unconsumed SQE is not a sign that the kernel refused it, and must never be withdrawn.
     */
    public boolean sqPoll() {
        return sqPoll;
    }

    /**
     * Whether the kernel holds completions that did not fit the CQ ring
     * ({@code IORING_SQ_CQ_OVERFLOW}) or has completion work waiting for this task
     * ({@code IORING_SQ_TASKRUN}); liburing's {@code cq_ring_needs_flush}. If so, reap, then call
     * {@code enter(0, 0, IORING_ENTER_GETEVENTS)} to move them into the ring. Any thread.
     */
    public boolean completionsBacklogged() {
        return (submissionQueue.kernelFlags() & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) != 0;
    }

    /**
     * {@code io_uring_register(fd, opcode, arg, nrArgs)}: the opcode's result or {@code -errno}.
     * Any thread.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public long register(int opcode, MemorySegment arg, int nrArgs) {
        ensureOpen();
        return syscalls.register(fd, opcode, arg, nrArgs);
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Invalidates the ring's views (later use throws {@link IllegalStateException}), unmaps the
     * rings and closes the descriptor, exactly once; later calls do nothing.
     *
     * <p>It does not wait for requests in flight. Closing the descriptor makes the kernel cancel
     * or finish them in the background, and until then it may still write their buffers: an engine
     * reaps every outstanding CQE before closing, and frees buffers only after that.
     *
     * @throws IllegalStateException if a munmap or close failed (a bug: every step is still done)
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            views.close();
        } catch (IllegalStateException inUse) {
            // Unmapping now could fault the thread that holds a view: leave everything mapped
            // and open, and let the caller close again once that thread has stopped.
            closed.set(false);
            throw new IllegalStateException("io_uring fd " + fd + " is still in use by another thread ("
                    + inUse.getMessage() + "): stop its producer and consumer before closing it", inUse);
        }
        List<String> problems = release(fd, regions);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("closing io_uring fd " + fd + ": " + String.join("; ", problems));
        }
    }

    /**
     * Unmaps every region, then closes the descriptor; every step is tried. The caller has closed
     * the views' arena first, so nothing can touch the memory any more.
     */
    private static List<String> release(int fd, List<RingRegion> regions) {
        List<String> problems = new ArrayList<>(0);
        for (RingRegion region : regions) {
            long r = region.unmap();
            if (r < 0) {
                problems.add("munmap(" + region.what() + ") failed: " + SetupFailure.name((int) -r));
            }
        }
        // Libc.close does not retry EINTR: on Linux the descriptor is gone even then.
        int r = Libc.close(fd);
        if (r < 0) {
            problems.add("close(" + fd + ") failed: " + SetupFailure.name(-r));
        }
        return problems;
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("io_uring fd " + fd + " is closed");
        }
    }

    @Override
    public String toString() {
        return "IoUring[fd=" + fd + ", " + features + (closed.get() ? ", closed]" : "]");
    }
}
