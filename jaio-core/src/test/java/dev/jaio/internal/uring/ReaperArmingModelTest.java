package dev.jaio.internal.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A model of {@link ReaperArming}'s protocol, checked in every interleaving: no completion is
 * stranded (posted while the eventfd is off, with nobody left to reap it).
 *
 * <p>The actors and their steps, each step atomic (the fences on both sides make the shared
 * words sequentially consistent, see {@link CompletionQueue#signalEventFd}):
 * <ul>
 *   <li>two submitters on one ring: A submits two operations one after the other, B one. Each
 *       submission counts the operation in flight, submits it, then reaps as {@code reapNow}
 *       does: take the reap lock, drain the CQ, {@link ReaperArming#settle}, drain again if it
 *       just switched the eventfd on, release the lock. In a second run they reap as a
 *       {@code LIO_WAIT} list's submitter: eventfd off for the wait once they hold the lock;</li>
 *   <li>a waiter that reaps the ring once, at any moment (as {@code aioSuspend} does);</li>
 *   <li>the reaper thread: waits for the eventfd, then reaps the same way, forever;</li>
 *   <li>the kernel, for each operation in it: publishes its completion (the CQ tail), then, in a
 *       later step, reads {@code IORING_CQ_EVENTFD_DISABLED} and signals the eventfd unless it
 *       is set.</li>
 * </ul>
 * Every reachable state is explored (depth first, each state once). In a state where no actor
 * can move (the submitters and the waiter are done, the kernel posted everything, the reaper
 * sleeps on a zero eventfd) every completion must have been reaped. The same search on protocols
 * with one rule broken must find a stranded completion, so the model can tell.
 */
class ReaperArmingModelTest {

    /** A rule of the protocol to break, or none. */
    private enum Mutation {
        NONE,
        /** After switching the eventfd on, no second drain. */
        NO_DRAIN_AFTER_ARMING,
        /** Only the reaper thread settles: submitters and waiters reap without arming. */
        ONLY_THE_REAPER_SETTLES,
        /** The reaper switches the eventfd off after every reap, whatever is in flight. */
        DISARM_WHATEVER_IS_IN_FLIGHT
    }

    private static final int OPS = 3;
    /** Actors: 0 submitter A (operations 0, 1), 1 submitter B (operation 2), 2 waiter, 3 reaper. */
    private static final int A = 0;
    private static final int B = 1;
    private static final int WAITER = 2;
    private static final int REAPER = 3;
    private static final int ACTORS = 4;

    // Kernel phase of an operation.
    private static final int NOT_SUBMITTED = 0;
    private static final int IN_KERNEL = 1;
    private static final int POSTED = 2;
    private static final int FLAG_READ = 3;

    // A reaping thread's program, after its own first steps (a submitter's count and submit, the
    // reaper's wait): lock, drain, settle, drain if armed now, unlock.
    private static final int LOCK = 10;
    private static final int QUIET = 15;
    private static final int DRAIN = 11;
    private static final int SETTLE = 12;
    private static final int DRAIN_AGAIN = 13;
    private static final int UNLOCK = 14;
    // Submitters: count, submit; the reaper: wait; everyone: done.
    private static final int COUNT = 0;
    private static final int SUBMIT = 1;
    private static final int WAIT = 2;
    private static final int DONE = 3;

    /** The whole state, as one array (a map key): see the index constants. */
    private static final int PHASE = 0; // OPS entries
    private static final int REAPED = PHASE + OPS; // OPS entries
    private static final int IN_FLIGHT = REAPED + OPS;
    private static final int FLAG_ON = IN_FLIGHT + 1; // the CQ word: 1 = eventfd signalled
    private static final int ARMED = FLAG_ON + 1; // ReaperArming's copy
    private static final int EVENTFD = ARMED + 1; // the counter, capped at 2
    private static final int LOCK_OWNER = EVENTFD + 1; // -1 free, else the actor
    private static final int PC = LOCK_OWNER + 1; // ACTORS entries
    private static final int JUST_ARMED = PC + ACTORS; // ACTORS entries
    private static final int A_NEXT_OP = JUST_ARMED + ACTORS;
    private static final int SIZE = A_NEXT_OP + 1;

    @Test
    void noCompletionIsStrandedInAnyInterleaving() {
        Result r = explore(Mutation.NONE);
        assertNull(r.stranded, () -> "stranded: " + describe(r.stranded));
        assertTrue(r.states > 1000, "the search saw only " + r.states + " states");
        assertTrue(r.endStates > 0, "no end state reached");
        System.out.println("ReaperArmingModelTest: " + r.states + " states, " + r.endStates
                + " end states, none stranded");
    }

    @Test
    void noCompletionIsStrandedWhenSubmittersSwitchTheEventFdOffForTheirWait() {
        Result r = explore(Mutation.NONE, true);
        assertNull(r.stranded, () -> "stranded: " + describe(r.stranded));
        assertTrue(r.states > 1000, "the search saw only " + r.states + " states");
        assertNotNull(explore(Mutation.NO_DRAIN_AFTER_ARMING, true).stranded, "and still needs the drain after arming");
    }

    @Test
    void withoutTheDrainAfterArmingACompletionIsStranded() {
        Result r = explore(Mutation.NO_DRAIN_AFTER_ARMING);
        assertNotNull(r.stranded, "the model should catch a completion posted between the drain and the arming");
    }

    @Test
    void ifOnlyTheReaperArmedACompletionWouldBeStranded() {
        assertNotNull(explore(Mutation.ONLY_THE_REAPER_SETTLES).stranded);
    }

    @Test
    void disarmingWithOperationsInFlightStrandsACompletion() {
        assertNotNull(explore(Mutation.DISARM_WHATEVER_IS_IN_FLIGHT).stranded);
    }

    private record Result(int states, int endStates, int[] stranded) {
    }

    private static Result explore(Mutation mutation) {
        return explore(mutation, false);
    }

    /**
     * @param waitsInKernel whether the submitters reap as a {@code LIO_WAIT} list's submitter
     *        does: eventfd off ({@link ReaperArming#quietDuringWait}) once it holds the lock,
     *        its wait (any number of kernel steps), then drain and settle
     */
    private static Result explore(Mutation mutation, boolean waitsInKernel) {
        int[] start = new int[SIZE];
        start[LOCK_OWNER] = -1;
        start[PC + A] = COUNT;
        start[PC + B] = COUNT;
        start[PC + WAITER] = LOCK;
        start[PC + REAPER] = WAIT;
        start[A_NEXT_OP] = 0;
        Map<String, Boolean> seen = new HashMap<>();
        ArrayDeque<int[]> todo = new ArrayDeque<>();
        todo.push(start);
        seen.put(Arrays.toString(start), true);
        int endStates = 0;
        while (!todo.isEmpty()) {
            int[] s = todo.pop();
            boolean moved = false;
            for (int actor = 0; actor < ACTORS + OPS; actor++) {
                int[] next = s.clone();
                if (step(next, actor, mutation, waitsInKernel)) {
                    moved = true;
                    if (seen.putIfAbsent(Arrays.toString(next), true) == null) {
                        todo.push(next);
                    }
                }
            }
            if (!moved) {
                endStates++;
                for (int op = 0; op < OPS; op++) {
                    if (s[REAPED + op] == 0) {
                        return new Result(seen.size(), endStates, s);
                    }
                }
                assertEquals(0, s[IN_FLIGHT], () -> "in flight at the end: " + describe(s));
            }
        }
        return new Result(seen.size(), endStates, null);
    }

    /** Makes {@code actor} (an actor, or {@code ACTORS + op}: the kernel for that operation) take a step; false if it cannot. */
    private static boolean step(int[] s, int actor, Mutation mutation, boolean waitsInKernel) {
        if (actor >= ACTORS) {
            int op = actor - ACTORS;
            switch (s[PHASE + op]) {
                case IN_KERNEL -> s[PHASE + op] = POSTED; // the CQE and the tail: visible to a drain
                case POSTED -> {
                    // smp_mb, then READ_ONCE(cq_flags): signal unless disabled
                    if (s[FLAG_ON] == 1) {
                        s[EVENTFD] = Math.min(s[EVENTFD] + 1, 2);
                    }
                    s[PHASE + op] = FLAG_READ;
                }
                default -> {
                    return false;
                }
            }
            return true;
        }
        int pc = s[PC + actor];
        switch (pc) {
            case COUNT -> {
                s[IN_FLIGHT]++;
                s[PC + actor] = SUBMIT;
            }
            case SUBMIT -> {
                s[PHASE + opOf(s, actor)] = IN_KERNEL;
                s[PC + actor] = LOCK;
            }
            case WAIT -> {
                if (s[EVENTFD] == 0) {
                    return false;
                }
                s[EVENTFD] = 0; // read(eventfd) takes the whole count
                s[PC + actor] = LOCK;
            }
            case LOCK -> {
                if (s[LOCK_OWNER] != -1) {
                    return false;
                }
                s[LOCK_OWNER] = actor;
                s[PC + actor] = waitsInKernel && (actor == A || actor == B) ? QUIET : DRAIN;
            }
            case QUIET -> {
                // A LIO_WAIT submitter switches the eventfd off for its wait in the kernel.
                s[ARMED] = 0;
                s[FLAG_ON] = 0;
                s[PC + actor] = DRAIN;
            }
            case DRAIN -> {
                drain(s);
                s[PC + actor] = SETTLE;
            }
            case SETTLE -> {
                s[JUST_ARMED + actor] = 0;
                boolean settles = mutation != Mutation.ONLY_THE_REAPER_SETTLES || actor == REAPER;
                if (settles) {
                    boolean disarmAnyway = mutation == Mutation.DISARM_WHATEVER_IS_IN_FLIGHT && actor == REAPER;
                    if (disarmAnyway || s[IN_FLIGHT] == 0) {
                        s[ARMED] = 0;
                        s[FLAG_ON] = 0;
                    } else if (s[ARMED] == 0) {
                        s[ARMED] = 1;
                        s[FLAG_ON] = 1; // then a full fence
                        s[JUST_ARMED + actor] = 1;
                    }
                }
                s[PC + actor] = DRAIN_AGAIN;
            }
            case DRAIN_AGAIN -> {
                if (s[JUST_ARMED + actor] == 1 && mutation != Mutation.NO_DRAIN_AFTER_ARMING) {
                    drain(s);
                }
                s[JUST_ARMED + actor] = 0;
                s[PC + actor] = UNLOCK;
            }
            case UNLOCK -> {
                s[LOCK_OWNER] = -1;
                s[PC + actor] = switch (actor) {
                    case A -> {
                        if (s[A_NEXT_OP] == 0) {
                            s[A_NEXT_OP] = 1;
                            yield COUNT;
                        }
                        yield DONE;
                    }
                    case REAPER -> WAIT;
                    default -> DONE;
                };
            }
            default -> {
                return false; // DONE
            }
        }
        return true;
    }

    /** The operation a submitter is working on. */
    private static int opOf(int[] s, int actor) {
        return actor == A ? s[A_NEXT_OP] : 2;
    }

    /** Reaps every completion the kernel has published. */
    private static void drain(int[] s) {
        for (int op = 0; op < OPS; op++) {
            if (s[PHASE + op] >= POSTED && s[REAPED + op] == 0) {
                s[REAPED + op] = 1;
                s[IN_FLIGHT]--;
            }
        }
    }

    private static String describe(int[] s) {
        if (s == null) {
            return "none";
        }
        return "phases " + Arrays.toString(Arrays.copyOfRange(s, PHASE, PHASE + OPS)) + ", reaped "
                + Arrays.toString(Arrays.copyOfRange(s, REAPED, REAPED + OPS)) + ", in flight " + s[IN_FLIGHT]
                + ", eventfd " + (s[FLAG_ON] == 1 ? "on" : "off") + " (count " + s[EVENTFD] + "), pcs "
                + Arrays.toString(Arrays.copyOfRange(s, PC, PC + ACTORS));
    }
}
