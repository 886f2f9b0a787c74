package dev.jaio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The striped gate keeps the promise the engines' close relies on: once
 * {@link EngineGate#shutAndAwaitEmpty()} returns, nobody is inside and nobody gets in.
 */
class EngineGateTest {

    @Test
    void stripesAreAPowerOfTwoBetweenFourAndSixtyFour() {
        assertEquals(4, new EngineGate(1).stripes());
        assertEquals(4, new EngineGate(2).stripes());
        assertEquals(16, new EngineGate(6).stripes());
        assertEquals(64, new EngineGate(192).stripes());
    }

    /**
     * Threads started together have consecutive ids and must not share a stripe (a cache line
     * passed between them on every list): on the small machines where stripes are few, two
     * consecutive ids always fall on different stripes, and every stripe is used.
     */
    @Test
    void consecutiveThreadIdsFallOnDifferentStripes() {
        for (int cpus : new int[] {1, 2, 4, 32}) {
            EngineGate gate = new EngineGate(cpus);
            boolean[] used = new boolean[gate.stripes()];
            for (long id = 1; id < 100_000; id++) {
                int stripe = gate.stripeOf(id);
                assertTrue(stripe >= 0 && stripe < gate.stripes(), "stripe " + stripe + " of thread " + id);
                assertNotEquals(stripe, gate.stripeOf(id + 1), "threads " + id + " and " + (id + 1) + " with "
                        + gate.stripes() + " stripes");
                used[stripe] = true;
            }
            for (int i = 0; i < used.length; i++) {
                assertTrue(used[i], "stripe " + i + " of " + used.length + " is never used");
            }
        }
    }

    @Test
    void aShutGateRefusesAndCountsNobody() {
        EngineGate gate = new EngineGate(2);
        assertTrue(gate.enter());
        gate.exit();
        gate.shutAndAwaitEmpty();
        assertFalse(gate.enter());
        assertEquals(0, gate.inside());
    }

    @Test
    void shutWaitsForTheThreadInside() throws Exception {
        EngineGate gate = new EngineGate(2);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        Thread inside = Thread.ofPlatform().start(() -> {
            assertTrue(gate.enter());
            entered.countDown();
            await(leave);
            gate.exit();
        });
        entered.await();
        AtomicBoolean shut = new AtomicBoolean();
        Thread closer = Thread.ofPlatform().start(() -> {
            gate.shutAndAwaitEmpty();
            shut.set(true);
        });
        Thread.sleep(50);
        assertFalse(shut.get(), "shutAndAwaitEmpty returned while a thread was inside");
        leave.countDown();
        closer.join();
        inside.join();
        assertTrue(shut.get());
    }

    /**
     * Many threads (on every stripe) enter, check that the gate has not been passed by a closer,
     * and leave, while another thread shuts it: no thread may be inside after the closer's wait
     * ended. A gate whose enter did not re-check after counting itself fails this.
     */
    @Test
    void nobodyIsInsideOnceTheCloserHasWaited() throws Exception {
        for (int round = 0; round < 200; round++) {
            EngineGate gate = new EngineGate(8);
            AtomicBoolean freed = new AtomicBoolean();
            AtomicInteger violations = new AtomicInteger();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    await(start);
                    while (gate.enter()) {
                        if (freed.get()) {
                            violations.incrementAndGet();
                        }
                        Thread.onSpinWait();
                        if (freed.get()) {
                            violations.incrementAndGet();
                        }
                        gate.exit();
                    }
                }));
            }
            start.countDown();
            Thread.sleep(0, 200_000);
            gate.shutAndAwaitEmpty();
            freed.set(true);
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(0, violations.get(), "a thread was inside the gate after it was shut and drained");
            assertEquals(0, gate.inside());
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
