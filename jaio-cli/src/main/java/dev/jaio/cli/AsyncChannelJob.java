package dev.jaio.cli;

import java.io.EOFException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * The {@code afc} baseline: the JDK's {@link AsynchronousFileChannel} (on Linux a pool of
 * threads doing positional reads and writes), with {@code --iodepth} operations outstanding per
 * job. Each slot is a {@link CompletionHandler} that issues its next operation from the
 * completion, until the end of the run. {@code --fsync N} calls {@code force(false)} after every
 * N writes, on the pool thread that completed the N-th.
 *
 * <p>The job's thread only starts the slots and waits; completions run on the channel's pool
 * threads, so the counters here are concurrent ones.
 */
final class AsyncChannelJob extends Job {
    private final BenchOptions o;
    private final BlockPicker picker;
    private final int fsyncEvery;
    private AsynchronousFileChannel channel;
    private Arena arena;
    private Slot[] slots;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final LongAdder ios = new LongAdder();
    private final LongAdder fsyncs = new LongAdder();
    private final LongAdder readsChecked = new LongAdder();
    private final AtomicInteger writesSinceFsync = new AtomicInteger();

    AsyncChannelJob(Run run, int index) {
        super(run, index, new ConcurrentHistogram(Run.HIGHEST_LATENCY, 3));
        this.o = run.options;
        this.picker = new BlockPicker(o.blocks(), o.rw().random, o.seed(), index, index, o.numjobs());
        this.fsyncEvery = o.rw().writes ? o.fsync() : 0;
    }

    @Override
    void setUp() throws Exception {
        // No executor: the JDK's default pool for asynchronous file channels.
        channel = AsynchronousFileChannel.open(run.file.path, ChannelJob.openOptions(o), null);
        arena = Arena.ofShared();
        slots = new Slot[run.depth];
        for (int s = 0; s < slots.length; s++) {
            MemorySegment seg = arena.allocate(o.bs(), DataPattern.PAGE);
            slots[s] = new Slot(seg);
        }
    }

    @Override
    void io() throws Exception {
        outstanding.set(slots.length);
        for (Slot s : slots) {
            s.next();
        }
        while (!finished.await(100, TimeUnit.MILLISECONDS)) {
            // Completions end the run themselves; a failure stops them too.
        }
    }

    private void slotDone() {
        if (outstanding.decrementAndGet() == 0) {
            finished.countDown();
        }
    }

    /** One outstanding operation, reissued from its own completion. */
    private final class Slot implements CompletionHandler<Integer, Void> {
        private final MemorySegment buffer;
        private final ByteBuffer bytes;
        private long offset;
        private boolean write;
        private long submittedAt;

        Slot(MemorySegment buffer) {
            this.buffer = buffer;
            this.bytes = buffer.asByteBuffer();
        }

        void next() {
            synchronized (picker) {
                offset = picker.next() * o.bs();
                write = o.rw() == BenchOptions.Rw.RANDRW ? picker.nextWrites(o.rwmixread()) : o.rw().writes;
            }
            if (write) {
                run.pattern.fill(buffer, offset, o.bs(), run.writeGeneration);
            }
            bytes.clear();
            submittedAt = System.nanoTime();
            issue();
        }

        private void issue() {
            try {
                if (write) {
                    channel.write(bytes, offset + bytes.position(), null, this);
                } else {
                    channel.read(bytes, offset + bytes.position(), null, this);
                }
            } catch (RuntimeException e) {
                failed(e, null);
            }
        }

        @Override
        public void completed(Integer n, Void unused) {
            try {
                if (n < 0) {
                    throw new EOFException("the file ended at " + (offset + bytes.position()));
                }
                if (bytes.hasRemaining()) {
                    issue();
                    return;
                }
                long now = System.nanoTime();
                if (write) {
                    run.file.markWritten((int) (offset / o.bs()));
                    if (fsyncEvery > 0 && writesSinceFsync.incrementAndGet() % fsyncEvery == 0) {
                        channel.force(false);
                        fsyncs.increment();
                    }
                } else {
                    run.checkRead(buffer, offset);
                    readsChecked.increment();
                }
                if (measured(now, submittedAt)) {
                    ios.increment();
                }
                completions.incrementAndGet();
                if (now >= run.endNanos || run.stopped()) {
                    slotDone();
                } else {
                    next();
                }
            } catch (Throwable t) {
                failed(t, null);
            }
        }

        @Override
        public void failed(Throwable why, Void unused) {
            run.fail(why);
            slotDone();
        }
    }

    @Override
    void tearDown() throws Exception {
        // Never free buffers the pool may still fill: wait for the slots (only after a failure
        // can any be left).
        if (outstanding.get() > 0 && !finished.await(Run.PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
            throw new Run.Failure(run.contender + ": " + outstanding.get() + " operations did not complete within "
                    + Run.PATIENCE.toSeconds() + " s");
        }
        try {
            if (channel != null) {
                channel.close();
            }
        } finally {
            if (arena != null) {
                arena.close();
            }
        }
    }

    @Override
    long ios() {
        return ios.sum();
    }

    @Override
    long fsyncs() {
        return fsyncs.sum();
    }

    @Override
    long readsChecked() {
        return readsChecked.sum();
    }
}
