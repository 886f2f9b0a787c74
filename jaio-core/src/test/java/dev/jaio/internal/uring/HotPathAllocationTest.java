package dev.jaio.internal.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.junit.jupiter.api.Test;

/**
 * The steady state of reserve, prepare, submit-and-wait (a downcall with errno capture) and reap
 * allocates nothing: once the JIT has compiled the loop, a round of operations must leave the
 * thread's allocation counter unchanged.
 *
 * <p>The counter ({@code com.sun.management.ThreadMXBean.getThreadAllocatedBytes}) is reached
 * through a method handle: the tests compile inside module {@code dev.jaio}, which does not read
 * {@code jdk.management}, and run on the class path, where everything is readable.
 */
class HotPathAllocationTest {

    private static final int OPS_PER_ROUND = 20_000;
    /** Rounds allowed for the JIT to finish compiling before one must come out clean. */
    private static final int MAX_ROUNDS = 50;

    @Test
    void aSubmitAndReapRoundTripAllocatesNothingOnceCompiled() throws Throwable {
        AllocationCounter counter = AllocationCounter.forCurrentThread();
        CountingConsumer consumer = new CountingConsumer();
        try (IoUring ring = RingTestSupport.ring(64)) {
            SubmissionQueue sq = ring.submissionQueue();
            CompletionQueue cq = ring.completionQueue();
            long[] perRound = new long[MAX_ROUNDS];
            for (int round = 0; round < MAX_ROUNDS; round++) {
                long before = counter.read();
                for (int i = 0; i < OPS_PER_ROUND; i++) {
                    sq.prepareNop(sq.reserve(), i);
                    long r = ring.submitAndWait(1);
                    if (r != 1) {
                        fail("io_uring_enter: " + r);
                    }
                    cq.reap(consumer, 64);
                }
                perRound[round] = counter.read() - before - counter.overhead;
                if (perRound[round] == 0) {
                    assertEquals((long) (round + 1) * OPS_PER_ROUND, consumer.count);
                    return;
                }
            }
            assertTrue(false, "every round of " + OPS_PER_ROUND + " NOP round trips allocated; bytes per round: "
                    + java.util.Arrays.toString(perRound));
        }
    }

    /** The calling thread's allocated bytes, and what reading them costs. */
    static final class AllocationCounter {
        private final MethodHandle read;
        private final Object bean;
        private final long thread = Thread.currentThread().threadId();
        long overhead;

        private AllocationCounter(Object bean, MethodHandle read) {
            this.bean = bean;
            this.read = read;
        }

        static AllocationCounter forCurrentThread() throws Throwable {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
            Object bean = lookup.findStatic(factory, "getThreadMXBean",
                    MethodType.methodType(Class.forName("java.lang.management.ThreadMXBean"))).invoke();
            Class<?> extended = Class.forName("com.sun.management.ThreadMXBean");
            if (!extended.isInstance(bean)) {
                fail("this JVM cannot count a thread's allocations (no com.sun.management.ThreadMXBean)");
            }
            MethodHandle read = lookup.findVirtual(extended, "getThreadAllocatedBytes",
                    MethodType.methodType(long.class, long.class))
                    .asType(MethodType.methodType(long.class, Object.class, long.class));
            AllocationCounter counter = new AllocationCounter(bean, read);
            // What two back-to-back reads differ by when nothing else runs: the cost of reading.
            long least = Long.MAX_VALUE;
            for (int i = 0; i < 1000; i++) {
                long a = counter.read();
                least = Math.min(least, counter.read() - a);
            }
            counter.overhead = least;
            return counter;
        }

        long read() throws Throwable {
            return (long) read.invokeExact(bean, thread);
        }
    }

    /** Counts completions; a field, not a captured local, so the lambda-free path stays clean. */
    private static final class CountingConsumer implements CompletionConsumer {
        long count;

        @Override
        public void onCompletion(long userData, int res, int flags) {
            if (res != 0) {
                throw new AssertionError("NOP " + userData + " failed: " + res);
            }
            count++;
        }
    }
}
