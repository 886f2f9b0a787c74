package dev.jaio.internal.uring;

import dev.jaio.AioEngineOptions;
import dev.jaio.AioFsyncMode;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.internal.Callbacks;
import dev.jaio.internal.Failures;
import dev.jaio.internal.JavaCompletingEngine;
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
 *       completed and reaped with one system call and no thread switch;</li>
 *   <li>a waiting thread, before it parks;</li>
 *   <li>the reaper thread, which sleeps in {@code read} on an eventfd registered with the ring
 *       ({@code IORING_REGISTER_EVENTFD}) and wakes when the kernel posts completions that
 *       happen later (O_DIRECT, io-wq): no core spins, an idle engine costs nothing.</li>
 * </ul>
 * Reaping stores each result and unparks the thread waiting for it; waits park in Java, so they
 * honour {@code Thread.interrupt()} and do not pin virtual threads' carriers.
 *
 * <p><b>user_data</b> is a block's slot in {@link #slots} and a generation; internal requests
 * (cancels, the wake-up NOP) have bit 63 set.
 *
 * <p><b>fsync</b>: POSIX wants an {@code aio_fsync} to cover the writes queued before it. The
 * engine submits an fsync only when no earlier write of its descriptor is in flight, holding it
 * back until then (see {@link #deferFsync}); unlike {@code IOSQE_IO_DRAIN}, this never delays
 * later operations or other descriptors.
 *
 * <p><b>Closing</b> cancels what is in flight, waits for every completion (so the kernel writes no
 * buffer any more), stops the reaper, then unmaps the ring.
 *
 * <p>Thread-safe.
 */
public final class UringEngine extends JavaCompletingEngine {
    /** Default ring size: 256 SQEs, 512 CQEs. */
    static final int DEFAULT_QUEUE_DEPTH = 256;
    private static final long INTERNAL = 1L << 63;
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

    private final Object slotsLock = new Object();
    private volatile AtomicReferenceArray<UringOperation> slots = new AtomicReferenceArray<>(64);
    private int[] freeSlots = new int[64];
    private int freeCount;
    private int nextSlot;

    private final AtomicLong nextTicket = new AtomicLong(1);
    private final ConcurrentHashMap<Long, Ticket> tickets = new ConcurrentHashMap<>();
    private final CompletionConsumer onCompletion = this::onCompletion;
    /** Order of submission; see {@link UringOperation#sequence}. Under submitLock. */
    private long submitSequence;
    /** fsyncs waiting for earlier writes of their descriptor; see {@link #deferFsync}. Under submitLock. */
    private final java.util.List<UringOperation> deferredFsyncs = new java.util.ArrayList<>();
    private volatile int deferredFsyncCount;
    /** Operations to submit again from the reaper thread; see {@link #resubmitCanceledByThreadExit()}. */
    private final java.util.concurrent.ConcurrentLinkedQueue<UringOperation> canceledByThreadExit =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    /**
     * Opens a ring.
     *
     * @throws UnsupportedOperationException when io_uring cannot work here, saying why (the
     *         errno of {@code io_uring_setup} and what usually causes it, or the missing opcodes)
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
                    throw new UnsupportedOperationException("io_uring_register(IORING_REGISTER_EVENTFD) failed: "
                            + Failures.text((int) -reg));
                }
            }
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

    private static void requireOps(Probe probe, Object... opsAndNames) {
        StringBuilder missing = new StringBuilder();
        for (int i = 0; i < opsAndNames.length; i += 2) {
            if (!probe.supports((Integer) opsAndNames[i])) {
                missing.append(missing.isEmpty() ? "" : ", ").append("IORING_OP_").append(opsAndNames[i + 1]);
            }
        }
        if (!missing.isEmpty()) {
            throw new UnsupportedOperationException("this kernel's io_uring lacks " + missing
                    + (probe.answered() ? "" : " (" + probe.failure() + ")") + "; jaio needs Linux 5.6 or newer");
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

    // ---------------------------------------------------------------- the slot table

    int register(UringOperation op) {
        synchronized (slotsLock) {
            int index;
            if (freeCount > 0) {
                index = freeSlots[--freeCount];
            } else {
                index = nextSlot++;
                if (index == slots.length()) {
                    AtomicReferenceArray<UringOperation> bigger = new AtomicReferenceArray<>(2 * index);
                    for (int i = 0; i < index; i++) {
                        bigger.set(i, slots.get(i));
                    }
                    slots = bigger;
                }
            }
            slots.set(index, op);
            return index;
        }
    }

    void unregister(UringOperation op) {
        synchronized (slotsLock) {
            slots.set(op.slot, null);
            if (freeCount == freeSlots.length) {
                freeSlots = java.util.Arrays.copyOf(freeSlots, 2 * freeCount);
            }
            freeSlots[freeCount++] = op.slot;
        }
    }

    // ---------------------------------------------------------------- submitting

    int submitOne(UringOperation op) {
        if (failsWithoutKernel(op)) {
            return 0;
        }
        synchronized (submitLock) {
            op.sequence = ++submitSequence;
            if (op.kind() == OpKind.FSYNC && waitsForEarlierWrites(op)) {
                deferFsync(op);
            } else {
                enqueue(op);
                flush();
            }
        }
        reapNow();
        return 0;
    }

    // ---------------------------------------------------------------- fsync ordering

    /**
     * Whether a write of {@code fsync}'s descriptor, submitted before it, is still in flight.
     * Under submitLock. Scans the block table: fsyncs are rare next to reads and writes.
     */
    private boolean waitsForEarlierWrites(UringOperation fsync) {
        AtomicReferenceArray<UringOperation> table = slots;
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
            boolean submitted = false;
            for (java.util.Iterator<UringOperation> it = deferredFsyncs.iterator(); it.hasNext(); ) {
                UringOperation fsync = it.next();
                if (!waitsForEarlierWrites(fsync)) {
                    it.remove();
                    deferredFsyncCount--;
                    enqueue(fsync);
                    submitted = true;
                }
            }
            if (submitted) {
                flush();
            }
        }
    }

    @Override
    protected int startList(Operation[] ops, int n, LioMode mode, SigevNotify notify) {
        Object list = beginList(mode, notify, n);
        synchronized (submitLock) {
            for (int i = 0; i < n; i++) {
                UringOperation op = (UringOperation) ops[i];
                joinList(list, op);
                if (!failsWithoutKernel(op)) {
                    op.sequence = ++submitSequence;
                    enqueue(op);
                }
            }
            flush();
        }
        listSubmitted(list);
        reapNow();
        return 0;
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

    /** One SQE for {@code op}; flushes first when the ring or the in-flight budget is full. Under submitLock. */
    private void enqueue(UringOperation op) {
        while (inFlight.get() >= maxInFlight) {
            flush();
            reapNow();
            if (inFlight.get() >= maxInFlight) {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
            }
        }
        int sqe = sq.reserve();
        while (sqe == SubmissionQueue.FULL) {
            flush();
            sqe = sq.reserve();
        }
        try {
            op.prepare(sq, sqe);
        } catch (RuntimeException | Error e) {
            // A reserved SQE still holds the request it carried last time: left reserved, the
            // next flush would submit that old request again. Give it back, count nothing.
            sq.abandon(1);
            throw e;
        }
        inFlight.incrementAndGet();
    }

    /** Submits every published SQE. Under submitLock. */
    private void flush() {
        while (true) {
            long r = ring.submit();
            if (r >= 0) {
                if (sq.pending() == 0) {
                    return;
                }
                continue;
            }
            if (r == -Errno.EAGAIN.code() || r == -Errno.EBUSY.code()) {
                // The kernel is short of memory or of CQ room: completions free both.
                reapNow();
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
                continue;
            }
            // Every other errno means the ring itself is unusable (closed, corrupted): a bug.
            throw new IllegalStateException("io_uring_enter failed while submitting: " + Failures.text((int) -r));
        }
    }

    // ---------------------------------------------------------------- reaping

    /** Reaps every posted completion; blocks only while another thread reaps. Any thread. */
    void reapNow() {
        synchronized (reapLock) {
            drainCompletionQueue();
            if (ring.completionsBacklogged()) {
                // Completions that overflowed the CQ ring wait in the kernel; GETEVENTS moves them in.
                ring.enter(0, 0, IoUringAbi.IORING_ENTER_GETEVENTS);
                drainCompletionQueue();
            }
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
        if ((userData & INTERNAL) != 0) {
            Ticket t = tickets.remove(userData & ~INTERNAL);
            if (t != null) {
                t.complete(res);
            }
            return;
        }
        UringOperation op = slots.get((int) userData);
        if (op == null || !op.inKernel || (op.generation & 0x7FFF_FFFF) != (int) (userData >>> 32)) {
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
            EventFd.signal(eventFd);
            return;
        }
        completed(op, res);
        if (deferredFsyncCount > 0 && (op.kind() == OpKind.WRITE || op.kind() == OpKind.WRITEV)) {
            EventFd.signal(eventFd); // the reaper submits the fsyncs this write held back
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
                    completed(op, -Errno.ECANCELED.code());
                } else {
                    enqueue(op);
                }
            }
            flush();
        }
    }

    @Override
    protected void reap(Operation[] ops, int from, int count) {
        reapNow();
    }

    private void reapLoop() {
        while (!stopping) {
            long r = EventFd.await(eventFd);
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

    /** {@code aio_cancel} of one operation: 0 canceled, 1 running (not canceled), 2 already done. */
    int cancel(UringOperation op) {
        synchronized (submitLock) {
            op.cancelRequested = true;
            if (canceledByThreadExit.remove(op)) {
                completed(op, -Errno.ECANCELED.code());
                return 0;
            }
            if (deferredFsyncs.remove(op)) {
                deferredFsyncCount--;
                completed(op, -Errno.ECANCELED.code());
                return 0;
            }
        }
        if (!op.inKernel) {
            return 2;
        }
        long target = op.userData();
        long id = nextTicket.getAndIncrement();
        Ticket t = new Ticket();
        tickets.put(id, t);
        synchronized (submitLock) {
            int sqe = sq.reserve();
            while (sqe == SubmissionQueue.FULL) {
                flush();
                sqe = sq.reserve();
            }
            sq.prepareCancel(sqe, target, 0, INTERNAL | id);
            flush();
        }
        while (t.result == Integer.MIN_VALUE) {
            reapNow();
            if (t.result == Integer.MIN_VALUE) {
                LockSupport.parkNanos(t, TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
        int res = t.result;
        if (res == 0) {
            return 0;
        }
        if (res == -Errno.EALREADY.code()) {
            return 1;
        }
        return 2; // -ENOENT: it completed before the cancel found it
    }

    @Override
    protected int cancelAllNative(int fd) {
        boolean canceled = false;
        boolean running = false;
        AtomicReferenceArray<UringOperation> table = slots;
        for (int i = 0; i < table.length(); i++) {
            UringOperation op = table.get(i);
            if (op != null && op.fd() == fd && op.inKernel) {
                switch (cancel(op)) {
                    case 0 -> canceled = true;
                    case 1 -> running = true;
                    default -> {
                    }
                }
            }
        }
        return running ? 1 : canceled ? 0 : 2;
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
        EventFd.signal(eventFd);
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
