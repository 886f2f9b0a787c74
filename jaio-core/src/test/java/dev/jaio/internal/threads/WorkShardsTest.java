package dev.jaio.internal.threads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jaio.Aio;
import dev.jaio.AioEngineOptions;
import dev.jaio.AioFile;
import dev.jaio.AioFsync;
import dev.jaio.AioFsyncMode;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.Errno;
import dev.jaio.SigevNotify;
import dev.jaio.contract.Pipe;
import dev.jaio.internal.OpKind;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The threads engine's sharded work: threads submitting at the same time use shards of their
 * own, and yet no operation is left waiting for a busy shard while a worker elsewhere is idle,
 * and an fsync still covers the writes queued before it in another shard.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WorkShardsTest {
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    @Test
    void aPoolGetsAShardPerCpuWithAFewWorkersEach() {
        assertEquals(1, WorkShards.shardsFor(1, 64), "one worker: one shard");
        assertEquals(2, WorkShards.shardsFor(16, 2), "2 CPUs");
        assertEquals(4, WorkShards.shardsFor(16, 64), "at least 4 workers per shard");
        assertEquals(64, WorkShards.shardsFor(256, 64));
        assertEquals(1, WorkShards.shardsFor(16, 1));
    }

    /**
     * Shard 0 has no worker free (here: none taking at all), shard 1's worker waits: an operation
     * put into shard 0 is taken by shard 1's worker, woken for it.
     */
    @Test
    void anOperationOfABusyShardIsTakenByAnIdleWorkerOfItsNeighbour() throws Exception {
        WorkShards shards = new WorkShards(2, 16);
        try (ThreadsEngine engine = new ThreadsEngine(AioEngineOptions.defaults().withThreads(1), false);
                AioFile f = AioFile.tempfile()) {
            ThreadsOperation op = (ThreadsOperation) engine.create(OpKind.FSYNC, f.fd(), 0, AioFsyncMode.O_SYNC,
                    SigevNotify.none());
            try {
                long[] entry = new long[1];
                CompletableFuture<ThreadsOperation> taken = CompletableFuture.supplyAsync(() -> {
                    try {
                        return shards.take(1, entry);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }, r -> Thread.ofPlatform().daemon().start(r));
                // Let the worker of shard 1 find nothing and wait.
                assertStaysPending(taken);
                shards.put(0, op, WorkQueue.entry(42, false));
                assertSame(op, taken.get(PATIENCE.toSeconds(), TimeUnit.SECONDS), "shard 1's idle worker took it");
                assertEquals(42, WorkQueue.sequence(entry[0]));
            } finally {
                shards.close();
                op.close();
            }
        }
    }

    /**
     * A write waits in shard 0, whose workers are all held by pipe reads; its fsync, submitted
     * later from a thread of shard 1, is taken by a worker of shard 1 freed for it. POSIX wants
     * the fsync to cover the write queued before it: the write must be complete when the fsync
     * is.
     */
    @Test
    void anFsyncRunsTheWritesQueuedBeforeItInAnotherShardFirst() throws Exception {
        try (ThreadsEngine engine = new ThreadsEngine(AioEngineOptions.defaults().withThreads(8), false);
                AioFile f = AioFile.tempfile();
                Arena arena = Arena.ofShared()) {
            assumeTrue(engine.shards() == 2, "needs 2 shards of 4 workers (2 CPUs or more), has " + engine.shards());
            List<Pipe> pipes = new ArrayList<>();
            List<AioRead> reads = new ArrayList<>();
            try {
                Thread.sleep(100); // every worker idle
                // 4 blocking reads from a thread of shard 0, then 4 from one of shard 1: every worker held.
                for (int shard : new int[] {0, 1}) {
                    onThreadOfShard(shard, () -> {
                        for (int i = 0; i < 4; i++) {
                            Pipe p = Pipe.open();
                            pipes.add(p);
                            AioRead r = new AioRead(engine, p.readFd(), 0, arena.allocate(1), 0, SigevNotify.none());
                            reads.add(r);
                            r.submit();
                        }
                    });
                    Thread.sleep(100); // the shard's workers now block in read(2)
                }
                MemorySegment data = arena.allocate(4096);
                data.fill((byte) 'w');
                AioWrite write = new AioWrite(engine, f.fd(), 0, data, 0, SigevNotify.none());
                onThreadOfShard(0, write::submit);
                AtomicReference<Errno> writeSeenByFsync = new AtomicReference<>();
                AioFsync[] sync = new AioFsync[1];
                sync[0] = new AioFsync(engine, f.fd(), AioFsyncMode.O_SYNC, 0, SigevNotify.thread(0,
                        v -> writeSeenByFsync.set(write.error())));
                onThreadOfShard(1, sync[0]::submit);
                Thread.sleep(50);
                assertEquals(Errno.EINPROGRESS, write.error(), "the write waits: every worker is held");
                // Free one worker of shard 1: the read of one of the pipes fed from shard 1's thread.
                pipes.get(4).write(new byte[] {'x'});
                assertTrue(Aio.aioSuspend(List.of(sync[0]), PATIENCE), "the fsync did not complete");
                assertEquals(Errno.SUCCESS, sync[0].error());
                assertEquals(0, sync[0].aioReturn());
                assertEquals(Errno.SUCCESS, write.error(), "the fsync completed before the write queued before it");
                assertEquals(4096, write.aioReturn());
                long deadline = System.nanoTime() + PATIENCE.toNanos();
                while (writeSeenByFsync.get() == null && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertEquals(Errno.SUCCESS, writeSeenByFsync.get(), "the write, as the fsync's notification saw it");
            } finally {
                for (Pipe p : pipes) {
                    p.write(new byte[] {'x'});
                }
                for (AioRead r : reads) {
                    assertTrue(Aio.aioSuspend(List.of(r), PATIENCE));
                    r.aioReturn();
                }
                for (Pipe p : pipes) {
                    p.close();
                }
            }
        }
    }

    @FunctionalInterface
    private interface Submission {
        void run() throws Exception;
    }

    /** Runs {@code task} on a new platform thread whose id picks shard {@code shard} of 2. */
    private static void onThreadOfShard(int shard, Submission task) throws Exception {
        AtomicReference<Exception> failure = new AtomicReference<>();
        while (true) {
            Thread t = Thread.ofPlatform().unstarted(() -> {
                try {
                    task.run();
                } catch (Exception e) {
                    failure.set(e);
                }
            });
            if (t.threadId() % 2 == shard) {
                t.start();
                t.join();
                break;
            }
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    private static void assertStaysPending(CompletableFuture<?> f) throws Exception {
        try {
            f.get(100, TimeUnit.MILLISECONDS);
            throw new AssertionError("completed early: " + f.get());
        } catch (TimeoutException expected) {
            // still pending
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        }
    }
}
