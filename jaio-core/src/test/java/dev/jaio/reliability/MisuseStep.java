package dev.jaio.reliability;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * One public call (or one thing a user does to what the calls use) in a misuse sequence of
 * {@link MisuseWorld}. Steps name what they act on by index: a block slot ({@code 0..SLOTS-1}),
 * or an entry of one of the world's tables of descriptors, offsets, buffers, priorities,
 * notifications and timeouts; a slot of {@code -1} in a list stands for a {@code null} element.
 * Records, so that jqwik prints a shrunk failing sequence as code that can be pasted into a
 * regression {@code @Example} of {@link MisuseProperties}.
 */
sealed interface MisuseStep {

    /** The kinds of control block. */
    enum Kind { READ, WRITE, WRITE_OF, FSYNC, FDATASYNC, READV, WRITEV }

    /**
     * A new block in {@code slot} (replacing what was there, which is not closed: a block dropped
     * while in flight), built with the constructor of {@code kind}; {@code foreign}: on the
     * world's second engine instead of the one under test.
     */
    record Create(int slot, Kind kind, int fd, int offset, List<Integer> buffers, int priority, int notification,
                  boolean foreign) implements MisuseStep {
    }

    /** {@code submit()}. */
    record Submit(int slot) implements MisuseStep {
    }

    /** {@code setOffset} (reads, writes, vectored). */
    record SetOffset(int slot, int offset) implements MisuseStep {
    }

    /** {@code setBuffer} (reads and writes). */
    record SetBuffer(int slot, int buffer) implements MisuseStep {
    }

    /** {@code setSigevNotify}. */
    record SetNotify(int slot, int notification) implements MisuseStep {
    }

    /** {@code cancel()}. */
    record Cancel(int slot) implements MisuseStep {
    }

    /** {@code engine.aioCancelAll(fd)}. */
    record CancelAll(int fd) implements MisuseStep {
    }

    /** {@code error()}, then {@code aioReturn()} whatever it said (early or not). */
    record Return(int slot) implements MisuseStep {
    }

    /** {@code aioSuspend} on the block until it completes (bounded), then {@code aioReturn()}. */
    record AwaitAndReturn(int slot) implements MisuseStep {
    }

    /** {@code Aio.aioSuspend(list, timeout)}. */
    record Suspend(List<Integer> slots, int timeout) implements MisuseStep {
    }

    /** {@code Aio.lioListio(mode, list, notify)}; mode 0 LIO_WAIT, 1 LIO_NOWAIT, 2 null. */
    record Lio(int mode, List<Integer> slots, int notification) implements MisuseStep {
    }

    /** {@code close()} of the block, in flight or not. */
    record Close(int slot) implements MisuseStep {
    }

    /**
     * Closes one of the two arenas a test may close: 0 the shared one of buffer 9, at once, even
     * with I/O on it in flight (buffer 9 then names a segment of a new shared arena); 1 the
     * confined one (no I/O can use it: confined buffers are refused).
     */
    record CloseArena(int which) implements MisuseStep {
    }

    /** Writes a few bytes into the world's fed pipe if it is empty (steps that wait feed it too). */
    record FeedPipe() implements MisuseStep {
    }

    /** Closes the world's closable data file; blocks keep naming its descriptor. */
    record CloseFd() implements MisuseStep {
    }

    /** {@code close()} of the engine under test, with whatever is in flight. */
    record CloseEngine() implements MisuseStep {
    }

    /** A call with a {@code null} where the API wants an object: {@code which} picks the call. */
    record Nulls(int which) implements MisuseStep {
    }

    /** {@code inner}, called from a new thread (confined arenas then belong to another thread). */
    record OnOtherThread(MisuseStep inner) implements MisuseStep {
    }

    /** {@code inner}, called with the thread's interrupt status set and another interrupt 20 ms in. */
    record Interrupted(MisuseStep inner) implements MisuseStep {
    }

    // ------------------------------------------------------------------ generation

    /**
     * Runs of steps for a sequence: mostly one step, now and then a shared arena closed under I/O
     * ({@link #arenaRace()}), so that this happens in most runs of the default 250 sequences.
     */
    static Arbitrary<List<MisuseStep>> chunks() {
        return Arbitraries.frequencyOf(Tuple.of(30, steps().map(List::of)), Tuple.of(1, arenaRace()));
    }

    /**
     * A block reading (or writing) through buffer 9 (the closable shared arena's), submitted alone
     * or in a list, perhaps with a self-reaping notification, then the arena closed, perhaps the
     * pipe fed: the read ends with EFAULT or (if its data came first) success.
     */
    static Arbitrary<List<MisuseStep>> arenaRace() {
        Arbitrary<Kind> kind = Arbitraries.frequency(Tuple.of(6, Kind.READ), Tuple.of(2, Kind.READV),
                Tuple.of(2, Kind.WRITE), Tuple.of(1, Kind.WRITEV));
        Arbitrary<Integer> fd = Arbitraries.frequency(Tuple.of(6, MisuseWorld.FD_PIPE_FED),
                Tuple.of(2, MisuseWorld.FD_DATA), Tuple.of(1, MisuseWorld.FD_ZERO));
        return Combinators.combine(slot(), kind, fd, notification(), Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 2))
                .as((slot, k, f, n, how, after) -> {
                    List<Integer> bufs = k == Kind.READV || k == Kind.WRITEV
                            ? List.of(MisuseWorld.BUF_CLOSABLE_SHARED, MisuseWorld.BUF_SHARED)
                            : List.of(MisuseWorld.BUF_CLOSABLE_SHARED);
                    List<MisuseStep> steps = new java.util.ArrayList<>();
                    steps.add(new Create(slot, k, f, 0, bufs, 0, n, false));
                    steps.add(how == 0 ? new Submit(slot) : new Lio(how == 1 ? 1 : 0, List.of(slot), 0));
                    steps.add(new CloseArena(0));
                    if (after == 1) {
                        steps.add(new FeedPipe());
                    } else if (after == 2) {
                        steps.add(new AwaitAndReturn(slot));
                    }
                    return steps;
                });
    }

    /** Steps for jqwik. */
    static Arbitrary<MisuseStep> steps() {
        Arbitrary<MisuseStep> plain = plainSteps();
        Arbitrary<MisuseStep> waiting = Arbitraries.oneOf(lio(), suspend(), awaitAndReturn(), close(), submit());
        return Arbitraries.frequencyOf(
                Tuple.of(40, plain),
                Tuple.of(3, plainCall().map(OnOtherThread::new)),
                Tuple.of(3, waiting.map(Interrupted::new)));
    }

    private static Arbitrary<Integer> slot() {
        return Arbitraries.integers().between(0, MisuseWorld.SLOTS - 1);
    }

    private static Arbitrary<Integer> index(int size) {
        return Arbitraries.integers().between(0, size - 1);
    }

    /**
     * An index of {@code 0..weights.length-1}, each as often as its weight: the ordinary choices
     * (a good file, offset 0, a live buffer) often, the odd ones now and then, so that sequences
     * get far enough to misuse blocks that really are in flight.
     */
    private static Arbitrary<Integer> weighted(int... weights) {
        List<net.jqwik.api.Tuple.Tuple2<Integer, Integer>> choices = new java.util.ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] > 0) {
                choices.add(Tuple.of(weights[i], i));
            }
        }
        return Arbitraries.frequency(choices);
    }

    /** Descriptors, in the order of {@link MisuseWorld#FD_NAMES}. */
    static Arbitrary<Integer> fd() {
        return weighted(12, 10, 3, 2, 5, 6, 3, 2, 3, 1, 1, 1, 1, 1, 6);
    }

    /** Offsets, in the order of {@link MisuseWorld#OFFSETS}. */
    static Arbitrary<Integer> offset() {
        return weighted(12, 2, 2, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1);
    }

    /** Buffers, in the order of {@link MisuseWorld#BUFFER_NAMES}. */
    static Arbitrary<Integer> buffer() {
        return weighted(10, 3, 2, 4, 4, 2, 2, 1, 4, 8, 4, 1, 1, 2, 1, 8, 3);
    }

    /** Priorities, in the order of {@link MisuseWorld#PRIORITIES}. */
    static Arbitrary<Integer> priority() {
        return weighted(20, 2, 1, 1, 1);
    }

    /** Notifications, in the order of {@link MisuseWorld#NOTIFY_NAMES}. */
    static Arbitrary<Integer> notification() {
        return weighted(12, 2, 3, 2, 1, 4, 3, 3);
    }

    private static Arbitrary<MisuseStep> create() {
        return create(slot());
    }

    /** A block for each slot, to begin a sequence with: most steps then have something to misuse. */
    static Arbitrary<List<MisuseStep>> prologue() {
        List<Arbitrary<MisuseStep>> creates = new java.util.ArrayList<>();
        for (int i = 0; i < MisuseWorld.SLOTS; i++) {
            creates.add(create(Arbitraries.just(i)));
        }
        return Combinators.combine(creates).as(l -> l);
    }

    private static Arbitrary<MisuseStep> create(Arbitrary<Integer> slot) {
        return Combinators.combine(slot, Arbitraries.of(Kind.class), fd(), offset(),
                buffer().list().ofMinSize(0).ofMaxSize(3), priority(), notification(),
                Arbitraries.integers().between(0, 11).map(i -> i == 0))
                .as(Create::new);
    }

    private static Arbitrary<MisuseStep> submit() {
        return slot().map(Submit::new);
    }

    private static Arbitrary<MisuseStep> awaitAndReturn() {
        return slot().map(AwaitAndReturn::new);
    }

    private static Arbitrary<MisuseStep> close() {
        return slot().map(Close::new);
    }

    private static Arbitrary<List<Integer>> slotList() {
        return Arbitraries.frequencyOf(Tuple.of(30, slot()), Tuple.of(1, Arbitraries.just(-1)))
                .list().ofMinSize(0).ofMaxSize(5);
    }

    private static Arbitrary<MisuseStep> lio() {
        return Combinators.combine(Arbitraries.frequencyOf(Tuple.of(10, Arbitraries.just(0)),
                        Tuple.of(10, Arbitraries.just(1)), Tuple.of(1, Arbitraries.just(2))), slotList(),
                notification())
                .as(Lio::new);
    }

    private static Arbitrary<MisuseStep> suspend() {
        return Combinators.combine(slotList(), index(MisuseWorld.TIMEOUT_NAMES.size())).as(Suspend::new);
    }

    /** The steps that are one call of the API on a block or list (what OnOtherThread wraps). */
    private static Arbitrary<MisuseStep> plainCall() {
        return Arbitraries.oneOf(create(), submit(), awaitAndReturn(), close(), lio(), suspend(),
                slot().map(Return::new), slot().map(Cancel::new),
                Combinators.combine(slot(), offset()).as(SetOffset::new),
                Combinators.combine(slot(), buffer()).as(SetBuffer::new));
    }

    private static Arbitrary<MisuseStep> plainSteps() {
        return Arbitraries.frequencyOf(
                Tuple.of(10, create()),
                Tuple.of(18, submit()),
                Tuple.of(5, Combinators.combine(slot(), offset()).as(SetOffset::new)),
                Tuple.of(4, Combinators.combine(slot(), buffer()).as(SetBuffer::new)),
                Tuple.of(2, Combinators.combine(slot(), notification()).as(SetNotify::new)),
                Tuple.of(5, slot().map(Cancel::new)),
                Tuple.of(2, fd().map(CancelAll::new)),
                Tuple.of(6, slot().map(Return::new)),
                Tuple.of(14, awaitAndReturn()),
                Tuple.of(5, suspend()),
                Tuple.of(12, lio()),
                Tuple.of(4, close()),
                Tuple.of(3, Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(0)), Tuple.of(1, Arbitraries.just(1)))
                        .map(CloseArena::new)),
                Tuple.of(2, Arbitraries.just(new FeedPipe())),
                Tuple.of(1, Arbitraries.just(new CloseFd())),
                Tuple.of(1, Arbitraries.just(new CloseEngine())),
                Tuple.of(2, index(MisuseWorld.NULL_CALLS).map(Nulls::new)));
    }
}
