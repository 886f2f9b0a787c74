package dev.jaio.cli;

import dev.jaio.AioEngine;
import dev.jaio.AioFileChannel;
import java.io.EOFException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The job of {@code --api channel|futures|vthreads}: the same I/O as the other jobs through an
 * {@link AsynchronousFileChannel}: jaio's {@link AioFileChannel} on the run's engine, or, for the
 * baselines, the JDK's channel ({@code afc} with {@code futures}) or {@code FileChannel}
 * ({@code filechannel} with {@code vthreads}), so that each pair runs one shape of code.
 * <ul>
 *   <li>{@code channel}: {@code --iodepth} operations outstanding, each reissued from its
 *       {@link CompletionHandler} (the shape of the {@code afc} baseline);</li>
 *   <li>{@code futures}: {@code --iodepth} futures outstanding, the job's thread waiting for the
 *       oldest ({@code get()}), checking it and issuing the next;</li>
 *   <li>{@code vthreads}: {@code --iodepth} virtual threads per job, each doing blocking reads and
 *       writes ({@code read(buf, pos).join()}, or {@code FileChannel.read}); the job samples how
 *       many platform threads the process has and prints the peak.</li>
 * </ul>
 * With {@code channel} and {@code vthreads}, completions are counted on other threads (the
 * channel's, or the virtual threads): the counters and the latency histogram are concurrent ones.
 * With {@code futures} everything runs on the job's thread, and the job counts as the lists' job
 * does: plain counters and histogram, and one clock reading per operation (the time it was seen
 * complete is the next one's submission time), so that the two APIs pay the same for being measured.
 */
final class ChannelApiJob extends Job {
    private final BenchOptions o;
    private final BlockPicker picker;
    private final AioEngine engine;
    private final int fsyncEvery;
    private AsynchronousFileChannel channel;
    private FileChannel fileChannel;
    private Slot[] slots;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final LongAdder ios = new LongAdder();
    private final LongAdder fsyncs = new LongAdder();
    private final LongAdder readsChecked = new LongAdder();
    private final AtomicInteger writesSinceFsync = new AtomicInteger();
    /** {@code futures}: the counts, kept by the job's thread alone. */
    private final boolean oneThread;
    private long iosOfOneThread, readsCheckedOfOneThread, completionsOfOneThread;
    private int threadsBefore, threadsPeak;

    /** {@code engine}: jaio's channel on it; null: the JDK's (afc, filechannel). */
    ChannelApiJob(Run run, int index, AioEngine engine) {
        super(run, index, run.options.api().equals(BenchOptions.API_FUTURES)
                ? new Histogram(Run.HIGHEST_LATENCY, 3) : new ConcurrentHistogram(Run.HIGHEST_LATENCY, 3));
        this.o = run.options;
        this.oneThread = o.api().equals(BenchOptions.API_FUTURES);
        this.engine = engine;
        this.picker = new BlockPicker(o.blocks(), o.rw().random, o.seed(), index, index, o.numjobs());
        this.fsyncEvery = o.rw().writes ? o.fsync() : 0;
    }

    @Override
    void setUp() throws Exception {
        OpenOption[] options = ChannelJob.openOptions(o).toArray(OpenOption[]::new);
        if (engine != null) {
            channel = AioFileChannel.open(engine, run.file.path, options);
        } else if (o.api().equals(BenchOptions.API_VTHREADS)) {
            fileChannel = FileChannel.open(run.file.path, options);
        } else {
            channel = AsynchronousFileChannel.open(run.file.path, options);
        }
        slots = new Slot[run.depth];
        for (int s = 0; s < slots.length; s++) {
            // Arena.ofAuto: the buffer jaio hands to the kernel as it is (no staging copy).
            slots[s] = new Slot(Arena.ofAuto().allocate(o.bs(), DataPattern.PAGE));
            if (o.rw().random && o.api().equals(BenchOptions.API_VTHREADS)) {
                // Each virtual thread draws its own offsets: a picker shared under a monitor
                // made hundreds of them wait for each other (blocked on a monitor, a virtual
                // thread leaves its carrier and needs another thread to resume it).
                slots[s].ownPicker = new BlockPicker(o.blocks(), true, o.seed(), (index + 1L) << 32 | s, index,
                        o.numjobs());
            }
        }
    }

    @Override
    void io() throws Exception {
        switch (o.api()) {
            case BenchOptions.API_CHANNEL -> handlers();
            case BenchOptions.API_FUTURES -> futures();
            case BenchOptions.API_VTHREADS -> virtualThreads();
            default -> throw new IllegalStateException("no channel job for --api " + o.api());
        }
    }

    private void handlers() throws InterruptedException {
        outstanding.set(slots.length);
        for (Slot s : slots) {
            s.next(System.nanoTime());
        }
        while (!finished.await(100, TimeUnit.MILLISECONDS)) {
            // Completions end the run themselves; a failure stops them too.
        }
    }

    private void futures() throws Exception {
        long now = System.nanoTime();
        for (Slot s : slots) {
            s.aim(now);
            s.future = s.start();
        }
        int live = slots.length;
        for (int i = 0; live > 0; i = (i + 1) % slots.length) {
            Slot s = slots[i];
            if (s.future == null) {
                continue;
            }
            int n = s.future.get();
            s.future = null;
            if (n < 0) {
                throw new EOFException("the file ended at " + (s.offset + s.bytes.position()));
            }
            if (s.bytes.hasRemaining()) {
                s.future = s.start();
                continue;
            }
            now = s.done();
            if (now >= run.endNanos || run.stopped()) {
                live--;
            } else {
                s.aim(now);
                s.future = s.start();
            }
        }
    }

    private void virtualThreads() throws Exception {
        threadsBefore = Thread.getAllStackTraces().size();
        threadsPeak = threadsBefore;
        outstanding.set(slots.length);
        for (Slot s : slots) {
            Thread.ofVirtual().name("jaio-bench-vthread").start(() -> {
                try {
                    s.blockingLoop();
                } catch (Throwable t) {
                    run.fail(t);
                } finally {
                    slotDone();
                }
            });
        }
        while (!finished.await(20, TimeUnit.MILLISECONDS)) {
            threadsPeak = Math.max(threadsPeak, Thread.getAllStackTraces().size());
        }
    }

    private void slotDone() {
        if (outstanding.decrementAndGet() == 0) {
            finished.countDown();
        }
    }

    /** One outstanding operation and its buffer. */
    private final class Slot implements CompletionHandler<Integer, Void> {
        final MemorySegment buffer;
        final ByteBuffer bytes;
        long offset;
        boolean write;
        long submittedAt;
        Future<Integer> future;
        /** The slot's own offsets (random kinds, virtual threads); null: the job's, shared. */
        BlockPicker ownPicker;

        Slot(MemorySegment buffer) {
            this.buffer = buffer;
            this.bytes = buffer.asByteBuffer();
        }

        /**
         * Picks the next block (and whether to write it) and fills a write's buffer; submitted at
         * {@code now}, the clock the caller just read.
         */
        void aim(long now) {
            if (ownPicker != null) {
                pick(ownPicker);
            } else {
                synchronized (picker) {
                    pick(picker);
                }
            }
            if (write) {
                run.pattern.fill(buffer, offset, o.bs(), run.writeGeneration);
            }
            bytes.clear();
            submittedAt = now;
        }

        private void pick(BlockPicker p) {
            offset = p.next() * o.bs();
            write = o.rw() == BenchOptions.Rw.RANDRW ? p.nextWrites(o.rwmixread()) : o.rw().writes;
        }

        Future<Integer> start() {
            return write ? channel.write(bytes, offset + bytes.position())
                    : channel.read(bytes, offset + bytes.position());
        }

        /** The operation's bytes are all there: check, count; returns now. */
        long done() throws Exception {
            long now = System.nanoTime();
            if (write) {
                run.file.markWritten((int) (offset / o.bs()));
                if (fsyncEvery > 0 && writesSinceFsync.incrementAndGet() % fsyncEvery == 0) {
                    if (channel != null) {
                        channel.force(false);
                    } else {
                        fileChannel.force(false);
                    }
                    fsyncs.increment();
                }
            } else {
                run.checkRead(buffer, offset);
                if (oneThread) {
                    readsCheckedOfOneThread++;
                } else {
                    readsChecked.increment();
                }
            }
            boolean measured = measured(now, submittedAt);
            if (oneThread) {
                iosOfOneThread += measured ? 1 : 0;
                completions.lazySet(++completionsOfOneThread);
            } else {
                if (measured) {
                    ios.increment();
                }
                completions.incrementAndGet();
            }
            return now;
        }

        void next(long now) {
            aim(now);
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
                long now = done();
                if (now >= run.endNanos || run.stopped()) {
                    slotDone();
                } else {
                    next(now);
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

        /** vthreads: blocking operations on this virtual thread until the end of the run. */
        void blockingLoop() throws Exception {
            long now = System.nanoTime();
            while (!run.stopped()) {
                aim(now);
                while (bytes.hasRemaining()) {
                    int n;
                    if (fileChannel != null) {
                        n = write ? fileChannel.write(bytes, offset + bytes.position())
                                : fileChannel.read(bytes, offset + bytes.position());
                    } else {
                        AioFileChannel ch = (AioFileChannel) channel;
                        n = write ? ch.write(bytes, offset + bytes.position()).join()
                                : ch.read(bytes, offset + bytes.position()).join();
                    }
                    if (n < 0) {
                        throw new EOFException("the file ended at " + (offset + bytes.position()));
                    }
                }
                now = done();
                if (now >= run.endNanos) {
                    return;
                }
            }
        }
    }

    @Override
    void tearDown() throws Exception {
        // Never free buffers the channel may still fill: wait for the slots (only after a failure
        // can any be left).
        if (outstanding.get() > 0 && !finished.await(Run.PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
            throw new Run.Failure(run.contender + ": " + outstanding.get() + " operations did not complete within "
                    + Run.PATIENCE.toSeconds() + " s");
        }
        if (o.api().equals(BenchOptions.API_VTHREADS)) {
            System.err.printf("%s --api vthreads, job %d: %d virtual threads, platform threads %d before, peak %d%n",
                    run.contender, index, slots == null ? 0 : slots.length, threadsBefore, threadsPeak);
        }
        if (channel != null) {
            channel.close();
        }
        if (fileChannel != null) {
            fileChannel.close();
        }
    }

    @Override
    long ios() {
        return ios.sum() + iosOfOneThread;
    }

    @Override
    long fsyncs() {
        return fsyncs.sum();
    }

    @Override
    long readsChecked() {
        return readsChecked.sum() + readsCheckedOfOneThread;
    }
}
