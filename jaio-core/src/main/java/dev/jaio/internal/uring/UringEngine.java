package dev.jaio.internal.uring;

import dev.jaio.AioEngineOptions;
import dev.jaio.AioFsyncMode;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.internal.Callbacks;
import dev.jaio.internal.Failures;
import dev.jaio.internal.JavaCompletingEngine;
import dev.jaio.internal.ListCompletion;
import dev.jaio.internal.OpKind;
import dev.jaio.internal.Operation;
import dev.jaio.internal.OwnedDescriptors;
import dev.jaio.internal.ffi.EventFd;
import dev.jaio.internal.ffi.IoUringAbi;
import dev.jaio.internal.ffi.Libc;
import dev.jaio.internal.ffi.NativeAccess;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The engine "io_uring": a small set of rings, each chosen by the threads that submit to it,
 * driven through raw system calls.
 *
 * <p><b>Rings.</b> The engine has up to {@link #ringCount} rings (one per CPU, at least two),
 * each an {@link EngineRing} with a lock for its submission side and one for its completion side.
 * A thread is given a ring, round robin, the first time it submits to the engine, and keeps it:
 * threads on different rings share no lock on the way to the kernel and back, so an engine used
 * by several threads scales with them. Ring 0 is set up when the engine opens (which proves that
 * io_uring works here); the others when a thread is first given them; all are closed with the
 * engine. A ring that cannot be set up later (memory, limits) is replaced by ring 0, for good.
 * The rings are shared by the threads given them and reaped by any thread, so they are set up
 * without {@code IORING_SETUP_SINGLE_ISSUER} and {@code DEFER_TASKRUN} (which want one task to
 * submit and reap, and a virtual thread's carrier changes) and without {@code COOP_TASKRUN}
 * (completion work would wait for a submitter that may be parked in Java for long).
 *
 * <p><b>Submitting.</b> A submitter fills one SQE per operation and calls {@code io_uring_enter}
 * once for the whole list on its ring (more often only when the list is longer than the ring).
 * A single operation that its caller allows to be deferred ({@link #submitOneDeferrable}: the
 * channel's reads and writes, when their thread submits in a burst) is prepared in the ring and
 * left there for the ring's next {@code io_uring_enter}, at the latest the
 * {@link SubmissionFlusher}'s: up to {@link #DEFER_LIMIT} of them share one system call.
 *
 * <p><b>Reaping.</b> Completions are reaped by whoever is there first:
 * <ul>
 *   <li>the submitter, right after {@code io_uring_enter} returns: reads from the page cache are
 *       completed inside that call, so a {@code LIO_WAIT} list of cached reads, or one cached
 *       read's {@code submit()}, is submitted, completed and reaped with one system call, no
 *       thread switch and no wake-up of the reaper. A {@code LIO_WAIT} list of regular-file
 *       operations that did not all complete inside the submission (O_DIRECT) is waited for in
 *       the kernel by the submitter ({@code io_uring_enter(0, n, GETEVENTS)}, holding its ring's
 *       locks) and reaped by it;</li>
 *   <li>a waiting thread, before it parks (the rings of what it waits for);</li>
 *   <li>the reaper thread, which sleeps in {@code read} on one eventfd registered with every
 *       ring ({@code IORING_REGISTER_EVENTFD}) and wakes when the kernel posts completions that
 *       happen later (O_DIRECT, io-wq, pipes): no core spins, an idle engine costs nothing. The
 *       eventfd of a ring is armed only while the ring has operations in flight after its last
 *       reap ({@link ReaperArming}, switched with {@code IORING_CQ_EVENTFD_DISABLED} at the end
 *       of each reap): completions the submitter reaps itself wake nobody.</li>
 * </ul>
 * Reaping stores each result and unparks the thread waiting for it; waits park in Java, so they
 * honour {@code Thread.interrupt()} and do not pin virtual threads' carriers. An operation
 * completes on the ring it was submitted to; everything else (the block table, call order, fsync
 * hold-back, cancel) is the engine's, so callbacks, {@code aio_suspend} from another thread and
 * {@code aio_cancel} work across rings.
 *
 * <p><b>user_data</b> is a block's index in {@link #blocks} and a generation; internal requests
 * (cancels) have bit 63 set: see {@link UserData}.
 *
 * <p><b>fsync</b>: POSIX wants an {@code aio_fsync} to cover the writes queued before it. Each
 * write takes a number from {@link #writeSequence} when it gets its SQE (after marking itself in
 * the kernel, so an fsync that numbered itself later cannot miss it); the engine submits an fsync
 * only when no earlier-numbered write of its descriptor is in flight, holding it back until then
 * (see {@link #deferFsync}); unlike {@code IOSQE_IO_DRAIN}, this never delays later operations or
 * other descriptors, and works across rings. A held-back fsync is submitted by the thread that
 * reaps the last write it waited for, once that thread left the ring's locks (the reaper thread
 * only when the reaping thread holds one).
 *
 * <p><b>Call order.</b> POSIX wants the operations of a descriptor without offsets (pipe, FIFO,
 * socket, terminal) carried out in call order, and the writes of an {@code O_APPEND} descriptor
 * appended in call order; the kernel starts what it is given in any order (a request that waits
 * for a pipe, or is punted to an io-wq worker, is overtaken by the next). Such an operation
 * ({@link Operation#inCallOrder()}, asked once per block) therefore goes to the kernel only when no
 * earlier one of its descriptor is there: the first heads the descriptor's lane ({@link #lanes})
 * and is submitted; later ones wait in the lane, unsubmitted and still cancelable, and when the
 * head's completion is reaped the next one is submitted (by the thread that reaped it, unless it
 * holds a lock, then by the reaper thread: never from inside the completion callback, see
 * {@link #releaseLanes}). {@code IOSQE_IO_LINK} would order only one submission's requests, and a
 * failure would cancel the rest of its chain, which POSIX does not do. Lanes and held-back fsyncs
 * are under the engine's {@link #orderLock}; regular files at explicit offsets never take it.
 *
 * <p><b>Refusals.</b> A security policy may allow {@code io_uring_setup} and refuse
 * {@code io_uring_register} or {@code io_uring_enter} (a seccomp filter can). Opening therefore
 * proves the whole path (setup, the probe and eventfd registrations, and one NOP submitted and
 * reaped) and refuses with {@link UnsupportedOperationException}, naming the call that failed, so
 * the default engine falls back. An {@code io_uring_enter} refused later (seccomp filters are per
 * thread, and can be installed at any time) fails the operations it concerns with its errno: the
 * SQEs the kernel did not consume are withdrawn from the ring (never left for the next
 * submission to send stale), a {@code submit()} then throws {@code AioException} and leaves its
 * block idle, a list names the blocks it did not queue, an operation the engine had already
 * accepted (a held-back fsync) completes with the errno. EAGAIN and EBUSY stay back-pressure.
 *
 * <p><b>Closing</b> cancels what is in flight, waits for every completion (so the kernel writes no
 * buffer any more), stops the reaper, then unmaps every ring.
 *
 * <p>Thread-safe.
 */
public final class UringEngine extends JavaCompletingEngine {
    /** Default ring size: 256 SQEs (and {@link #CQ_PER_SQ} times as many CQEs). */
    static final int DEFAULT_QUEUE_DEPTH = 256;
    /**
     * CQEs per SQE: 8, so 2,048 CQEs (32 KiB) for the default ring, where the kernel's default is
     * twice the SQ. Futures and virtual threads keep far more operations in flight than a list
     * does (1,000 virtual threads reading O_DIRECT left 1,500 on one ring); every completion
     * beyond the CQ ring costs the kernel an allocation on its overflow list, and its move back
     * a {@code GETEVENTS} (see {@link #drainCompletionQueue}). In one A/B sitting, 1,000 virtual
     * threads reading O_DIRECT did 2.56 times as many reads as 8120e1e with a CQ of 2,048 and 1.31
     * times with 512 (with the kernel's io_uring trace events on, which made each overflow cost
     * more; BENCHMARKS.md, sixth sitting).
     * Clamped by the kernel (IORING_SETUP_CLAMP) to its maximum.
     */
    static final int CQ_PER_SQ = 8;
    private static final int REAP_BATCH = 4096;
    /** At most this many rings, however many CPUs. */
    private static final int MAX_RINGS = 64;

    private final int depth;
    /** io_uring_enter and io_uring_register of every ring: the kernel's, or a test's forced failures. */
    private final RingSyscalls syscalls;
    private final boolean vectored;
    private final int eventFd;
    /** The rings set up so far; slot 0 from the start, the others on first use. */
    private final AtomicReferenceArray<EngineRing> rings;
    private final int ringCount;
    private final Object ringsLock = new Object();
    private final AtomicInteger nextRing = new AtomicInteger();
    /** The ring of each thread that used this engine, and when it last submitted; see {@link #submitterOfThisThread()}. */
    private final ThreadLocal<Submitter> submitters = new ThreadLocal<>();
    /** Submits deferred SQEs nobody else submitted in time; see {@link #submitOneDeferrable}. */
    private final SubmissionFlusher flusher = new SubmissionFlusher("jaio-io_uring-flusher", this::flushStale);
    private final Thread reaper;
    private volatile boolean stopping;
    /** {@code sq_thread_idle} of the engine's SQPOLL thread; 0: no SQPOLL. */
    private final int sqPollIdleMillis;
    /** Registered buffers and file tables, registered with each ring as it is set up. */
    private final RingRegistrations registrations;
    /** Empties a descriptor's registered-file slots before AioFile closes it; see {@link RegisteredFiles}. */
    private final IntConsumer onDescriptorClosing = this::forgetDescriptor;
    /** How often the reaper thread woke from its eventfd; written by the reaper only. */
    private volatile long reaperWakeups;

    private final Object blocksLock = new Object();
    private volatile AtomicReferenceArray<UringOperation> blocks = new AtomicReferenceArray<>(64);
    private int[] freeIndexes = new int[64];
    private int freeCount;
    private int nextIndex;

    private final AtomicLong nextTicket = new AtomicLong(1);
    private final ConcurrentHashMap<Long, Ticket> tickets = new ConcurrentHashMap<>();
    private final CompletionConsumer onCompletion = this::onCompletion;

    /**
     * Call order and fsync hold-back: {@link #lanes}, {@link #deferredFsyncs}, the held-back
     * batch. Taken before a ring's locks, never while holding one.
     */
    private final Object orderLock = new Object();
    /**
     * Numbers writes and fsyncs in the order they were queued; see {@link UringOperation#sequence}.
     * Reads take none: no fsync waits for them.
     */
    private final AtomicLong writeSequence = new AtomicLong();
    /** fsyncs waiting for earlier writes of their descriptor; see {@link #deferFsync}. Under orderLock. */
    private final List<UringOperation> deferredFsyncs = new ArrayList<>();
    private volatile int deferredFsyncCount;
    /** Set when a write completed while fsyncs were held back; see {@link #writeCompleted}. */
    private volatile boolean fsyncsMayGo;
    /**
     * Call order: the operations of each descriptor's lane waiting for the lane's head (the one
     * in the kernel, or held back as a deferred fsync or a resubmission) to end, oldest first. A
     * lane exists from its head's submission until its last operation ended. Under orderLock.
     */
    private final HashMap<Integer, ArrayDeque<UringOperation>> lanes = new HashMap<>();
    /**
     * Descriptors whose lane head ended: each entry submits the lane's next operation (or ends the
     * lane); see {@link #releaseLanes}. Filled by anyone, emptied under orderLock.
     */
    private final ConcurrentLinkedQueue<Integer> endedLaneHeads = new ConcurrentLinkedQueue<>();
    /** Operations to submit again from the reaper thread; see {@link #resubmitCanceledByThreadExit()}. */
    private final ConcurrentLinkedQueue<UringOperation> canceledByThreadExit = new ConcurrentLinkedQueue<>();
    /** The batch of {@link #submitHeldBack}: its ring, first refusal, and whether an SQE waits for the flush. Under orderLock. */
    private EngineRing heldBackRing;
    private int heldBackRefusal;
    private boolean heldBackQueued;
    /** Whether a refused move of held-back completions was reported; see {@link #backlogRefused}. */
    private final AtomicBoolean backlogRefusalReported = new AtomicBoolean();

    /**
     * Opens the engine and its first ring.
     *
     * @throws UnsupportedOperationException when io_uring cannot work here, saying why: the call
     *         that was refused first ({@code io_uring_setup}, {@code io_uring_register},
     *         {@code io_uring_enter}), its errno and what usually causes it, or the missing opcodes
     */
    public UringEngine(AioEngineOptions options, boolean processWide) {
        super("io_uring", processWide);
        NativeAccess.ensureEnabled();
        int requested = options.queueDepth() > 0 ? options.queueDepth() : DEFAULT_QUEUE_DEPTH;
        this.depth = Math.min(requested, IoUring.MAX_ENTRIES);
        this.syscalls = RingSyscalls.current();
        this.registrations = new RingRegistrations(options);
        this.sqPollIdleMillis = options.sqPollIdleMillis();
        int setupFlags = IoUringAbi.IORING_SETUP_CLAMP | (sqPollIdleMillis > 0 ? IoUringAbi.IORING_SETUP_SQPOLL : 0);
        IoUring r = switch (IoUring.setup(depth, depth * CQ_PER_SQ, setupFlags, syscalls, sqPollIdleMillis, -1)) {
            case SetupResult.Ready ready -> ready.ring();
            case SetupResult.Refused refused -> throw new UnsupportedOperationException(refused.failure().message());
        };
        int efd = -1;
        RegisteredFiles files0;
        try {
            Probe probe = Probe.of(r);
            if (!probe.answered()) {
                // Named first: "lacks every opcode" would blame the kernel for what a policy refused.
                throw new UnsupportedOperationException(probe.failure());
            }
            if (sqPollIdleMillis > 0 && !r.features().has(IoUringAbi.IORING_FEAT_SQPOLL_NONFIXED)) {
                throw new UnsupportedOperationException("IORING_SETUP_SQPOLL (AioEngineOptions.withSqPoll): this"
                        + " kernel is older than 5.11, whose poller takes only registered files; open the engine"
                        + " without withSqPoll");
            }
            requireOps(probe, IoUringAbi.IORING_OP_READ, "READ", IoUringAbi.IORING_OP_WRITE, "WRITE",
                    IoUringAbi.IORING_OP_FSYNC, "FSYNC", IoUringAbi.IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL",
                    IoUringAbi.IORING_OP_NOP, "NOP");
            this.vectored = probe.supports(IoUringAbi.IORING_OP_READV) && probe.supports(IoUringAbi.IORING_OP_WRITEV);
            efd = EventFd.create();
            if (efd < 0) {
                throw new UnsupportedOperationException("eventfd failed: " + Failures.text(-efd));
            }
            long reg = registerEventFd(r, efd);
            if (reg < 0) {
                throw new UnsupportedOperationException(
                        SetupFailure.ofRegister("IORING_REGISTER_EVENTFD", (int) -reg).message());
            }
            if (registrations.hasBuffers()) {
                requireOps(probe, IoUringAbi.IORING_OP_READ_FIXED, "READ_FIXED", IoUringAbi.IORING_OP_WRITE_FIXED,
                        "WRITE_FIXED");
            }
            RingRegistrations.Outcome registered = registrations.registerWith(r);
            if (registered.refusal() != null) {
                throw new UnsupportedOperationException(registered.refusal().message());
            }
            files0 = registered.files();
            requireRoundTrip(r);
        } catch (RuntimeException | Error e) {
            if (efd >= 0) {
                Libc.close(efd);
            }
            r.close();
            throw e;
        }
        this.eventFd = efd;
        this.ringCount = Math.clamp(Runtime.getRuntime().availableProcessors(), 2, MAX_RINGS);
        this.rings = new AtomicReferenceArray<>(ringCount);
        rings.set(0, newEngineRing(0, r, files0));
        if (registrations.hasFiles()) {
            OwnedDescriptors.addListener(onDescriptorClosing);
        }
        this.reaper = Thread.ofPlatform().daemon().name("jaio-io_uring-reaper").start(this::reapLoop);
    }

    private EngineRing newEngineRing(int index, IoUring r, RegisteredFiles files) {
        EngineRing[] self = new EngineRing[1];
        EngineRing er = new EngineRing(index, r, files, userData -> onWithdrawn(self[0], userData));
        self[0] = er;
        return er;
    }

    /** {@code IORING_REGISTER_EVENTFD} of {@code efd} with {@code r}: 0 or {@code -errno}. */
    private static long registerEventFd(IoUring r, int efd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fdArg = arena.allocateFrom(ValueLayout.JAVA_INT, efd);
            return r.register(IoUringAbi.IORING_REGISTER_EVENTFD, fdArg, 1);
        }
    }

    /**
     * Proves that the ring works, not only that it was set up: one NOP submitted and its
     * completion reaped, with one {@code io_uring_enter(1, 1, GETEVENTS)}. Where a policy allows
     * {@code io_uring_setup} but refuses {@code io_uring_enter}, the engine would otherwise be
     * chosen and then fail every submission.
     */
    private static void requireRoundTrip(IoUring r) {
        SubmissionQueue sq = r.submissionQueue();
        int sqe = sq.reserve(); // a new ring: never full
        sq.prepareNop(sqe, UserData.ofInternal(0));
        long consumed = r.submitAndWait(1);
        if (consumed < 0) {
            throw new UnsupportedOperationException(SetupFailure.ofEnter((int) -consumed).message());
        }
        long[] cqe = {-1, -1};
        int reaped = r.completionQueue().reap((userData, res, flags) -> {
            cqe[0] = userData;
            cqe[1] = res;
        }, 1);
        if (consumed != 1 || reaped != 1 || cqe[0] != UserData.ofInternal(0) || cqe[1] != 0) {
            throw new UnsupportedOperationException("io_uring does not work as jaio expects: a NOP submitted with"
                    + " io_uring_enter(1, 1, IORING_ENTER_GETEVENTS) was consumed " + consumed + " time(s) and gave "
                    + reaped + " completion(s) (user_data 0x" + Long.toHexString(cqe[0]) + ", res " + cqe[1] + ")");
        }
    }

    private static void requireOps(Probe probe, Object... opsAndNames) {
        StringBuilder missing = new StringBuilder();
        for (int i = 0; i < opsAndNames.length; i += 2) {
            if (!probe.supports((Integer) opsAndNames[i])) {
                missing.append(missing.isEmpty() ? "" : ", ").append("IORING_OP_").append(opsAndNames[i + 1]);
            }
        }
        if (!missing.isEmpty()) {
            throw new UnsupportedOperationException("this kernel's io_uring lacks " + missing
                    + "; jaio needs Linux 5.6 or newer");
        }
    }

    @Override
    public List<MemorySegment> fixedBuffers() {
        return registrations.buffers();
    }

    /** {@code buf_index} of the registered buffer that holds all of {@code buffer}, or -1. Any thread. */
    int fixedBufferIndex(MemorySegment buffer) {
        return registrations.bufferIndex(buffer);
    }

    /**
     * {@code AioFile.close()} is about to close {@code fd}: its slot in every ring's file table is
     * emptied first, so that the number, once reused, is never served the old file. The closing
     * thread; takes each table's monitor only.
     */
    private void forgetDescriptor(int fd) {
        for (int i = 0; i < ringCount; i++) {
            EngineRing r = rings.get(i);
            if (r != null && r.index == i && r.files != null) {
                r.files.forget(fd);
            }
        }
    }

    /** The first ring's features, for {@code jaio probe} and tests. */
    public RingFeatures features() {
        return rings.get(0).ring.features();
    }

    @Override
    protected Operation newOperation(OpKind kind, int fd, int priority, AioFsyncMode mode, SigevNotify notify) {
        return new UringOperation(this, kind, fd, priority, mode, notify);
    }

    @Override
    protected boolean supportsVectored() {
        return vectored;
    }

    // ---------------------------------------------------------------- rings

    /** How many rings this engine may have; for tests. */
    int ringCount() {
        return ringCount;
    }

    /** How often the reaper thread was woken (by the kernel or by the engine); for tests. */
    long reaperWakeups() {
        return reaperWakeups;
    }

    /** How many distinct rings are set up now; for tests. */
    int ringsInUse() {
        int n = 0;
        for (int i = 0; i < ringCount; i++) {
            EngineRing r = rings.get(i);
            if (r != null && r.index == i) {
                n++;
            }
        }
        return n;
    }

    /**
     * The ring of the calling thread: given round robin at its first submission, then kept (a
     * {@code ThreadLocal} read, nothing allocated).
     */
    EngineRing ringOfThisThread() {
        return submitterOfThisThread().ring;
    }

    /** What the engine keeps of each thread that submits: its ring, and when it last deferred. */
    private static final class Submitter {
        final EngineRing ring;
        /** {@code System.nanoTime()} of the thread's last deferrable submission. */
        long lastDeferrable = Long.MIN_VALUE / 2;
        /** The ring's {@link EngineRing#staleFlushes} at this thread's last look. */
        long staleFlushesSeen;
        /** {@code System.nanoTime()} before which this thread defers nothing (see {@link #STALE_BACKOFF_NANOS}). */
        long deferAgainAt = Long.MIN_VALUE / 2;

        Submitter(EngineRing ring) {
            this.ring = ring;
        }
    }

    private Submitter submitterOfThisThread() {
        Submitter s = submitters.get();
        if (s == null) {
            s = new Submitter(ringAt(Math.floorMod(nextRing.getAndIncrement(), ringCount)));
            submitters.set(s);
        }
        return s;
    }

    /** Ring {@code i}, set up now if it is not yet; ring 0 if that fails. */
    private EngineRing ringAt(int i) {
        EngineRing r = rings.get(i);
        if (r != null) {
            return r;
        }
        synchronized (ringsLock) {
            r = rings.get(i);
            if (r == null) {
                r = setUpRing(i);
                rings.set(i, r);
            }
            return r;
        }
    }

    /**
     * A further ring like ring 0, registered with the engine's eventfd; ring 0 itself when the
     * kernel refuses (memory, {@code RLIMIT_MEMLOCK} before 5.12): the engine works on, with fewer
     * rings. Under ringsLock.
     */
    private EngineRing setUpRing(int i) {
        if (isClosed()) {
            return rings.get(0);
        }
        // With SQPOLL, every ring attaches to ring 0's poller thread (IORING_SETUP_ATTACH_WQ,
        // 5.11): one kernel thread for the engine, not one per ring, each spinning on a core.
        int flags = sqPollIdleMillis > 0
                ? IoUringAbi.IORING_SETUP_CLAMP | IoUringAbi.IORING_SETUP_SQPOLL | IoUringAbi.IORING_SETUP_ATTACH_WQ
                : IoUringAbi.IORING_SETUP_CLAMP;
        SetupResult setup = IoUring.setup(depth, depth * CQ_PER_SQ, flags, syscalls, sqPollIdleMillis,
                rings.get(0).ring.fd());
        if (!(setup instanceof SetupResult.Ready ready)) {
            return rings.get(0);
        }
        IoUring r = ready.ring();
        if (registerEventFd(r, eventFd) < 0) {
            r.close();
            return rings.get(0);
        }
        RingRegistrations.Outcome registered = registrations.registerWith(r);
        if (registered.refusal() != null) {
            // RLIMIT_MEMLOCK counts buffers once per ring: this one may not fit where ring 0 did.
            r.close();
            return rings.get(0);
        }
        return newEngineRing(i, r, registered.files());
    }

    // ---------------------------------------------------------------- the block table

    int register(UringOperation op) {
        synchronized (blocksLock) {
            int index;
            if (freeCount > 0) {
                index = freeIndexes[--freeCount];
            } else {
                index = nextIndex++;
                if (index == blocks.length()) {
                    AtomicReferenceArray<UringOperation> bigger = new AtomicReferenceArray<>(2 * index);
                    for (int i = 0; i < index; i++) {
                        bigger.set(i, blocks.get(i));
                    }
                    blocks = bigger;
                }
            }
            blocks.set(index, op);
            return index;
        }
    }

    void unregister(UringOperation op) {
        synchronized (blocksLock) {
            blocks.set(op.index, null);
            if (freeCount == freeIndexes.length) {
                freeIndexes = Arrays.copyOf(freeIndexes, 2 * freeCount);
            }
            freeIndexes[freeCount++] = op.index;
        }
    }

    // ---------------------------------------------------------------- submitting

    int submitOne(UringOperation op) {
        if (failsWithoutKernel(op)) {
            return 0;
        }
        op.ordered = op.inCallOrder(); // a kept answer for a reused block: no system call
        EngineRing ring = ringOfThisThread();
        int r;
        if (op.ordered || op.kind() == OpKind.FSYNC) {
            synchronized (orderLock) {
                op.sequence = writeSequence.incrementAndGet();
                if (waitsInLane(op)) {
                    r = 0; // submitted when the operations before it in its lane have ended
                } else if (op.kind() == OpKind.FSYNC && waitsForEarlierWrites(op)) {
                    deferFsync(op);
                    r = 0;
                } else {
                    r = submitNow(ring, op);
                }
            }
        } else {
            r = submitNow(ring, op);
        }
        if (r < 0) {
            return r; // the block is idle again, error() says why
        }
        reapNow(ring);
        return 0;
    }

    /**
     * How close together two deferrable submissions of one thread must come for the second to be
     * deferred: 50 µs. A thread that submits now and then gets each operation submitted at once;
     * one that submits in a burst (a thread keeping many futures outstanding) gets them gathered.
     * The distance is measured from the end of the engine's own work for the thread's previous
     * submission (its system call, or the flush a wait of it made), so that the kernel's time for
     * a batch does not end the burst that made it.
     */
    static final long BURST_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    /**
     * How long the threads of a ring submit at once after the {@link SubmissionFlusher} had to
     * submit deferred SQEs of it {@link #RESCUES_BEFORE_BACKOFF} times in a row (no flush of the
     * ring's own threads between): 100 ms, so that a thread that never waits on its futures
     * ({@code allOf}) has about three bursts in a thousand delayed. A rescue alone, or two, is a
     * thread descheduled in its bursts, or paused by the JVM: backing off at every rescue cost a
     * 32-future thread 28,522 single-read system calls in 3.5 s (4 rescues), and at the second in
     * a row still 5,000-8,000. (10 ms was tried: 32-read
     * {@code allOf} batches then took 124-156 µs against 97-107 µs without deferral, medians of
     * one run each on a loaded machine; 100 ms: 85-127 µs.)
     */
    static final long STALE_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How many rescues of a ring by the {@link SubmissionFlusher} in a row start its back-off: 3. */
    static final int RESCUES_BEFORE_BACKOFF = 3;
    /** At most this many deferred SQEs wait on a ring: the one that makes them this many submits them all. */
    static final int DEFER_LIMIT = 32;

    /**
     * {@link #submitOne}, where the {@code io_uring_enter} may be deferred: for a read or write at
     * an offset that keeps no call order, by a thread whose previous deferrable submission came
     * less than {@link #BURST_NANOS} before, on a ring without SQPOLL, the SQE is prepared and
     * left in the ring, unsubmitted. It goes to the kernel with the ring's next flush: another
     * submission on the ring, the {@link #DEFER_LIMIT}th deferral, a thread about to wait for it
     * ({@link #flushDeferredFor}), a cancel, or at the latest the {@link SubmissionFlusher}'s
     * second tick. The operation counts as in the kernel from here on (a cancel submits it and
     * then the cancel request, in that order). A refused flush later completes it with the errno,
     * as it does a held-back fsync.
     */
    int submitOneDeferrable(UringOperation op) {
        Submitter me = submitterOfThisThread();
        long now = System.nanoTime();
        long stale = me.ring.staleFlushes;
        if (stale != me.staleFlushesSeen) {
            // The flusher had to submit what was deferred on this ring: its threads do not wait
            // on those futures (CompletableFuture.allOf(...).join(), handlers only). Deferring
            // would only delay them: submit at once for a while.
            me.staleFlushesSeen = stale;
            me.deferAgainAt = now + STALE_BACKOFF_NANOS;
        }
        boolean burst = now - me.lastDeferrable < BURST_NANOS && now - me.deferAgainAt >= 0;
        me.lastDeferrable = now;
        EngineRing ring = me.ring;
        boolean virtual = Thread.currentThread().isVirtual();
        if (!(burst || virtual) || op.kind() == OpKind.FSYNC || ring.ring.sqPoll() || op.inCallOrder()) {
            int r = submitOne(op);
            me.lastDeferrable = System.nanoTime(); // the burst rule measures the caller's time, not the kernel's
            return r;
        }
        if (failsWithoutKernel(op)) {
            return 0;
        }
        op.ordered = false;
        if (virtual) {
            return submitCombined(ring, op);
        }
        boolean flushed;
        synchronized (ring.submitLock) {
            int r = enqueue(ring, op);
            boolean queued = r == 0;
            int deferred = ring.sq.unpublished();
            flushed = queued && deferred >= DEFER_LIMIT;
            if (flushed) {
                r = flush(ring);
                queued = r == 0 || !ring.withdrawn.remove(op);
            } else if (queued) {
                ring.deferred = deferred;
            }
            if (r < 0) {
                completeWithdrawn(ring, r); // accepted earlier: they complete with the refusal
            }
            if (!queued) {
                return r;
            }
        }
        if (flushed) {
            reapNow(ring);
            // 32 reads of the page cache take the kernel about as long as BURST_NANOS: the next
            // submission's distance is counted from here, or it would never be part of a burst.
            me.lastDeferrable = System.nanoTime();
        } else {
            flusher.deferred();
        }
        return 0;
    }

    /**
     * A virtual thread's deferrable submission: {@code op} goes onto {@code ring}'s
     * {@link EngineRing#incoming} stack, and the thread then tries to become the ring's combiner,
     * which takes the whole stack under the ring's submitLock, gives each operation its SQE and
     * submits them with one {@code io_uring_enter}. A thread that finds a combiner at work leaves
     * its operation to it and returns at once: virtual threads never queue on the ring's monitor
     * (a virtual thread blocked on a monitor leaves its carrier, and another thread has to wake
     * it), and the more of them submit at once, the more share one system call. A page-cache read
     * submitted by its own thread as combiner completes inside that call, as on the ordinary path.
     *
     * <p>No operation is left behind: after giving up the combiner's flag the combiner looks at
     * the stack again (a thread that pushed while it held the flag saw the flag, so its push came
     * before the combiner's look), and takes it again, {@link #COMBINE_ROUNDS} times at most;
     * what remains then is the {@link SubmissionFlusher}'s, woken for it.
     */
    private int submitCombined(EngineRing ring, UringOperation op) {
        op.ring = ring; // where a waiter or a cancel finds it while it is gathered
        op.gathered = true;
        UringOperation head;
        do {
            head = ring.incoming.get();
            op.nextIncoming = head;
        } while (!ring.incoming.compareAndSet(head, op));
        if (ring.inFlight.get() >= GATHER_DEPTH && ring.combining.compareAndSet(false, true)) {
            // Many in flight (reads that wait for a device): become the combiner, and keep the
            // flag over one yield, so that the virtual threads ready on this carrier push their
            // operations and leave them here; then one system call (one device notification)
            // submits them all. Few in flight (reads of the page cache complete inside their
            // submission): combine at once, so that this thread finds its read done.
            Thread.yield();
            combineHeld(ring);
        }
        combine(ring, COMBINE_ROUNDS);
        return 0;
    }

    /**
     * Operations in flight on a ring from which a virtual thread's submission waits one
     * {@code Thread.yield()} for others to join it; see {@link #submitCombined}.
     */
    static final int GATHER_DEPTH = 32;

    /** How many times a combiner takes the incoming stack before it leaves the rest to the flusher. */
    private static final int COMBINE_ROUNDS = 4;

    /**
     * Takes and submits {@code ring}'s incoming stack as its combiner, up to {@code rounds} times
     * while it refills; nothing if another thread is the combiner (that one takes it) or the
     * calling thread holds one of the engine's locks. Wakes the flusher for what it leaves.
     */
    private void combine(EngineRing ring, int rounds) {
        if (holdsAnyLock(ring)) {
            flusher.deferred();
            return;
        }
        for (int i = 0; i < rounds; i++) {
            if (ring.incoming.get() == null || !ring.combining.compareAndSet(false, true)) {
                return;
            }
            combineHeld(ring);
        }
        if (ring.incoming.get() != null) {
            flusher.deferred();
        }
    }

    /** One round of {@link #combine} by the thread that holds the ring's combining flag, which it gives up. */
    private void combineHeld(EngineRing ring) {
        try {
            synchronized (ring.submitLock) {
                submitIncoming(ring, ring.incoming.getAndSet(null));
            }
        } finally {
            ring.combining.set(false);
        }
        if (ring.reaping) {
            // Another thread reaps the ring and has not settled yet: its settle reads the
            // in-flight count, ours included, so it either arms the eventfd and reaps again
            // (what completed inside our enter) or finds it armed already (what completed
            // signalled the reaper): nothing is stranded, and queuing on reapLock would only
            // park this thread.
            afterReap(ring);
        } else {
            reapNow(ring);
        }
    }

    /**
     * Gives each operation of {@code newestFirst} (a taken incoming stack) its SQE, oldest first,
     * and submits them. One the kernel refused completes with the refusal: its submitter was
     * told it was queued. Under the ring's submitLock.
     */
    private void submitIncoming(EngineRing ring, UringOperation newestFirst) {
        UringOperation oldestFirst = null;
        while (newestFirst != null) {
            UringOperation next = newestFirst.nextIncoming;
            newestFirst.nextIncoming = oldestFirst;
            oldestFirst = newestFirst;
            newestFirst = next;
        }
        int refused = 0;
        for (UringOperation op = oldestFirst; op != null; ) {
            UringOperation next = op.nextIncoming;
            op.nextIncoming = null;
            int r = refused < 0 ? refused : enqueue(ring, op);
            op.gathered = false; // after enqueue marked it in the kernel (or it failed)
            if (r < 0) {
                refused = r;
                completeWithdrawn(ring, r);
                finish(op, r);
            }
            op = next;
        }
        if (refused == 0) {
            int r = flush(ring);
            if (r < 0) {
                completeWithdrawn(ring, r);
            }
        }
    }

    /**
     * Submits the deferred SQEs of the ring {@code op} went to (of every ring, if {@code op} is
     * not in the kernel: an fsync held back for a deferred write waits for another ring), and
     * reaps what they completed; for a thread about to wait for {@code op}. Does nothing for a
     * thread that holds one of the engine's locks (the flusher submits them in time).
     */
    void flushDeferredFor(UringOperation op) {
        if (op.gathered) {
            combine(op.ring, 1); // if another thread combines, it takes op
            if (!op.gathered) {
                return;
            }
        }
        EngineRing ring = op.inKernel ? op.ring : null;
        if (ring != null) {
            if (ring.deferred > 0) {
                flushDeferred(ring);
                Submitter me = submitters.get();
                if (me != null) {
                    me.lastDeferrable = System.nanoTime(); // as after a flush in submitOneDeferrable
                }
            }
            return;
        }
        for (int i = 0; i < ringCount; i++) {
            EngineRing r = rings.get(i);
            if (r != null && r.index == i && r.deferred > 0) {
                flushDeferred(r);
            }
        }
    }

    /** Whether any ring holds deferred SQEs. Any thread. */
    boolean anyDeferred() {
        for (int i = 0; i < ringCount; i++) {
            EngineRing r = rings.get(i);
            if (r != null && (r.deferred > 0 || r.incoming.get() != null)) {
                return true;
            }
        }
        return false;
    }

    /** Submits {@code ring}'s deferred SQEs, then reaps it; nothing if its thread holds an engine lock. */
    private void flushDeferred(EngineRing ring) {
        if (holdsAnyLock(ring)) {
            return;
        }
        synchronized (ring.submitLock) {
            if (ring.deferred == 0) {
                return; // another flush took them
            }
            int r = flush(ring);
            if (r < 0) {
                completeWithdrawn(ring, r); // accepted earlier: they complete with the refusal
            }
        }
        reapNow(ring);
    }

    /**
     * The {@link SubmissionFlusher}'s tick: submits the deferred SQEs of each ring that held some
     * at the previous tick and was not flushed since. Returns whether any ring holds deferred SQEs.
     */
    private boolean flushStale() {
        boolean any = false;
        for (int i = 0; i < ringCount; i++) {
            EngineRing r = rings.get(i);
            if (r == null || r.index != i) {
                continue;
            }
            if (r.incoming.get() != null) {
                combine(r, 1); // left by a combiner that stopped, or by its last look
                any |= r.incoming.get() != null;
            }
            if (r.deferred == 0) {
                r.deferredFlushesSeen = -1;
                continue;
            }
            long flushes = r.deferredFlushes;
            if (flushes == r.deferredFlushesSeen) {
                r.rescuesInARow = flushes == r.deferredFlushesAfterRescue ? r.rescuesInARow + 1 : 1;
                if (r.rescuesInARow == RESCUES_BEFORE_BACKOFF) {
                    // No flush of the ring's threads between these rescues: they do not wait for
                    // what they defer. (Fewer is a thread descheduled in its bursts.)
                    r.rescuesInARow = 0;
                    r.staleFlushes++; // one writer: this thread
                }
                flushDeferred(r); // deferred for a whole tick: due
                r.deferredFlushesAfterRescue = r.deferredFlushes;
                r.deferredFlushesSeen = -1;
            } else {
                r.deferredFlushesSeen = flushes;
                any = true;
            }
        }
        return any;
    }

    /** Submits {@code op} on {@code ring} at once: 0, or the {@code -errno} that left it unqueued. */
    private int submitNow(EngineRing ring, UringOperation op) {
        synchronized (ring.submitLock) {
            int r = enqueue(ring, op);
            boolean queued = r == 0;
            if (queued) {
                r = flushAndReapHere(ring, null, 0);
                queued = r == 0 || !ring.withdrawn.remove(op);
            }
            if (r < 0) {
                completeWithdrawn(ring, r); // none: the ring held nothing unsubmitted before this one
            }
            if (!queued) {
                endLaneHeadLater(op); // its lane was made for it: nothing waits there yet
                return r;
            }
            return 0;
        }
    }

    // ---------------------------------------------------------------- call order

    /**
     * Enters {@code op} into its descriptor's lane if it keeps call order. True if it waits there,
     * behind earlier operations of the lane; false if it is to be submitted now: it keeps no order,
     * or it heads a lane made for it. Under orderLock.
     */
    private boolean waitsInLane(UringOperation op) {
        if (!op.ordered) {
            return false;
        }
        ArrayDeque<UringOperation> lane = lanes.get(op.fd());
        if (lane == null) {
            lanes.put(op.fd(), new ArrayDeque<>(4));
            op.laneHead = true;
            return false;
        }
        lane.add(op);
        op.laneWaiting = true;
        return true;
    }

    /**
     * {@code op}'s submission ends (it completes, or never reached the kernel): if it headed its
     * lane, the lane's next operation is due, and {@link #releaseLanes} submits it. True if so;
     * then the caller sees that somebody releases it. Call before {@link #completed}: from then on
     * the block's owner may submit it again. Any thread, any lock.
     */
    private boolean endLaneHead(UringOperation op) {
        if (!op.laneHead) {
            return false;
        }
        op.laneHead = false;
        endedLaneHeads.add(op.fd());
        return true;
    }

    /** {@link #endLaneHead}, outside a reap: the reaper thread submits the lane's next. */
    private void endLaneHeadLater(UringOperation op) {
        if (endLaneHead(op)) {
            wakeReaper();
        }
    }

    /** Completes {@code op}, which did not complete in the kernel, handing its lane on. */
    private void finish(UringOperation op, long result) {
        endLaneHeadLater(op);
        completed(op, result);
    }

    /** Whether the calling thread holds a lock that {@link #releaseLanes} would have to take after it. */
    private boolean holdsAnyLock(EngineRing ring) {
        return Thread.holdsLock(orderLock) || Thread.holdsLock(ring.submitLock) || Thread.holdsLock(ring.reapLock);
    }

    /**
     * Submits the next operation of each lane whose head ended, which heads it in turn; a lane
     * left empty ends. Takes orderLock, so never called from a completion (under a reapLock) nor by
     * a thread that holds a ring's lock: {@link #reapNow} calls it once it left the ring's locks,
     * and hands it to the reaper thread when its caller holds one.
     */
    private void releaseLanes() {
        if (endedLaneHeads.isEmpty()) {
            return;
        }
        synchronized (orderLock) {
            Integer fd;
            while ((fd = endedLaneHeads.poll()) != null) {
                ArrayDeque<UringOperation> lane = lanes.get(fd);
                if (lane == null) {
                    continue;
                }
                UringOperation next = lane.poll();
                if (next == null) {
                    lanes.remove(fd);
                    continue;
                }
                next.laneWaiting = false;
                next.laneHead = true;
                if (next.kind() == OpKind.FSYNC && waitsForEarlierWrites(next)) {
                    deferFsync(next);
                } else {
                    // A refusal ends it as head: its fd is back in endedLaneHeads, so the
                    // lane's next one is tried in turn by this loop.
                    submitHeldBack(next);
                }
            }
            flushHeldBack();
        }
    }

    /**
     * Cancels every operation waiting in {@code fd}'s lane (none of them reached the kernel): each
     * completes with ECANCELED. Whether there was one. Under orderLock.
     */
    private boolean cancelLaneWaiting(int fd) {
        ArrayDeque<UringOperation> lane = lanes.get(fd);
        if (lane == null || lane.isEmpty()) {
            return false;
        }
        UringOperation op;
        while ((op = lane.poll()) != null) {
            op.laneWaiting = false;
            op.cancelRequested = true;
            completed(op, -Errno.ECANCELED.code());
        }
        return true;
    }

    // ---------------------------------------------------------------- fsync ordering

    /**
     * Whether a write of {@code fsync}'s descriptor, queued before it, is still in flight.
     * Under orderLock. Scans the block table: fsyncs are rare next to reads and writes. A write
     * marks itself in the kernel before it takes its number, so one numbered before the fsync is
     * seen here (with that number, or with an older one of an earlier submission, which counts as
     * earlier too: the fsync then waits for it, and is released when it completes).
     */
    private boolean waitsForEarlierWrites(UringOperation fsync) {
        AtomicReferenceArray<UringOperation> table = blocks;
        for (int i = 0; i < table.length(); i++) {
            UringOperation w = table.get(i);
            if (w != null && w.inKernel && blocks(w, fsync)) {
                return true;
            }
        }
        for (UringOperation w : canceledByThreadExit) {
            if (blocks(w, fsync)) {
                return true;
            }
        }
        return false;
    }

    private static boolean blocks(UringOperation write, UringOperation fsync) {
        return write.fd() == fsync.fd() && isWrite(write) && write.sequence < fsync.sequence;
    }

    private static boolean isWrite(UringOperation op) {
        return op.kind() == OpKind.WRITE || op.kind() == OpKind.WRITEV;
    }

    /**
     * POSIX: an {@code aio_fsync} covers the writes queued before it, and only those. io_uring's
     * {@code IOSQE_IO_DRAIN} would also hold back every later operation of the ring, of any
     * descriptor, until the fsync is done; instead the fsync waits here, unsubmitted, until the
     * earlier writes of its descriptor have completed. Under orderLock.
     */
    private void deferFsync(UringOperation fsync) {
        deferredFsyncs.add(fsync);
        deferredFsyncCount++;
        // A write may have completed between the check and the count: its completion saw no
        // deferred fsync and woke nobody, so look again now that the count is published.
        if (!waitsForEarlierWrites(fsync)) {
            releaseDeferredFsyncs();
        }
    }

    /** Submits the deferred fsyncs whose earlier writes have all completed. Takes orderLock. */
    private void releaseDeferredFsyncs() {
        if (deferredFsyncCount == 0) {
            return;
        }
        synchronized (orderLock) {
            for (Iterator<UringOperation> it = deferredFsyncs.iterator(); it.hasNext(); ) {
                UringOperation fsync = it.next();
                if (!waitsForEarlierWrites(fsync)) {
                    it.remove();
                    deferredFsyncCount--;
                    submitHeldBack(fsync);
                }
            }
            flushHeldBack();
        }
    }

    /** A write left the kernel without completing there: fsyncs held back for it may go now. */
    private void writeLeftKernel(UringOperation op) {
        if (deferredFsyncCount > 0 && isWrite(op)) {
            wakeReaper(); // the reaper submits the fsyncs this write held back
        }
    }

    /**
     * A write's completion was reaped: fsyncs held back for it may go now. The thread that reaped
     * it submits them once it left the ring's locks ({@link #reapNow}); before, each such
     * completion woke the reaper thread (an eventfd write, a context switch, and the reaper
     * queueing for a reap lock), once per write while any fsync was held back.
     */
    private void writeCompleted(UringOperation op) {
        if (deferredFsyncCount > 0 && isWrite(op)) {
            fsyncsMayGo = true;
        }
    }

    // ---------------------------------------------------------------- held-back work

    /**
     * Queues an SQE for {@code op}, which the engine accepted earlier and held back (a lane's
     * next operation, a deferred fsync, a resubmission after its thread exited), on the calling
     * thread's ring; one {@link #flushHeldBack()} submits the batch. Its submitter was told long
     * ago that it was queued, so a refusal now is its outcome, like any I/O error; after a
     * refusal the rest of the batch fails with the same errno without trying. Under orderLock.
     */
    private void submitHeldBack(UringOperation op) {
        if (heldBackRing == null) {
            heldBackRing = ringOfThisThread();
        }
        int r;
        synchronized (heldBackRing.submitLock) {
            r = heldBackRefusal < 0 ? heldBackRefusal : enqueue(heldBackRing, op);
        }
        if (r < 0) {
            heldBackRefusal = r;
            finish(op, r);
        } else {
            heldBackQueued = true;
        }
    }

    /**
     * Submits what {@link #submitHeldBack} queued, completes what a refused flush withdrew, and
     * starts a new batch. A nested batch (a lane's next fsync releasing deferred ones) flushes the
     * outer one's SQEs with its own, which is no harm. Under orderLock.
     */
    private void flushHeldBack() {
        EngineRing ring = heldBackRing;
        int r = heldBackRefusal;
        boolean flushed = false;
        if (ring != null) {
            synchronized (ring.submitLock) {
                if (heldBackQueued && r == 0) {
                    r = flush(ring);
                    flushed = true;
                }
                if (r < 0) {
                    completeWithdrawn(ring, r);
                }
            }
        }
        heldBackRing = null;
        heldBackRefusal = 0;
        heldBackQueued = false;
        if (flushed) {
            reapNow(ring); // like every submitter: reaps, and arms the reaper for what stays in flight
        }
    }

    // ---------------------------------------------------------------- lists

    @Override
    protected int startList(Operation[] ops, int n, LioMode mode, SigevNotify notify) {
        ListCompletion list = beginList(mode, notify, n);
        boolean anyOrdered = false;
        for (int i = 0; i < n; i++) {
            UringOperation op = (UringOperation) ops[i];
            op.ordered = op.inCallOrder(); // before the lock: a block's first answer is a system call
            anyOrdered |= op.ordered;
        }
        EngineRing ring = ringOfThisThread();
        int r;
        if (anyOrdered) {
            synchronized (orderLock) {
                r = submitList(ring, ops, n, mode, list, true);
            }
        } else {
            r = submitList(ring, ops, n, mode, list, false);
        }
        listSubmitted(list);
        reapNow(ring);
        return r;
    }

    /** The body of {@link #startList}; under orderLock when {@code anyOrdered}. */
    private int submitList(EngineRing ring, Operation[] ops, int n, LioMode mode, ListCompletion list,
            boolean anyOrdered) {
        int r = 0;
        synchronized (ring.submitLock) {
            int i = 0;
            for (; i < n && r == 0; i++) {
                UringOperation op = (UringOperation) ops[i];
                joinList(list, op);
                if (!failsWithoutKernel(op)) {
                    if (op.ordered) {
                        op.sequence = writeSequence.incrementAndGet();
                        if (waitsInLane(op)) {
                            continue; // queued: submitted when the lane's earlier operations ended
                        }
                    }
                    r = enqueue(ring, op);
                    if (r < 0) {
                        endLaneHeadLater(op);
                        notQueued(list, op, r);
                    }
                }
            }
            if (r == 0) {
                // LIO_WAIT: the submitter waits for the list in the kernel, unless an operation may
                // wait for something else (a pipe, a socket: those keep call order) and would
                // hold the ring's locks with it.
                r = flushAndReapHere(ring, ops, mode == LioMode.LIO_WAIT && !anyOrdered ? n : 0);
            }
            if (r < 0) {
                // The kernel has what it consumed; the rest of the list was never submitted.
                // (Operations of the list waiting in a lane are queued: they follow their lane.)
                for (UringOperation op : ring.withdrawn) {
                    endLaneHeadLater(op);
                    notQueued(list, op, r);
                }
                ring.withdrawn.clear();
                for (; i < n; i++) {
                    markNotQueued(ops[i], -r);
                }
            }
        }
        return r;
    }

    /** A list member that joined {@code list} but was not submitted: idle again with {@code -negErrno}. */
    private static void notQueued(ListCompletion list, UringOperation op, int negErrno) {
        leaveList(list, op);
        markNotQueued(op, -negErrno);
    }

    /**
     * io_uring reads an offset of -1 as "the file position" (and rejects other negative ones):
     * POSIX says a negative {@code aio_offset} is EINVAL. The operation counts as queued and fails,
     * as glibc's worker would fail it.
     */
    private boolean failsWithoutKernel(UringOperation op) {
        if (op.kind().transfers() && op.offset() < 0) {
            completed(op, -Errno.EINVAL.code());
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- the ring's submission side

    /**
     * One SQE for {@code op} on {@code ring}; flushes first when the ring or the in-flight budget
     * is full. A write that keeps no call order takes its number here (see {@link #writeSequence});
     * the others were numbered under orderLock. Under the ring's submitLock.
     *
     * @return 0, or the {@code -errno} of a flush that was refused before {@code op} got an SQE
     *         (then {@code op} is not in the ring, and the operations that flush withdrew are in
     *         the ring's withdrawn list)
     */
    private int enqueue(EngineRing ring, UringOperation op) {
        // Described (and checked) before an SQE is reserved: a reserved SQE left unfilled would
        // carry its previous request to the kernel again.
        UringRequest request = op.nextRequest();
        while (ring.inFlight.get() >= ring.maxInFlight) {
            int r = flush(ring);
            if (r < 0) {
                return r;
            }
            reapNow(ring);
            if (ring.inFlight.get() >= ring.maxInFlight) {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
            }
        }
        // Before the SQE is reserved: a file slot is given out again only while no SQE is unconsumed.
        int fileSlot = ring.files == null ? -1 : ring.files.slotFor(request.fd(), ring.sq);
        int sqe;
        while ((sqe = ring.sq.reserve()) == SubmissionQueue.FULL) {
            int r = flush(ring);
            if (r < 0) {
                return r;
            }
        }
        op.ring = ring;
        op.inKernel = true;
        if (!op.ordered && isWrite(op)) {
            // After inKernel (a volatile store): an fsync numbered later sees this write in
            // flight, with its number or an older one; see waitsForEarlierWrites.
            op.sequence = writeSequence.incrementAndGet();
        }
        ring.sq.prepare(sqe, request, op.userData(), fileSlot);
        ring.inFlight.incrementAndGet();
        return 0;
    }

    /**
     * Submits every published SQE of {@code ring}. Under its submitLock.
     *
     * @return 0, or the {@code -errno} with which {@code io_uring_enter} refused them (anything
     *         but the back-pressure of EAGAIN and EBUSY, which is waited out): then the SQEs the
     *         kernel did not consume have been withdrawn from the ring and their operations put
     *         in its withdrawn list, for the caller to fail; the ring holds nothing unsubmitted
     */
    private int flush(EngineRing ring) {
        submitsDeferred(ring);
        while (true) {
            long r = ring.ring.submit();
            if (r >= 0) {
                if (ring.sq.pending() == 0 || ring.ring.sqPoll()) {
                    return 0; // SQPOLL: published SQEs are the poller's, taken when it gets to them
                }
                continue;
            }
            // SQPOLL: a refused wake-up leaves the SQEs published, where the poller may take them
            // at any moment: withdrawing them would race with it, so the wake is retried instead.
            if (r == -Errno.EAGAIN.code() || r == -Errno.EBUSY.code() || ring.ring.sqPoll()) {
                // The kernel is short of memory or of CQ room: completions free both.
                reapNow(ring);
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
                continue;
            }
            // A refusal (EPERM from a seccomp filter, ...): the kernel consumed none of the rest.
            ring.sq.withdrawUnconsumed(ring.onWithdrawn);
            return (int) r;
        }
    }

    /** A flush of {@code ring} is about to publish every SQE it holds, the deferred ones too. Under its submitLock. */
    private static void submitsDeferred(EngineRing ring) {
        if (ring.deferred != 0) {
            ring.deferred = 0;
            ring.deferredFlushes++;
        }
    }

    /**
     * {@link #flush} by a thread that reaps the ring's completions itself right after (it calls
     * {@link #reapNow} once it left the ring's locks).
     *
     * <p>With {@code count > 0}, the same {@code io_uring_enter} that submits also waits
     * ({@code IORING_ENTER_GETEVENTS}) until the CQEs of {@code waitFor[0 .. count-1]} that were
     * not reaped yet can all be in the ring, and they are reaped here: a {@code LIO_WAIT} list is
     * submitted, waited for and reaped by its own thread with one system call and no thread
     * switch, from the page cache or O_DIRECT alike. Only for operations that end by themselves
     * (regular files at offsets): the wait holds the ring's locks and does not see
     * {@code Thread.interrupt()}.
     *
     * <p>Completions posted inside the call wake no reaper: the ring's eventfd is off unless
     * something stayed in flight at its last reap (see {@link ReaperArming}).
     *
     * @param waitFor the operations to wait for (their first {@code count}); unused when 0
     */
    private int flushAndReapHere(EngineRing ring, Operation[] waitFor, int count) {
        if (count == 0) {
            return flush(ring);
        }
        // The wait holds reapLock: the kernel waits for CQEs past the head, so another thread
        // reaping meanwhile could keep it from ever seeing enough of them. Nobody else reaps this
        // ring until the wait ends; it then reaps here, for every waiter.
        synchronized (ring.reapLock) {
            // Counted before submitting: what is in the kernel on this ring and not reaped (nobody
            // else reaps it now) has its CQE in the ring or still to come.
            int unreaped = 0;
            for (int i = 0; i < count; i++) {
                UringOperation op = (UringOperation) waitFor[i];
                if (op.inKernel && op.ring == ring) {
                    unreaped++;
                }
            }
            // More than the ring holds would never be there at once (the kernel keeps the rest back).
            int target = Math.min(unreaped, ring.cq.entries());
            submitsDeferred(ring);
            ring.submitterWaits = true; // the reaper leaves this ring alone meanwhile
            ring.reaperArming.quietDuringWait(); // so nothing wakes it for this ring
            int r;
            try {
                // Submit and wait in one io_uring_enter; page-cache reads are done inside it.
                long first = ring.ring.enter(ring.sq.publish(), target, IoUringAbi.IORING_ENTER_GETEVENTS);
                if (first >= 0 && (ring.sq.pending() == 0 || ring.ring.sqPoll())) {
                    r = 0; // SQPOLL: the call woke the poller if need be, and waited
                } else if (first < 0 && first != -Errno.EAGAIN.code() && first != -Errno.EBUSY.code()
                        && !ring.ring.sqPoll()) {
                    // A refusal: the kernel consumed none of them, as flush() would have found.
                    ring.sq.withdrawUnconsumed(ring.onWithdrawn);
                    r = (int) first;
                } else {
                    // Partly consumed, or back-pressure: the ordinary loop, then the wait.
                    r = flush(ring);
                    if (r == 0 && ring.cq.ready() < target) {
                        waitInKernel(ring, target);
                    }
                }
                drainCompletionQueue(ring);
            } finally {
                ring.submitterWaits = false;
            }
            // A completion posted after that drain and before the flag fell found the reaper
            // looking away: it is in the ring now, and reaped here.
            drainCompletionQueue(ring);
            if (ring.reaperArming.settle(ring.inFlight.get())) {
                drainCompletionQueue(ring); // posted while the eventfd was off for the wait
            }
            return r;
        }
    }

    /**
     * Waits in the kernel until {@code waitFor} completions are in the ring (any, not only the
     * caller's): {@code io_uring_enter(0, waitFor, GETEVENTS)}. Only for operations that end by
     * themselves (regular files at offsets), as the wait holds the ring's locks and does not see
     * {@code Thread.interrupt()}. Under both of the ring's locks.
     */
    private void waitInKernel(EngineRing ring, int waitFor) {
        long r = ring.ring.enter(0, waitFor, IoUringAbi.IORING_ENTER_GETEVENTS);
        if (r < 0) {
            // EBUSY (completions held back), a seccomp refusal, ...: the operations are in the
            // kernel all the same, and the caller's ordinary wait takes over.
            wakeReaper();
        }
    }

    /** An SQE that a refused flush withdrew: its operation was never submitted. Under the ring's submitLock. */
    private void onWithdrawn(EngineRing ring, long userData) {
        if (UserData.isInternal(userData)) {
            return; // a cancel request: cancel() forgets its own ticket
        }
        UringOperation op = blocks.get(UserData.index(userData));
        op.inKernel = false;
        ring.inFlight.decrementAndGet();
        ring.withdrawn.add(op);
        writeLeftKernel(op);
    }

    /**
     * Completes with {@code negErrno} the withdrawn operations the engine had accepted earlier
     * (held-back fsyncs, resubmissions): their submitter was told they were queued, so the
     * refusal is their outcome, seen in {@code error()} and {@code aioReturn()}. Under the ring's
     * submitLock.
     */
    private void completeWithdrawn(EngineRing ring, int negErrno) {
        for (UringOperation op : ring.withdrawn) {
            finish(op, negErrno);
        }
        ring.withdrawn.clear();
    }

    // ---------------------------------------------------------------- reaping

    /** Reaps the ring {@code op} was last submitted to, or every ring if it never was. Any thread. */
    void reapFor(UringOperation op) {
        EngineRing ring = op.ring;
        if (ring != null) {
            reapNow(ring);
        } else {
            reapAll();
        }
    }

    /**
     * Reaps every ring that may have completions, except one whose submitter waits for its list
     * in the kernel: that one reaps its ring when the wait ends (blocking on its reapLock here would
     * cost a futex and a context switch per list). Any thread.
     */
    void reapAll() {
        for (int i = 0; i < ringCount; i++) {
            EngineRing r = rings.get(i);
            if (r != null && r.index == i && !r.submitterWaits
                    && (r.cq.mayHaveReady() || r.ring.completionsBacklogged())) {
                reapNow(r);
            }
        }
    }

    /**
     * Reaps every completion of {@code ring}, posted or held back, then arms the reaper for what it leaves in
     * flight (see {@link ReaperArming}); blocks only while another thread reaps it. Every thread
     * that submitted to {@code ring} calls this after its {@code io_uring_enter}. Any thread.
     */
    void reapNow(EngineRing ring) {
        synchronized (ring.reapLock) {
            ring.reaping = true; // cleared before the settle below: see combine()
            try {
                drainCompletionQueue(ring);
            } finally {
                ring.reaping = false;
            }
            if (ring.reaperArming.settle(ring.inFlight.get())) {
                // Posted before the eventfd was switched on: they signalled nothing.
                drainCompletionQueue(ring);
            }
        }
        afterReap(ring);
    }

    /** What a reap of {@code ring} leaves to do once its locks are left: lanes, held-back fsyncs. */
    private void afterReap(EngineRing ring) {
        if (!endedLaneHeads.isEmpty()) {
            // A completion ended a lane's head: submit the lane's next, now that reapLock is left;
            // a caller holding a lock (a flush, the in-flight budget, the order lock) leaves it to
            // the reaper.
            if (holdsAnyLock(ring)) {
                wakeReaper();
            } else {
                releaseLanes();
            }
        }
        if (fsyncsMayGo) {
            // The same for the fsyncs a reaped write held back. Cleared first: a write reaped
            // meanwhile sets it again, and its reaper comes here after.
            if (holdsAnyLock(ring)) {
                wakeReaper();
            } else {
                fsyncsMayGo = false;
                releaseDeferredFsyncs();
            }
        }
    }

    /**
     * {@code io_uring_enter(GETEVENTS)} was refused, so completions the kernel holds back stay
     * there. A seccomp filter is per thread: a thread other than the reaper wakes the reaper, which
     * tries from its own. If the reaper is refused too, the operations whose completions are held
     * back cannot complete, and nothing tells which they are: failing others would lie about I/O
     * that went on, so the refusal is reported, once, to the uncaught-exception handler.
     */
    private void backlogRefused(int errno) {
        if (Thread.currentThread() != reaper) {
            wakeReaper();
        } else if (backlogRefusalReported.compareAndSet(false, true)) {
            Callbacks.report(Failures.call("io_uring_enter(IORING_ENTER_GETEVENTS), moving completions the kernel"
                    + " holds back into the ring (" + SetupFailure.ofEnter(errno).explanation() + "); operations"
                    + " whose completions are held back stay in progress until it is allowed", errno));
        }
    }

    /** Wakes the reaper thread; a failed eventfd write is reported, as nobody else would see it. */
    private void wakeReaper() {
        long r = EventFd.signal(eventFd);
        if (r < 0) {
            Callbacks.report(new IllegalStateException("io_uring: write(eventfd) to wake the reaper failed: "
                    + Failures.text((int) -r)));
        }
    }

    /**
     * Delivers every completion of {@code ring}: the CQEs in the ring, and those the kernel holds
     * back because they did not fit it ({@code IORING_SQ_CQ_OVERFLOW}), which each
     * {@code io_uring_enter(GETEVENTS)} moves in, up to a ring's worth at a time. It stops only
     * when the kernel holds none back: a completion that joins the kernel's overflow list does not
     * move the CQ tail, so it signals no eventfd and wakes no reaper, and later ones join it there;
     * held-back completions left behind by a reap would wait for a reap that may never come.
     * Under the ring's reapLock.
     */
    private void drainCompletionQueue(EngineRing ring) {
        while (true) {
            int n;
            do {
                n = ring.cq.reap(onCompletion, REAP_BATCH);
            } while (n > 0);
            if (!ring.ring.completionsBacklogged()) {
                return;
            }
            long r = ring.ring.enter(0, 0, IoUringAbi.IORING_ENTER_GETEVENTS);
            if (r < 0 && r != -Errno.EAGAIN.code() && r != -Errno.EBUSY.code()) {
                backlogRefused((int) -r);
                return;
            }
            if (r < 0 && !ring.cq.mayHaveReady()) {
                // Back-pressure that moved nothing (not seen for a GETEVENTS that submits
                // nothing): the reaper tries again.
                wakeReaper();
                return;
            }
        }
    }

    private void onCompletion(long userData, int res, int flags) {
        if (UserData.isInternal(userData)) {
            Ticket t = tickets.remove(UserData.internalId(userData));
            if (t != null) {
                t.complete(res);
            }
            return;
        }
        UringOperation op = blocks.get(UserData.index(userData));
        if (op == null || !op.inKernel || !UserData.isGeneration(userData, op.generation)) {
            Callbacks.report(new IllegalStateException("io_uring completion for unknown user_data 0x"
                    + Long.toHexString(userData) + " (res " + res + ") ignored"));
            return;
        }
        op.inKernel = false;
        op.ring.inFlight.decrementAndGet();
        if (res == -Errno.ECANCELED.code() && !op.cancelRequested && !stopping) {
            // Nobody asked for this cancel: the kernel cancels a thread's pending requests when
            // that thread exits. POSIX operations outlive their submitter, so the reaper thread,
            // which lives as long as the engine, submits it again (see resubmitCanceledByThreadExit).
            canceledByThreadExit.add(op);
            wakeReaper();
            return;
        }
        endLaneHead(op); // reapNow() submits the lane's next once it left the locks
        completed(op, res);
        writeCompleted(op); // and the fsyncs it held back
    }

    /**
     * Submits again, from the reaper thread (on its ring), the operations the kernel canceled
     * because the thread that submitted them exited. The reaper's own requests are never canceled
     * that way.
     */
    private void resubmitCanceledByThreadExit() {
        if (canceledByThreadExit.isEmpty()) {
            return;
        }
        synchronized (orderLock) {
            UringOperation op;
            while ((op = canceledByThreadExit.poll()) != null) {
                if (op.cancelRequested) {
                    finish(op, -Errno.ECANCELED.code());
                } else {
                    submitHeldBack(op);
                }
            }
            flushHeldBack();
        }
    }

    @Override
    protected void reap(Operation[] ops, int from, int count) {
        reapAll();
    }

    private void reapLoop() {
        while (!stopping) {
            long r = EventFd.await(eventFd);
            reaperWakeups++; // one writer
            if (r < 0) {
                Callbacks.report(new IllegalStateException("io_uring reaper: read(eventfd) failed: "
                        + Failures.text((int) -r)));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            if (!stopping) {
                try {
                    resubmitCanceledByThreadExit();
                    releaseDeferredFsyncs();
                    reapAll();
                    releaseLanes();
                } catch (RuntimeException | Error e) {
                    Callbacks.report(e);
                }
            }
        }
    }

    // ---------------------------------------------------------------- cancel

    /** An internal request's completion: the result and the thread waiting for it. */
    private static final class Ticket {
        volatile int result = Integer.MIN_VALUE;
        final Thread waiter = Thread.currentThread();

        void complete(int res) {
            result = res;
            LockSupport.unpark(waiter);
        }
    }

    /**
     * {@code aio_cancel} of one operation: a {@link CancelOutcome}, or the {@code -errno} with
     * which {@code io_uring_enter} refused the cancel request (the operation runs on). The cancel
     * request goes to the ring the operation was submitted to.
     */
    int cancel(UringOperation op) {
        while (op.gathered) {
            // Accepted but not in the kernel yet: once it is, it is canceled as any other. The
            // ring's combiner is at work (or just left): wait for it parked, not by spinning with
            // Thread.yield(), which kept the carriers busy with spinners while the combiner,
            // woken from the ring's monitor, waited for one.
            combine(op.ring, 1);
            if (op.gathered) {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(20));
            }
        }
        synchronized (orderLock) {
            op.cancelRequested = true;
            boolean waiting = op.laneWaiting;
            if (isClosed()) {
                // The engine closes: nothing that waits in this descriptor's lane is to reach the
                // kernel any more, so all of it is canceled at once, whatever order close goes in.
                cancelLaneWaiting(op.fd());
            } else if (waiting) {
                // Waiting in its lane, never submitted: canceled, the lane goes on without it.
                lanes.get(op.fd()).remove(op);
                op.laneWaiting = false;
                completed(op, -Errno.ECANCELED.code());
            }
            if (waiting) {
                return CancelOutcome.CANCELED;
            }
            if (canceledByThreadExit.remove(op)) {
                finish(op, -Errno.ECANCELED.code());
                return CancelOutcome.CANCELED;
            }
            if (deferredFsyncs.remove(op)) {
                deferredFsyncCount--;
                finish(op, -Errno.ECANCELED.code());
                return CancelOutcome.CANCELED;
            }
        }
        if (!op.inKernel) {
            return CancelOutcome.DONE;
        }
        EngineRing ring = op.ring; // after inKernel: enqueue stores the ring first
        long target = op.userData();
        long id = nextTicket.getAndIncrement();
        Ticket t = new Ticket();
        tickets.put(id, t);
        synchronized (ring.submitLock) {
            int r = 0;
            int sqe;
            while ((sqe = ring.sq.reserve()) == SubmissionQueue.FULL && (r = flush(ring)) == 0) {
                // the flush made room
            }
            if (r == 0) {
                ring.sq.prepareCancel(sqe, target, 0, UserData.ofInternal(id));
                r = flush(ring);
            }
            if (r < 0) {
                completeWithdrawn(ring, r); // none: the ring held nothing unsubmitted before this request
                tickets.remove(id);
                op.cancelRequested = false;
                return r;
            }
        }
        while (t.result == Integer.MIN_VALUE) {
            reapNow(ring);
            if (t.result == Integer.MIN_VALUE) {
                LockSupport.parkNanos(t, TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
        int res = t.result;
        if (res == 0) {
            // The kernel canceled it, but its own CQE (-ECANCELED) may come after the cancel's
            // (a request waiting on a pipe is completed by task work of the thread that submitted
            // it): POSIX has aio_error() say ECANCELED as soon as aio_cancel() said AIO_CANCELED,
            // so wait until that submission's CQE is reaped (once it is, the block may be reaped,
            // returned and submitted again by others: only this submission is waited for).
            while (stillInKernel(ring, op, target)) {
                LockSupport.parkNanos(t, TimeUnit.MICROSECONDS.toNanos(50));
            }
            return CancelOutcome.CANCELED;
        }
        if (res == -Errno.EALREADY.code()) {
            return CancelOutcome.RUNNING;
        }
        return CancelOutcome.DONE; // -ENOENT: it completed before the cancel found it
    }

    /**
     * Reaps {@code ring}, then tells whether submission {@code userData} of {@code op} is still in
     * the kernel. Asked under the ring's reapLock, so that a reap another thread is in the middle
     * of (which marks the block out of the kernel, then stores its result) is over.
     */
    private boolean stillInKernel(EngineRing ring, UringOperation op, long userData) {
        reapNow(ring);
        synchronized (ring.reapLock) {
            return op.inKernel && UserData.isGeneration(userData, op.generation);
        }
    }

    @Override
    protected int cancelAllNative(int fd) {
        boolean canceled;
        synchronized (orderLock) {
            // First what waits in the lane, so that none of it is submitted as its head ends.
            canceled = cancelLaneWaiting(fd);
        }
        boolean running = false;
        AtomicReferenceArray<UringOperation> table = blocks;
        for (int i = 0; i < table.length(); i++) {
            UringOperation op = table.get(i);
            if (op != null && op.fd() == fd && op.inKernel) {
                int r = cancel(op);
                if (r < 0) {
                    return r; // the ones canceled so far complete with ECANCELED as usual
                }
                switch (r) {
                    case CancelOutcome.CANCELED -> canceled = true;
                    case CancelOutcome.RUNNING -> running = true;
                    default -> {
                    }
                }
            }
        }
        return running ? CancelOutcome.RUNNING : canceled ? CancelOutcome.CANCELED : CancelOutcome.DONE;
    }

    // ---------------------------------------------------------------- close

    @Override
    protected void closeNative() {
        // AbstractEngine.close() has cancelled and drained every operation: each one's CQE was
        // reaped (that is what completed it), so no buffer is in the kernel's hands any more.
        // What may remain are the CQEs of cancel requests: reap them, so the kernel holds nothing
        // of ours, then stop the reaper and unmap. (The in-flight counters are not consulted: they
        // only pace submissions, and a ring must close even if one were ever off by one.)
        while (!tickets.isEmpty()) {
            reapAll();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        OwnedDescriptors.removeListener(onDescriptorClosing);
        flusher.stop(); // nothing is deferred (every operation ended), and nothing flushes a closed ring
        stopping = true;
        wakeReaper();
        try {
            reaper.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (ringsLock) { // no ring is set up any more: setUpRing sees isClosed()
            for (int i = 0; i < ringCount; i++) {
                EngineRing r = rings.get(i);
                if (r != null && r.index == i) {
                    r.ring.close();
                }
            }
        }
        Libc.close(eventFd);
        closeNotifier();
    }
}
