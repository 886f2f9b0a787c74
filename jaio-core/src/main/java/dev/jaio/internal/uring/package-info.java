/**
 * The io_uring layer and the io_uring engine on top of it.
 *
 * <h2>The ring layer</h2>
 * One ring's setup, its submission and completion queues, the kernel's opcode probe, and why a
 * ring could not be had. It holds no engine logic (no control blocks, no waiting policy, no
 * notification):
 * <ul>
 *   <li>{@link dev.jaio.internal.uring.IoUring}: {@code io_uring_setup}, the three mappings
 *       (SQ ring, CQ ring, SQE array; the two rings share one mapping where the kernel offers
 *       {@code IORING_FEAT_SINGLE_MMAP}), {@code io_uring_enter}, and a close that unmaps and
 *       closes exactly once.</li>
 *   <li>{@link dev.jaio.internal.uring.SubmissionQueue}: reserve an SQE slot (or learn that the
 *       ring is full), fill it from plain values ({@code prepare*}, or a
 *       {@code UringRequest}), publish the tail; take back what a refused
 *       {@code io_uring_enter} did not consume.</li>
 *   <li>{@link dev.jaio.internal.uring.CompletionQueue}: see how many CQEs are ready, read them,
 *       advance the head; switch the ring's eventfd off and on (the CQ flags word).</li>
 *   <li>{@link dev.jaio.internal.uring.Probe}: which opcodes this kernel supports.</li>
 *   <li>{@link dev.jaio.internal.uring.SetupResult}, {@link dev.jaio.internal.uring.SetupFailure},
 *       {@link dev.jaio.internal.uring.RingFeatures}: what setup produced, or why it failed in
 *       words a user can act on.</li>
 *   <li>{@link dev.jaio.internal.uring.SetupSyscall}, {@code RingSyscalls}
 *       and {@code ForcedErrno}: the test seams that make
 *       {@code io_uring_setup}, {@code io_uring_enter} and {@code io_uring_register} fail with a
 *       chosen errno, as a kernel or a seccomp filter would.</li>
 * </ul>
 *
 * <h2>The engine</h2>
 * {@link dev.jaio.internal.uring.UringEngine} (the engine "io_uring"): a small set of rings
 * ({@code EngineRing}, each with its own submit and reap locks), one per submitting thread while
 * there are enough; the block table, call-order lanes, fsync hold-back, cancel and close are
 * engine-wide. Completions are reaped by the thread that submitted them, right after its
 * {@code io_uring_enter}, by waiting threads, and by a reaper thread woken through an eventfd that
 * the kernel signals only while a ring has operations in flight after its last reap
 * ({@code ReaperArming}, with {@code IORING_CQ_EVENTFD_DISABLED}): cached reads reaped by their
 * submitter wake nobody. Each ring's CQ holds 8 CQEs per SQE; completions beyond it are held
 * back by the kernel (its overflow list, which signals no eventfd), and every reap moves them in
 * until none is left. Operations a caller lets it defer (the channel's, in a burst) wait in
 * the ring for its next {@code io_uring_enter}, gathered up to 32 per call; virtual threads hand
 * theirs to the ring's combiner; {@code SubmissionFlusher} submits those nobody else did within a
 * tick. Its control block {@code UringOperation} holds data: its request as plain values
 * ({@code UringRequest}), its index and generation, which {@code UserData} encodes into the
 * 64-bit {@code user_data}; a cancel's outcome is a {@code CancelOutcome}. Only the engine fills
 * SQEs and reaps CQEs.
 *
 * <p>What the engine registers with each ring, as {@link dev.jaio.AioEngineOptions} ask, is
 * {@code RingRegistrations}' business: the engine's {@code FixedBuffers} (one page-aligned region,
 * the same indexes on every ring; a read or write inside one becomes {@code READ_FIXED}/
 * {@code WRITE_FIXED}) and a {@code RegisteredFiles} table per ring (slots for descriptors jaio
 * opened, given at first use, emptied before {@code AioFile.close()} closes them). With
 * {@code withSqPoll}, ring 0 has a poller thread and every other ring attaches to it
 * ({@code IORING_SETUP_ATTACH_WQ}); {@link dev.jaio.internal.uring.IoUring#enter} then calls the
 * kernel only to wake it or to wait, and the engine never withdraws an SQE from such a ring.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>Depends on {@code dev.jaio.internal.ffi} for every system call and layout, and on
 *       {@link dev.jaio.Errno} for errno names; makes no downcall itself. The engine also stands
 *       on {@code dev.jaio.internal} (the half every engine shares) and {@code dev.jaio}'s
 *       public types; the ring layer does not.</li>
 *   <li>Results of system calls are {@code long}: {@code >= 0} success, {@code < 0} is
 *       {@code -errno}. A full submission ring is back-pressure ({@link
 *       dev.jaio.internal.uring.SubmissionQueue#FULL}), never {@code null} and never an exception.
 *       Misuse (bad arguments, use after close) is an unchecked exception that says what is
 *       wrong.</li>
 *   <li>Memory ordering with the kernel follows liburing: each load of a word the kernel writes
 *       (SQ head, CQ tail) is an acquire, each store of a word the kernel reads (SQ tail, CQ head)
 *       is a release, done with {@code VarHandle} {@code getAcquire}/{@code setRelease} on the
 *       mapped segment, and each access names its liburing counterpart in a comment.</li>
 *   <li>Threads: the submission queue has one producer and the completion queue one consumer
 *       at a time. The two may be different threads working at once (they touch different words);
 *       the engine serialises each side of each ring with its own lock, which also gives the
 *       queues' plain Java fields their happens-before; threads on different rings never meet
 *       there.</li>
 *   <li>Lifetimes: the mapped rings are viewed through segments of a shared arena that
 *       {@link dev.jaio.internal.uring.IoUring#close()} closes before it unmaps, so a stale use
 *       is an {@link java.lang.IllegalStateException}, not a crash. Buffers named in SQEs are the
 *       caller's: the kernel may write them until their CQE has been reaped, even after the ring
 *       is closed, so an engine drains before it closes and frees.</li>
 *   <li>Ids: {@code user_data} is whatever 64-bit value the engine chooses (slot index plus
 *       generation, never an address); this layer passes it through untouched.</li>
 * </ul>
 */
package dev.jaio.internal.uring;
