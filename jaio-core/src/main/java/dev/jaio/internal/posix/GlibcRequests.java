package dev.jaio.internal.posix;

import dev.jaio.internal.OpKind;
import dev.jaio.internal.Operation;

/**
 * The requests of one descriptor that the posix engine has handed glibc and not yet seen
 * complete, in the order glibc runs them: a ring of (operation, submission, list notice,
 * whether a cancel may take it back), grown as needed and reused, so that the hot path
 * allocates nothing.
 *
 * <p><b>glibc's order (2.36, {@code __aio_enqueue_request}).</b> A descriptor's first request
 * heads its queue; each later one goes behind the head and behind every queued request whose
 * {@code __abs_prio} (the submitting thread's scheduling priority minus {@code aio_reqprio}; 0
 * for {@code aio_fsync}, whose {@code aio_reqprio} glibc sets to 0) is at least its own. Java
 * threads run under {@code SCHED_OTHER}, priority 0, so a larger {@code aio_reqprio} runs later
 * and equals run first come, first served. So entries 1.. are in ascending {@code aio_reqprio},
 * and a request lands at the tail, whichever of the entries ahead glibc still holds, exactly when
 * {@link #landsAtTail} says so; the engine hands glibc only such requests, which keeps this ring
 * in glibc's order. glibc runs a descriptor's requests one at a time, head first: the requests
 * glibc has completed are always a prefix of the ring.
 *
 * <p>Entries stay until somebody learns of their completion; {@link #dropRecordedHead()} forgets
 * the leading ones whose outcome is recorded, the only way out on the hot path.
 *
 * <p>Used under the engine's submit lock only.
 */
final class GlibcRequests {
    private PosixOperation[] ops = new PosixOperation[8];
    private int[] submissions = new int[8];
    private ListNotice[] notices = new ListNotice[8];
    private boolean[] takeBack = new boolean[8];
    /** Ring index of entry 0; the capacity is a power of two. */
    private int first;
    private int size;

    int size() {
        return size;
    }

    PosixOperation op(int i) {
        return ops[at(i)];
    }

    int submission(int i) {
        return submissions[at(i)];
    }

    ListNotice notice(int i) {
        return notices[at(i)];
    }

    /**
     * Whether a cancel may take entry {@code i} back from glibc and hand it over again: it has
     * no notification of its own and counts toward no list notification, so glibc's cancel of it
     * notifies nobody.
     */
    boolean mayTakeBack(int i) {
        return takeBack[at(i)];
    }

    /**
     * Whether glibc puts a request of queue priority {@code priority} (see {@link #priorityOf})
     * behind every request of this descriptor it holds: when at most one is held (it heads the
     * queue, or nothing does), or the last one's priority is at most {@code priority}.
     */
    boolean landsAtTail(int priority) {
        return size <= 1 || priorityOf(op(size - 1)) <= priority;
    }

    /** The {@code aio_reqprio} glibc queues {@code op} by: its own, 0 for an fsync. */
    static int priorityOf(PosixOperation op) {
        return op.kind() == OpKind.FSYNC ? 0 : op.priority();
    }

    void add(PosixOperation op, int submission, ListNotice notice, boolean mayTakeBack) {
        if (size == ops.length) {
            grow();
        }
        int i = at(size++);
        ops[i] = op;
        submissions[i] = submission;
        notices[i] = notice;
        takeBack[i] = mayTakeBack;
    }

    /** Makes entry {@code i} count toward {@code notice}, a list notification: it may no longer be taken back. */
    void setNotice(int i, ListNotice notice) {
        notices[at(i)] = notice;
        takeBack[at(i)] = false;
    }

    /** The position of submission {@code submission} of {@code op}, or -1. */
    int indexOf(PosixOperation op, int submission) {
        for (int i = 0; i < size; i++) {
            int r = at(i);
            if (ops[r] == op && submissions[r] == submission) {
                return i;
            }
        }
        return -1;
    }

    /** Removes entry {@code i}; those behind it move up one place. */
    void remove(int i) {
        if (i == 0) {
            clear(first);
            first = (first + 1) & (ops.length - 1);
            size--;
            return;
        }
        for (int j = i + 1; j < size; j++) {
            int to = at(j - 1);
            int from = at(j);
            ops[to] = ops[from];
            submissions[to] = submissions[from];
            notices[to] = notices[from];
            takeBack[to] = takeBack[from];
        }
        clear(at(--size));
    }

    /**
     * Forgets the leading entries whose outcome is recorded (or whose operation has moved on to
     * another submission, or is no longer in progress): glibc is done with them. Entries with a
     * list notice are left to the engine, which counts them down when it removes them.
     */
    void dropRecordedHead() {
        while (size > 0 && notices[first] == null && isOver(ops[first], submissions[first])) {
            remove(0);
        }
    }

    /** Whether submission {@code submission} of {@code op} is known to be over without asking glibc. */
    static boolean isOver(PosixOperation op, int submission) {
        return op.currentSubmission() != submission || !op.inProgress() || op.recordedResult() != Operation.PENDING;
    }

    private int at(int i) {
        return (first + i) & (ops.length - 1);
    }

    private void clear(int r) {
        ops[r] = null;
        notices[r] = null;
    }

    private void grow() {
        int n = ops.length;
        PosixOperation[] o = new PosixOperation[2 * n];
        int[] s = new int[2 * n];
        ListNotice[] l = new ListNotice[2 * n];
        boolean[] t = new boolean[2 * n];
        for (int i = 0; i < size; i++) {
            int r = at(i);
            o[i] = ops[r];
            s[i] = submissions[r];
            l[i] = notices[r];
            t[i] = takeBack[r];
        }
        ops = o;
        submissions = s;
        notices = l;
        takeBack = t;
        first = 0;
    }
}
