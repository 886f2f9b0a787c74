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
import dev.jaio.internal.ffi.EventFd;
import dev.jaio.internal.ffi.IoUringAbi;
import dev.jaio.internal.ffi.Libc;
import dev.jaio.internal.ffi.NativeAccess;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine "io_uring": one ring per engine, driven through raw system calls.
 *
 * <p><b>Submitting.</b> The submission queue has one producer at a time: {@link #submitLock}.
 * A submitter fills one SQE per operation and calls {@code io_uring_enter} once for the whole
 * list (more often only when the list is longer than the ring, or when as many operations are in
 * flight as the completion queue has room for: back-pressure, the submitter reaps and waits).
 *
 * <p><b>Reaping.</b> The completion queue has one consumer at a time: {@link #reapLock}.
 * Completions are reaped by whoever is there first:
 * <ul>
 *   <li>the submitter, right after {@code io_uring_enter} returns: reads from the page cache are
 *       completed inside that call, so a {@code LIO_WAIT} list of cached reads is submitted,
 *       completed and reaped with one system call and no thread switch. For that call the
 *       eventfd is switched off ({@code IORING_CQ_EVENTFD_DISABLED}, Linux 5.8), so what the
 *       submitter reaps itself wakes no reaper. A {@code LIO_WAIT} list of regular-file
 *       operations that did not all complete inside the submission (O_DIRECT) is waited for in
 *       the kernel by the submitter ({@code io_uring_enter(0, n, GETEVENTS)}, holding both
 *       locks) and reaped by it;</li>
 *   <li>a waiting thread, before it parks;</li>
 *   <li>the reaper thread, which sleeps in {@code read} on an eventfd registered with the ring
 *       ({@code IORING_REGISTER_EVENTFD}) and wakes when the kernel posts completions that
 *       happen later (O_DIRECT, io-wq): no core spins, an idle engine costs nothing.</li>
 * </ul>
 * Reaping stores each result and unparks the thread waiting for it; waits park in Java, so they
 * honour {@code Thread.interrupt()} and do not pin virtual threads' carriers.
 *
 * <p><b>user_data</b> is a block's index in {@link #blocks} and a generation; internal requests
 * (cancels) have bit 63 set: see {@link UserData}.
 *
 * <p><b>fsync</b>: POSIX wants an {@code aio_fsync} to cover the writes queued before it. The
 * engine submits an fsync only when no earlier write of its descriptor is in flight, holding it
 * back until then (see {@link #deferFsync}); unlike {@code IOSQE_IO_DRAIN}, this never delays
 * later operations or other descriptors.
 *
 * <p><b>Call order.</b> POSIX wants the operations of a descriptor without offsets (pipe, FIFO,
 * socket, terminal) carried out in call order, and the writes of an {@code O_APPEND} descriptor
 * appended in call order; the kernel starts what it is given in any order (a request that waits
 * for a pipe, or is punted to an io-wq worker, is overtaken by the next). Such an operation
 * ({@link Operation#inCallOrder()}, asked once per block) therefore goes to the kernel only when no
 * earlier one of its descriptor is there: the first heads the descriptor's lane ({@link #lanes})
 * and is submitted; later ones wait in the lane, unsubmitted and still cancelable, and when the
 * head's completion is reaped the next one is submitted (by the thread that reaped it, unless it
 * holds the submit lock, then by the reaper thread: never from inside the completion callback, see
 * {@link #releaseLanes}). {@code IOSQE_IO_LINK} would order only one submission's requests, and a
 * failure would cancel the rest of its chain, which POSIX does not do. Regular files at explicit
 * offsets never touch a lane: their blocks keep the answer and submit as before.
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
 * buffer any more), stops the reaper, then unmaps the ring.
 *
 * <p>Thread-safe.
 */
public final class UringEngine extends JavaCompletingEngine {
    /** Default ring size: 256 SQEs, 512 CQEs. */
    static final int DEFAULT_QUEUE_DEPTH = 256;
    private static final int REAP_BATCH = 4096;

    private final IoUring ring;
    private final SubmissionQueue sq;
    private final CompletionQueue cq;
    private final boolean vectored;
    /**
     * Monitors, not {@code ReentrantLock}s: a contended {@code ReentrantLock} allocates a queue node
     * per waiting thread, and the reaper and a submitter do meet here.
     */
    private final Object submitLock = new Object();
    private final Object reapLock = new Object();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final int maxInFlight;
    private final int eventFd;
    private final Thread reaper;
    private volatile boolean stopping;
    /** Times the reaper woke; see {@link #reaperWakeUps()}. Written by the reaper thread only. */
    private volatile long reaperWakeUps;

    private final Object blocksLock = new Object();
    private volatile AtomicReferenceArray<UringOperation> blocks = new AtomicReferenceArray<>(64);
    private int[] freeIndexes = new int[64];
    private int freeCount;
    private int nextIndex;

    private final AtomicLong nextTicket = new AtomicLong(1);
    private final ConcurrentHashMap<Long, Ticket> tickets = new ConcurrentHashMap<>();
    private final CompletionConsumer onCompletion = this::onCompletion;
    /** Order of submission; see {@link UringOperation#sequence}. Under submitLock. */
    private long submitSequence;
    /** fsyncs waiting for earlier writes of their descriptor; see {@link #deferFsync}. Under submitLock. */
    private final java.util.List<UringOperation> deferredFsyncs = new java.util.ArrayList<>();
    private volatile int deferredFsyncCount;
    /**
     * Call order: the operations of each descriptor's lane waiting for the lane's head (the one
     * in the kernel, or held back as a deferred fsync or a resubmission) to end, oldest first. A
     * lane exists from its head's submission until its last operation ended. Under submitLock.
     */
    private final java.util.HashMap<Integer, java.util.ArrayDeque<UringOperation>> lanes = new java.util.HashMap<>();
    /**
     * Descriptors whose lane head ended: each entry submits the lane's next operation (or ends the
     * lane); see {@link #releaseLanes}. Filled under reapLock or submitLock, emptied under submitLock.
     */
    private final java.util.concurrent.ConcurrentLinkedQueue<Integer> endedLaneHeads =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Operations to submit again from the reaper thread; see {@link #resubmitCanceledByThreadExit()}. */
    private final java.util.concurrent.ConcurrentLinkedQueue<UringOperation> canceledByThreadExit =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    /**
     * Operations whose SQEs the last refused {@link #flush()} withdrew, oldest first; whoever
     * called the flush fails them and empties the list. Under submitLock.
     */
    private final java.util.List<UringOperation> withdrawn = new java.util.ArrayList<>();
    private final java.util.function.LongConsumer onWithdrawn = this::onWithdrawn;
    /** The batch of {@link #submitHeldBack}: its first refusal, and whether an SQE waits for the flush. Under submitLock. */
    private int heldBackRefusal;
    private boolean heldBackQueued;
    /** Whether a refused move of held-back completions was reported; see {@link #backlogRefused}. */
    private final java.util.concurrent.atomic.AtomicBoolean backlogRefusalReported =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Opens a ring.
     *
     * @throws UnsupportedOperationException when io_uring cannot work here, saying why: the call
     *         that was refused first ({@code io_uring_setup}, {@code io_uring_register},
     *         {@code io_uring_enter}), its errno and what usually causes it, or the missing opcodes
     */
    public UringEngine(AioEngineOptions options, boolean processWide) {
        super("io_uring", processWide);
        NativeAccess.ensureEnabled();
        int depth = options.queueDepth() > 0 ? options.queueDepth() : DEFAULT_QUEUE_DEPTH;
        IoUring r = switch (IoUring.setup(Math.min(depth, IoUring.MAX_ENTRIES), IoUringAbi.IORING_SETUP_CLAMP)) {
            case SetupResult.Ready ready -> ready.ring();
            case SetupResult.Refused refused -> throw new UnsupportedOperationException(refused.failure().message());
        };
        int efd = -1;
        try {
            Probe probe = Probe.of(r);
            if (!probe.answered()) {
                // Named first: "lacks every opcode" would blame the kernel for what a policy refused.
                throw new UnsupportedOperationException(probe.failure());
            }
            requireOps(probe, IoUringAbi.IORING_OP_READ, "READ", IoUringAbi.IORING_OP_WRITE, "WRITE",
                    IoUringAbi.IORING_OP_FSYNC, "FSYNC", IoUringAbi.IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL",
                    IoUringAbi.IORING_OP_NOP, "NOP");
            this.vectored = probe.supports(IoUringAbi.IORING_OP_READV) && probe.supports(IoUringAbi.IORING_OP_WRITEV);
            efd = EventFd.create();
            if (efd < 0) {
                throw new UnsupportedOperationException("eventfd failed: " + Failures.text(-efd));
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment fdArg = arena.allocateFrom(ValueLayout.JAVA_INT, efd);
                long reg = r.register(IoUringAbi.IORING_REGISTER_EVENTFD, fdArg, 1);
                if (reg < 0) {
                    throw new UnsupportedOperationException(
                            SetupFailure.ofRegister("IORING_REGISTER_EVENTFD", (int) -reg).message());
                }
            }
            requireRoundTrip(r);
        } catch (RuntimeException | Error e) {
            if (efd >= 0) {
                Libc.close(efd);
            }
            r.close();
            throw e;
        }
        this.ring = r;
        this.sq = r.submissionQueue();
        this.cq = r.completionQueue();
        this.eventFd = efd;
        // Without IORING_FEAT_NODROP (before 5.5) a completion that does not fit the CQ is lost:
        // then never have more in flight than it holds. With it (every kernel that has
        // IORING_OP_READ, which jaio needs), the kernel keeps overflowing completions itself, and a
        // limit here could only deadlock: operations that wait for something (a pipe, a socket)
        // would hold back the submission of the very one that unblocks them.
        this.maxInFlight = r.features().noDrop() ? Integer.MAX_VALUE : cq.entries();
        this.reaper = Thread.ofPlatform().daemon().name("jaio-io_uring-reaper").start(this::reapLoop);
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

    /** The ring's features, for {@code jaio probe} and tests. */
    public RingFeatures features() {
        return ring.features();
    }

    @Override
    protected Operation newOperation(OpKind kind, int fd, int priority, AioFsyncMode mode, SigevNotify notify) {
        return new UringOperation(this, kind, fd, priority, mode, notify);
    }

    @Override
    protected boolean supportsVectored() {
        return vectored;
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
                freeIndexes = java.util.Arrays.copyOf(freeIndexes, 2 * freeCount);
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
        synchronized (submitLock) {
            op.sequence = ++submitSequence;
            if (waitsInLane(op)) {
                // submitted when the operations before it in its lane have ended
            } else if (op.kind() == OpKind.FSYNC && waitsForEarlierWrites(op)) {
                deferFsync(op);
            } else {
                int r = enqueue(op);
                boolean queued = r == 0;
                if (queued) {
                    r = flushAndReapHere(null, 0);
                    queued = r == 0 || !withdrawn.remove(op);
                }
                if (r < 0) {
                    completeWithdrawn(r); // none: the ring held nothing unsubmitted before this one
                }
                if (!queued) {
                    endLaneHeadLater(op); // its lane was made for it: nothing waits there yet
                    return r; // the block is idle again, error() says why
                }
            }
        }
        reapNow();
        return 0;
    }

    // ---------------------------------------------------------------- call order

    /**
     * Enters {@code op} into its descriptor's lane if it keeps call order. True if it waits there,
     * behind earlier operations of the lane; false if it is to be submitted now: it keeps no order,
     * or it heads a lane made for it. Under submitLock.
     */
    private boolean waitsInLane(UringOperation op) {
        if (!op.ordered) {
            return false;
        }
        java.util.ArrayDeque<UringOperation> lane = lanes.get(op.fd());
        if (lane == null) {
            lanes.put(op.fd(), new java.util.ArrayDeque<>(4));
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
     * the block's owner may submit it again. Under reapLock or submitLock.
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

    /** Completes {@code op}, which did not complete in the kernel, handing its lane on. Under submitLock. */
    private void finish(UringOperation op, long result) {
        endLaneHeadLater(op);
        completed(op, result);
    }

    /**
     * Submits the next operation of each lane whose head ended, which heads it in turn; a lane
     * left empty ends. Takes submitLock, so never called from a completion (under reapLock) nor by
     * a thread that holds submitLock and might be reaping: {@link #reapNow()} calls it once it left
     * reapLock, and hands it to the reaper thread when its caller holds submitLock.
     */
    private void releaseLanes() {
        if (endedLaneHeads.isEmpty()) {
            return;
        }
        synchronized (submitLock) {
            Integer fd;
            while ((fd = endedLaneHeads.poll()) != null) {
                java.util.ArrayDeque<UringOperation> lane = lanes.get(fd);
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
     * completes with ECANCELED. Whether there was one. Under submitLock.
     */
    private boolean cancelLaneWaiting(int fd) {
        java.util.ArrayDeque<UringOperation> lane = lanes.get(fd);
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
     * Whether a write of {@code fsync}'s descriptor, submitted before it, is still in flight.
     * Under submitLock. Scans the block table: fsyncs are rare next to reads and writes.
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
        return write.fd() == fsync.fd() && (write.kind() == OpKind.WRITE || write.kind() == OpKind.WRITEV)
                && write.sequence < fsync.sequence;
    }

    /**
     * POSIX: an {@code aio_fsync} covers the writes queued before it, and only those. io_uring's
     * {@code IOSQE_IO_DRAIN} would also hold back every later operation of the ring, of any
     * descriptor, until the fsync is done; instead the fsync waits here, unsubmitted, until the
     * earlier writes of its descriptor have completed. Under submitLock.
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

    /** Submits the deferred fsyncs whose earlier writes have all completed. */
    private void releaseDeferredFsyncs() {
        if (deferredFsyncCount == 0) {
            return;
        }
        synchronized (submitLock) {
            for (java.util.Iterator<UringOperation> it = deferredFsyncs.iterator(); it.hasNext(); ) {
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

    // ---------------------------------------------------------------- held-back work

    /**
     * Queues an SQE for {@code op}, which the engine accepted earlier and held back (a lane's
     * next operation, a deferred fsync, a resubmission after its thread exited); one
     * {@link #flushHeldBack()} submits the batch. Its submitter was told long ago that it was
     * queued, so a refusal now is its outcome, like any I/O error; after a refusal the rest of
     * the batch fails with the same errno without trying. Under submitLock.
     */
    private void submitHeldBack(UringOperation op) {
        int r = heldBackRefusal < 0 ? heldBackRefusal : enqueue(op);
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
     * outer one's SQEs with its own, which is no harm. Under submitLock.
     */
    private void flushHeldBack() {
        int r = heldBackRefusal;
        if (heldBackQueued && r == 0) {
            r = flush();
        }
        if (r < 0) {
            completeWithdrawn(r);
        }
        heldBackRefusal = 0;
        heldBackQueued = false;
    }

    @Override
    protected int startList(Operation[] ops, int n, LioMode mode, SigevNotify notify) {
        ListCompletion list = beginList(mode, notify, n);
        for (int i = 0; i < n; i++) {
            UringOperation op = (UringOperation) ops[i];
            op.ordered = op.inCallOrder(); // before the lock: a block's first answer is a system call
        }
        int r = 0;
        synchronized (submitLock) {
            int i = 0;
            boolean anyOrdered = false;
            for (; i < n && r == 0; i++) {
                UringOperation op = (UringOperation) ops[i];
                joinList(list, op);
                if (!failsWithoutKernel(op)) {
                    op.sequence = ++submitSequence;
                    anyOrdered |= op.ordered;
                    if (waitsInLane(op)) {
                        continue; // queued: submitted when the lane's earlier operations ended
                    }
                    r = enqueue(op);
                    if (r < 0) {
                        endLaneHeadLater(op);
                        notQueued(list, op, r);
                    }
                }
            }
            if (r == 0) {
                // LIO_WAIT: the same io_uring_enter waits for the list, unless an operation may
                // wait for something else (a pipe, a socket: those keep call order) and would
                // hold submitLock with it.
                r = flushAndReapHere(ops, mode == LioMode.LIO_WAIT && !anyOrdered ? n : 0);
            }
            if (r < 0) {
                // The kernel has what it consumed; the rest of the list was never submitted.
                // (Operations of the list waiting in a lane are queued: they follow their lane.)
                for (UringOperation op : withdrawn) {
                    endLaneHeadLater(op);
                    notQueued(list, op, r);
                }
                withdrawn.clear();
                for (; i < n; i++) {
                    markNotQueued(ops[i], -r);
                }
            }
        }
        listSubmitted(list);
        reapNow();
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

    /**
     * One SQE for {@code op}; flushes first when the ring or the in-flight budget is full. Under
     * submitLock.
     *
     * @return 0, or the {@code -errno} of a flush that was refused before {@code op} got an SQE
     *         (then {@code op} is not in the ring, and the operations that flush withdrew are in
     *         {@link #withdrawn})
     */
    private int enqueue(UringOperation op) {
        while (inFlight.get() >= maxInFlight) {
            int r = flush();
            if (r < 0) {
                return r;
            }
            reapNow();
            if (inFlight.get() >= maxInFlight) {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
            }
        }
        // Described (and checked) before an SQE is reserved: a reserved SQE left unfilled would
        // carry its previous request to the kernel again.
        UringRequest request = op.nextRequest();
        int sqe;
        while ((sqe = sq.reserve()) == SubmissionQueue.FULL) {
            int r = flush();
            if (r < 0) {
                return r;
            }
        }
        sq.prepare(sqe, request, op.userData());
        op.inKernel = true;
        inFlight.incrementAndGet();
        return 0;
    }

    /**
     * {@link #flush()} by a thread that reaps the ring's completions itself right after (it calls
     * {@link #reapNow()} once it left submitLock): the kernel's eventfd signal is switched off
     * ({@code IORING_CQ_EVENTFD_DISABLED}) for the {@code io_uring_enter}, so the completions
     * posted inside it (reads from the page cache complete there) wake no reaper thread. Switched
     * on again before returning: a completion posted in between is in the ring, and the caller's
     * reap takes it. Under submitLock, which also serialises the updates of the flag word.
     *
     * <p>With {@code count > 0}, after submitting it waits in the kernel ({@link #waitInKernel})
     * until the CQEs of {@code waitFor[0 .. count-1]} that were not reaped yet can all be in the
     * ring, and reaps them here: a {@code LIO_WAIT} list of O_DIRECT reads is then submitted,
     * waited for and reaped by its own thread, with no thread switch. Only for operations that
     * end by themselves (regular files at offsets).
     *
     * @param waitFor the operations to wait for (their first {@code count}); unused when 0
     */
    private int flushAndReapHere(Operation[] waitFor, int count) {
        boolean toggled = cq.setEventFdSignals(false);
        try {
            if (count == 0) {
                return flush();
            }
            // The wait holds reapLock: the kernel waits for CQEs past the head, so another
            // thread reaping meanwhile could keep it from ever seeing enough of them. Nobody
            // else reaps this ring until the wait ends; it then reaps here, for every waiter.
            synchronized (reapLock) {
                int r = flush();
                int unreaped = 0;
                for (int i = 0; i < count; i++) {
                    if (((UringOperation) waitFor[i]).inKernel) {
                        unreaped++;
                    }
                }
                // Each unreaped one's CQE is in the ring or still to come; more than the ring
                // holds would never be there at once (the kernel keeps the rest back).
                int target = Math.min(unreaped, cq.entries());
                if (r == 0 && cq.ready() < target) {
                    waitInKernel(target);
                }
                drainCompletionQueue();
                return r;
            }
        } finally {
            if (toggled) {
                cq.setEventFdSignals(true);
            }
        }
    }

    /**
     * Waits in the kernel until {@code waitFor} completions are in the ring (any, not only the
     * caller's): {@code io_uring_enter(0, waitFor, GETEVENTS)}. Only for operations that end by
     * themselves (regular files at offsets), as the wait holds submitLock and reapLock and does
     * not see {@code Thread.interrupt()}. Under both locks.
     */
    private void waitInKernel(int waitFor) {
        long r = ring.enter(0, waitFor, IoUringAbi.IORING_ENTER_GETEVENTS);
        if (r < 0) {
            // EBUSY (completions held back), a seccomp refusal, ...: the operations are in the
            // kernel all the same, and the caller's ordinary wait takes over; the reaper makes
            // sure nothing posted while its eventfd was off is left unseen.
            wakeReaper();
        }
    }

    /**
     * Submits every published SQE. Under submitLock.
     *
     * @return 0, or the {@code -errno} with which {@code io_uring_enter} refused them (anything
     *         but the back-pressure of EAGAIN and EBUSY, which is waited out): then the SQEs the
     *         kernel did not consume have been withdrawn from the ring and their operations put
     *         in {@link #withdrawn}, for the caller to fail; the ring holds nothing unsubmitted
     */
    private int flush() {
        while (true) {
            long r = ring.submit();
            if (r >= 0) {
                if (sq.pending() == 0) {
                    return 0;
                }
                continue;
            }
            if (r == -Errno.EAGAIN.code() || r == -Errno.EBUSY.code()) {
                // The kernel is short of memory or of CQ room: completions free both.
                reapNow();
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
                continue;
            }
            // A refusal (EPERM from a seccomp filter, ...): the kernel consumed none of the rest.
            sq.withdrawUnconsumed(onWithdrawn);
            return (int) r;
        }
    }

    /** An SQE that a refused flush withdrew: its operation was never submitted. Under submitLock. */
    private void onWithdrawn(long userData) {
        if (UserData.isInternal(userData)) {
            return; // a cancel request: cancel() forgets its own ticket
        }
        UringOperation op = blocks.get(UserData.index(userData));
        op.inKernel = false;
        inFlight.decrementAndGet();
        withdrawn.add(op);
    }

    /**
     * Completes with {@code negErrno} the withdrawn operations the engine had accepted earlier
     * (held-back fsyncs, resubmissions): their submitter was told they were queued, so the
     * refusal is their outcome, seen in {@code error()} and {@code aioReturn()}. Under submitLock.
     */
    private void completeWithdrawn(int negErrno) {
        for (UringOperation op : withdrawn) {
            finish(op, negErrno);
        }
        withdrawn.clear();
    }

    // ---------------------------------------------------------------- reaping

    /** Reaps every posted completion; blocks only while another thread reaps. Any thread. */
    void reapNow() {
        synchronized (reapLock) {
            drainCompletionQueue();
            if (ring.completionsBacklogged()) {
                // Completions that overflowed the CQ ring wait in the kernel; GETEVENTS moves them in.
                long r = ring.enter(0, 0, IoUringAbi.IORING_ENTER_GETEVENTS);
                if (r < 0 && r != -Errno.EAGAIN.code() && r != -Errno.EBUSY.code()) {
                    backlogRefused((int) -r);
                }
                drainCompletionQueue();
            }
        }
        if (!endedLaneHeads.isEmpty()) {
            // A completion ended a lane's head: submit the lane's next, now that reapLock is left;
            // a caller holding submitLock (a flush, the in-flight budget), or reapLock further up
            // its stack, leaves it to the reaper.
            if (Thread.holdsLock(submitLock) || Thread.holdsLock(reapLock)) {
                wakeReaper();
            } else {
                releaseLanes();
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

    /** Delivers CQEs until the ring is empty. Under reapLock. */
    private void drainCompletionQueue() {
        int n;
        do {
            n = cq.reap(onCompletion, REAP_BATCH);
        } while (n > 0);
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
        inFlight.decrementAndGet();
        if (res == -Errno.ECANCELED.code() && !op.cancelRequested && !stopping) {
            // Nobody asked for this cancel: the kernel cancels a thread's pending requests when
            // that thread exits. POSIX operations outlive their submitter, so the reaper thread,
            // which lives as long as the engine, submits it again (see resubmitCanceledByThreadExit).
            canceledByThreadExit.add(op);
            wakeReaper();
            return;
        }
        endLaneHead(op); // reapNow() submits the lane's next once it left reapLock
        completed(op, res);
        if (deferredFsyncCount > 0 && (op.kind() == OpKind.WRITE || op.kind() == OpKind.WRITEV)) {
            wakeReaper(); // the reaper submits the fsyncs this write held back
        }
    }

    /**
     * Submits again, from the reaper thread, the operations the kernel canceled because the thread
     * that submitted them exited. The reaper's own requests are never canceled that way.
     */
    private void resubmitCanceledByThreadExit() {
        if (canceledByThreadExit.isEmpty()) {
            return;
        }
        synchronized (submitLock) {
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
        reapNow();
    }

    /** How many times the reaper thread woke from its eventfd; for tests. */
    long reaperWakeUps() {
        return reaperWakeUps;
    }

    private void reapLoop() {
        while (!stopping) {
            long r = EventFd.await(eventFd);
            reaperWakeUps++; // only this thread writes it
            if (r < 0) {
                Callbacks.report(new IllegalStateException("io_uring reaper: read(eventfd) failed: "
                        + Failures.text((int) -r)));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            if (!stopping) {
                try {
                    resubmitCanceledByThreadExit();
                    releaseDeferredFsyncs();
                    reapNow();
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
     * which {@code io_uring_enter} refused the cancel request (the operation runs on).
     */
    int cancel(UringOperation op) {
        synchronized (submitLock) {
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
        long target = op.userData();
        long id = nextTicket.getAndIncrement();
        Ticket t = new Ticket();
        tickets.put(id, t);
        synchronized (submitLock) {
            int r = 0;
            int sqe;
            while ((sqe = sq.reserve()) == SubmissionQueue.FULL && (r = flush()) == 0) {
                // the flush made room
            }
            if (r == 0) {
                sq.prepareCancel(sqe, target, 0, UserData.ofInternal(id));
                r = flush();
            }
            if (r < 0) {
                completeWithdrawn(r); // none: the ring held nothing unsubmitted before this request
                tickets.remove(id);
                op.cancelRequested = false;
                return r;
            }
        }
        while (t.result == Integer.MIN_VALUE) {
            reapNow();
            if (t.result == Integer.MIN_VALUE) {
                LockSupport.parkNanos(t, TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
        int res = t.result;
        if (res == 0) {
            return CancelOutcome.CANCELED;
        }
        if (res == -Errno.EALREADY.code()) {
            return CancelOutcome.RUNNING;
        }
        return CancelOutcome.DONE; // -ENOENT: it completed before the cancel found it
    }

    @Override
    protected int cancelAllNative(int fd) {
        boolean canceled;
        synchronized (submitLock) {
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
        // of ours, then stop the reaper and unmap. (The in-flight counter is not consulted: it
        // only paces submissions, and a ring must close even if it were ever off by one.)
        while (!tickets.isEmpty()) {
            reapNow();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        stopping = true;
        wakeReaper();
        try {
            reaper.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ring.close();
        Libc.close(eventFd);
        closeNotifier();
    }
}
