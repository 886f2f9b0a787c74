package dev.jaio.internal.uring;

import static dev.jaio.internal.ffi.IoUringAbi.CQE_FLAGS;
import static dev.jaio.internal.ffi.IoUringAbi.CQE_RES;
import static dev.jaio.internal.ffi.IoUringAbi.CQE_SIZE;
import static dev.jaio.internal.ffi.IoUringAbi.CQE_USER_DATA;
import static dev.jaio.internal.ffi.IoUringAbi.CQ_OFF_CQES;
import static dev.jaio.internal.ffi.IoUringAbi.CQ_OFF_FLAGS;
import static dev.jaio.internal.ffi.IoUringAbi.CQ_OFF_HEAD;
import static dev.jaio.internal.ffi.IoUringAbi.CQ_OFF_OVERFLOW;
import static dev.jaio.internal.ffi.IoUringAbi.CQ_OFF_RING_ENTRIES;
import static dev.jaio.internal.ffi.IoUringAbi.CQ_OFF_RING_MASK;
import static dev.jaio.internal.ffi.IoUringAbi.CQ_OFF_TAIL;
import static dev.jaio.internal.ffi.IoUringAbi.IORING_CQ_EVENTFD_DISABLED;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The completion side of one {@link IoUring}: the CQ ring (head, tail, overflow counter, CQE
 * array), shared with the kernel.
 *
 * <p>Two ways to consume, both allocation-free:
 * {@snippet :
 * // 1. with a long-lived consumer
 * int n = cq.reap(consumer, Integer.MAX_VALUE);
 *
 * // 2. by index, as liburing's io_uring_for_each_cqe + io_uring_cq_advance
 * int ready = cq.ready();
 * for (int i = 0; i < ready; i++) {
 *     complete(cq.userData(i), cq.result(i), cq.flags(i));
 * }
 * cq.advance(ready);
 * }
 * When nothing is ready, waiting is {@link IoUring#enter} with {@code IORING_ENTER_GETEVENTS};
 * when {@link IoUring#completionsBacklogged()} says the kernel holds back completions that did
 * not fit, the same call (with {@code min_complete} 0) moves them into the ring once it has room.
 *
 * <p>Memory ordering, as in liburing: the tail, which the kernel advances after writing CQEs,
 * is loaded with an acquire ({@code io_uring_smp_load_acquire(cq->ktail)}), so the CQEs below it
 * are fully written before they are read; the head is stored with a release
 * ({@code io_uring_smp_store_release(cq->khead, head)}), so every read of a CQE happens before the
 * kernel may overwrite its slot.
 *
 * <p>The CQ ring's flags word ({@code cq_ring->flags}, Linux 5.8) is the application's to write:
 * {@link #signalEventFd} switches the registered eventfd off and on, as liburing's
 * {@code io_uring_cq_eventfd_toggle} does.
 *
 * <p>Threads: <b>single consumer</b>. One thread at a time may call any method here except
 * {@link #overflowCount()} and {@link #mayHaveReady()} (any thread): the head and the flags word
 * have exactly one writer, and the local copies of head and tail are plain fields. An engine whose completions can be collected by several
 * threads (a reaper thread and a waiter that reaps for itself) guards this queue with one lock,
 * which also makes the plain fields visible to the next holder. The submission side may run at
 * the same time on another thread.
 */
public final class CompletionQueue {
    /** Acquire/release access to a 32-bit ring word; exact types, so a wrong call fails fast. */
    private static final VarHandle WORD = ValueLayout.JAVA_INT.varHandle().withInvokeExactBehavior();

    /** The CQ ring: head, tail, mask, entries, overflow, CQE array. */
    private final MemorySegment ring;
    private final long khead;
    private final long ktail;
    private final long koverflow;
    /** Offset of {@code cq_ring->flags}, or 0 where the kernel (before 5.8) has no such word. */
    private final long kflags;
    private final long cqes;
    private final int entries;
    private final int mask;

    /** Our copy of {@code *khead}, which only this consumer writes; free-running. */
    private int head;
    /** The tail as last loaded by {@link #ready()}; CQEs in [head, tail) may be read. */
    private int tail;

    /**
     * @param ring  a segment over the CQ ring mapping (the SQ ring's, with IORING_FEAT_SINGLE_MMAP)
     * @param cqOff the kernel's {@code struct io_cqring_offsets} (a slice of the setup params)
     */
    CompletionQueue(MemorySegment ring, MemorySegment cqOff) {
        this.ring = ring;
        this.khead = Integer.toUnsignedLong(cqOff.get(JAVA_INT, CQ_OFF_HEAD));
        this.ktail = Integer.toUnsignedLong(cqOff.get(JAVA_INT, CQ_OFF_TAIL));
        this.koverflow = Integer.toUnsignedLong(cqOff.get(JAVA_INT, CQ_OFF_OVERFLOW));
        this.cqes = Integer.toUnsignedLong(cqOff.get(JAVA_INT, CQ_OFF_CQES));
        // Before 5.8 this field was reserved and 0; the flags word never sits at offset 0 (the head does).
        this.kflags = Integer.toUnsignedLong(cqOff.get(JAVA_INT, CQ_OFF_FLAGS));
        // Written by the kernel before io_uring_setup returned and never changed.
        this.entries = ring.get(JAVA_INT, Integer.toUnsignedLong(cqOff.get(JAVA_INT, CQ_OFF_RING_ENTRIES)));
        this.mask = ring.get(JAVA_INT, Integer.toUnsignedLong(cqOff.get(JAVA_INT, CQ_OFF_RING_MASK)));
        if (entries <= 0 || Integer.bitCount(entries) != 1 || mask != entries - 1
                || ring.byteSize() < cqes + entries * CQE_SIZE) {
            throw new IllegalStateException("inconsistent CQ ring: entries=" + entries + ", mask=" + mask
                    + ", ring of " + ring.byteSize() + " bytes");
        }
        // io_uring_smp_load_acquire(cq->khead) once: a new ring starts at 0, but take the kernel's word.
        this.head = (int) WORD.getAcquire(ring, khead);
        this.tail = head;
    }

    /** The ring's size: this many completions fit before the kernel has to hold them back. */
    public int entries() {
        return entries;
    }

    /**
     * How many CQEs are ready to be read, after loading the kernel's tail. Indexes
     * {@code 0 .. ready()-1} of {@link #userData}, {@link #result} and {@link #flags} are then
     * valid until {@link #advance}.
     */
    public int ready() {
        // io_uring_smp_load_acquire(cq->ktail), as in io_uring_cq_ready
        tail = (int) WORD.getAcquire(ring, ktail);
        return tail - head;
    }

    /**
     * Whether CQEs may be waiting, from the kernel's head and tail words alone: unlike
     * {@link #ready()} it changes nothing, so any thread may ask, without being the consumer
     * (a consumer may be reaping at the same time: then the answer may be stale, never harmful).
     */
    public boolean mayHaveReady() {
        // io_uring_smp_load_acquire(cq->ktail) and the head as the consumer last stored it
        return (int) WORD.getAcquire(ring, ktail) != (int) WORD.getAcquire(ring, khead);
    }

    /** {@code cqe->user_data} of the {@code i}-th ready CQE. */
    public long userData(int i) {
        return ring.get(JAVA_LONG, cqe(i) + CQE_USER_DATA);
    }

    /** {@code cqe->res} of the {@code i}-th ready CQE: {@code >= 0} the result, {@code < 0} {@code -errno}. */
    public int result(int i) {
        return ring.get(JAVA_INT, cqe(i) + CQE_RES);
    }

    /** {@code cqe->flags} of the {@code i}-th ready CQE ({@code IORING_CQE_F_*}, a {@code __u32} bit set). */
    public int flags(int i) {
        return ring.get(JAVA_INT, cqe(i) + CQE_FLAGS);
    }

    /**
     * Hands the first {@code n} ready CQEs back to the kernel.
     *
     * @throws IllegalArgumentException if {@code n} is negative or more than the last {@link #ready()} saw
     */
    public void advance(int n) {
        if (n < 0 || n > tail - head) {
            throw new IllegalArgumentException("cannot advance the CQ head by " + n + ": " + (tail - head)
                    + " CQEs were ready at the last ready()");
        }
        if (n > 0) {
            head += n;
            // io_uring_smp_store_release(cq->khead, head), as in io_uring_cq_advance
            WORD.setRelease(ring, khead, head);
        }
    }

    /**
     * Delivers up to {@code max} ready CQEs to {@code consumer}, in ring order, and hands their
     * slots back to the kernel with one head store. Each CQE is delivered exactly once: if the
     * consumer throws, the CQEs up to and including the one it was given are consumed, the rest
     * stay for the next call, and the exception propagates.
     *
     * @return how many CQEs were delivered (0 if none was ready)
     */
    public int reap(CompletionConsumer consumer, int max) {
        if (max < 0) {
            throw new IllegalArgumentException("max must not be negative: " + max);
        }
        int n = Math.min(ready(), max);
        int delivered = 0;
        try {
            while (delivered < n) {
                long cqe = cqes + (long) ((head + delivered) & mask) * CQE_SIZE;
                long userData = ring.get(JAVA_LONG, cqe + CQE_USER_DATA);
                int res = ring.get(JAVA_INT, cqe + CQE_RES);
                int flags = ring.get(JAVA_INT, cqe + CQE_FLAGS);
                delivered++;
                consumer.onCompletion(userData, res, flags);
            }
        } finally {
            advance(delivered);
        }
        return delivered;
    }

    /**
     * Whether the kernel has the CQ ring's flags word (Linux 5.8), and so honours
     * {@link #signalEventFd}{@code (false)}.
     */
    public boolean hasFlags() {
        return kflags != 0;
    }

    /**
     * Clears ({@code true}) or sets ({@code false}) {@code IORING_CQ_EVENTFD_DISABLED}: whether the
     * kernel signals the ring's registered eventfd when it posts completions.
     *
     * <p>The kernel reads the flag after it has published the completions it posts (the CQ tail,
     * a release store) and a full barrier ({@code wq_has_sleeper}'s {@code smp_mb} in
     * {@code io_cq_unlock_post}, Linux 6.x; {@code io_cqring_ev_posted}'s before). That barrier
     * is skipped only for rings set up with {@code IORING_SETUP_DEFER_TASKRUN}, whose completions
     * are posted by their one submitter inside its own {@code io_uring_enter}; this class's
     * engine does not set its rings up so. Switching on is
     * therefore followed by a full fence here: after this returns, every completion the kernel
     * posts either signals the eventfd or is seen by the next {@link #ready()}; a caller that
     * switches on and then reaps cannot lose one between the two. Switching off needs no fence:
     * a signal the kernel still sends is only a spurious wake-up.
     *
     * @param on whether the kernel is to signal the eventfd from now on
     * @throws IllegalStateException if the kernel has no flags word ({@link #hasFlags()} is false)
     */
    public void signalEventFd(boolean on) {
        if (kflags == 0) {
            throw new IllegalStateException("this kernel's CQ ring has no flags word (Linux 5.8 added it):"
                    + " its eventfd cannot be switched off");
        }
        // The application is the word's only writer: our own last store is what we read back.
        int flags = (int) WORD.getAcquire(ring, kflags);
        int wanted = on ? flags & ~IORING_CQ_EVENTFD_DISABLED : flags | IORING_CQ_EVENTFD_DISABLED;
        // IO_URING_WRITE_ONCE(*cq->kflags, flags), as in io_uring_cq_eventfd_toggle
        WORD.setRelease(ring, kflags, wanted);
        if (on) {
            // smp_mb(): orders the store above before the next load of the CQ tail.
            VarHandle.fullFence();
        }
    }

    /** Whether {@code IORING_CQ_EVENTFD_DISABLED} is clear: the kernel signals the eventfd. */
    public boolean signalsEventFd() {
        return kflags == 0 || ((int) WORD.getAcquire(ring, kflags) & IORING_CQ_EVENTFD_DISABLED) == 0;
    }

    /**
     * {@code cq_ring->overflow}: how many completions the kernel had to <em>drop</em> because the
     * ring was full. Stays 0 on kernels with IORING_FEAT_NODROP unless the kernel could not even
     * allocate memory to hold them back; a non-zero value means lost completions, which an engine
     * must treat as fatal for the ring. Any thread.
     */
    public long overflowCount() {
        // IO_URING_READ_ONCE(*cq->koverflow); __u32, widened unsigned
        return Integer.toUnsignedLong((int) WORD.getAcquire(ring, koverflow));
    }

    private long cqe(int i) {
        if (i < 0 || i >= tail - head) {
            throw new IndexOutOfBoundsException("CQE " + i + " is not ready: " + (tail - head)
                    + " were ready at the last ready()");
        }
        return cqes + (long) ((head + i) & mask) * CQE_SIZE;
    }
}
