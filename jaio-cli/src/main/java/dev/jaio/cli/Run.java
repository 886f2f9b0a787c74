package dev.jaio.cli;

import dev.jaio.AioEngine;
import dev.jaio.AioException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * One measured run: one contender (a jaio engine or a JDK baseline) at one depth, with
 * {@code --numjobs} job threads over the {@link BenchFile}. {@link #execute} opens the engine,
 * starts the jobs, lets them set up, starts the clock for all at once, samples the process's CPU
 * time at the end of the ramp and at the end, shows progress, stops and joins the jobs, closes the
 * engine and, after a run that wrote, reads the file back to check the writes.
 *
 * <p>The coordinating thread calls {@link #execute} once; the jobs read the fields set before
 * they are released ({@link #go}) and report a failure with {@link #fail} from any thread.
 */
final class Run {
    /** Latencies above this (ns) are recorded as this; 10 minutes is beyond any sane run. */
    static final long HIGHEST_LATENCY = TimeUnit.MINUTES.toNanos(10);
    /** How long a job waits for one completion before it calls the engine stalled. */
    static final java.time.Duration PATIENCE = java.time.Duration.ofSeconds(30);
    private static final long TICK = TimeUnit.MILLISECONDS.toNanos(100);

    final String contender;
    final BenchOptions options;
    final int depth;
    final int batch;
    final BenchFile file;
    final DataPattern pattern;
    final Bench.ReadTamper tamper;
    /** The generation this run writes, or -1 when it does not write. */
    final int writeGeneration;

    /** Set before {@link #go} opens. */
    long startNanos;
    long rampEndNanos;
    long endNanos;

    private final CountDownLatch ready;
    private final CountDownLatch go = new CountDownLatch(1);
    private volatile boolean stop;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    Run(String contender, BenchOptions options, int depth, BenchFile file, Bench.ReadTamper tamper) {
        this.contender = contender;
        this.options = options;
        this.depth = depth;
        this.batch = options.batchAt(depth);
        this.file = file;
        this.pattern = file.pattern;
        this.tamper = tamper;
        this.writeGeneration = options.rw().writes ? file.newGeneration() : -1;
        this.ready = new CountDownLatch(options.numjobs());
    }

    /** What one run measured. */
    record Result(String contender, int depth, int batch, long ios, long bytes, double seconds, Histogram latency,
                  double cpuCores, long fsyncs, long readsChecked, long blocksWritten) {
        double iops() {
            return ios / seconds;
        }

        double mibPerSecond() {
            return bytes / seconds / (1 << 20);
        }

        /** A percentile of the completion latency, in microseconds. */
        double latencyMicros(double percentile) {
            return latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(percentile) / 1000.0;
        }

        double maxLatencyMicros() {
            return latency.getTotalCount() == 0 ? 0 : latency.getMaxValue() / 1000.0;
        }
    }

    /** The run failed: an engine error, or the data check. The message is the whole story, one line. */
    static final class Failure extends Exception {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Runs it.
     *
     * @throws UnsupportedOperationException or {@link IllegalCallerException} when the engine
     *         cannot open here (before anything ran)
     * @throws Failure when the run failed
     */
    Result execute(Progress progress) throws Failure, IOException {
        return execute(progress, label());
    }

    /** {@link #execute(Progress)}, its progress line named {@code label}. */
    Result execute(Progress progress, String label) throws Failure, IOException {
        boolean jaio = !BenchOptions.BASELINES.contains(contender);
        AioEngine engine = jaio
                ? AioEngine.open(contender, options.ring().engineOptions(options.numjobs(), depth, options.bs()))
                : null;
        Job[] jobs = new Job[options.numjobs()];
        Thread[] threads = new Thread[jobs.length];
        double cpuCores;
        try {
            for (int i = 0; i < jobs.length; i++) {
                jobs[i] = switch (contender) {
                    case BenchOptions.FILECHANNEL -> options.api().equals(BenchOptions.API_VTHREADS)
                            ? new ChannelApiJob(this, i, null) : new ChannelJob(this, i);
                    case BenchOptions.AFC -> options.api().equals(BenchOptions.API_FUTURES)
                            ? new ChannelApiJob(this, i, null) : new AsyncChannelJob(this, i);
                    default -> options.api().equals(BenchOptions.API_LISTS) ? new JaioJob(this, i, engine)
                            : new ChannelApiJob(this, i, engine);
                };
                threads[i] = Thread.ofPlatform().name("jaio-bench-" + contender + "-" + i).daemon().unstarted(jobs[i]);
            }
            for (Thread t : threads) {
                t.start();
            }
            awaitUninterruptibly(ready);
            startNanos = System.nanoTime();
            rampEndNanos = startNanos + options.rampNanos();
            endNanos = rampEndNanos + options.runtimeNanos();
            go.countDown();
            cpuCores = coordinate(jobs, progress, label);
            for (Thread t : threads) {
                join(t);
            }
        } finally {
            stop = true;
            go.countDown();
            if (engine != null) {
                for (Thread t : threads) {
                    if (t != null && t.isAlive()) {
                        join(t);
                    }
                }
                engine.close();
            }
        }
        Throwable why = failure.get();
        if (why != null) {
            throw new Failure(describe(why));
        }
        long written = 0;
        if (writeGeneration >= 0) {
            try {
                written = file.checkWrites(contender,
                        (done, total) -> progress.step("reading the file back after " + label, done, total));
            } catch (BenchFile.DataCheckFailure e) {
                throw new Failure(e.getMessage());
            }
        }
        Histogram merged = new Histogram(HIGHEST_LATENCY, 3);
        long ios = 0, bytes = 0, fsyncs = 0, checked = 0;
        for (Job j : jobs) {
            merged.add(j.latency);
            ios += j.ios();
            bytes += j.ios() * options.bs();
            fsyncs += j.fsyncs();
            checked += j.readsChecked();
        }
        return new Result(contender, depth, batch, ios, bytes, options.runtimeNanos() / 1e9, merged, cpuCores,
                fsyncs, checked, written);
    }

    /** Sleeps through the run: CPU time at the end of the ramp and at the end, progress between. */
    private double coordinate(Job[] jobs, Progress progress, String label) {
        com.sun.management.OperatingSystemMXBean os = ManagementFactory
                .getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class);
        long cpu0 = -1, wall0 = 0;
        long lastCount = 0, lastTime = startNanos;
        long nextReport = startNanos + progress.interval();
        while (!stop) {
            long now = System.nanoTime();
            if (cpu0 < 0 && now >= rampEndNanos) {
                cpu0 = os.getProcessCpuTime();
                wall0 = System.nanoTime();
            }
            if (now >= endNanos) {
                long cpu1 = os.getProcessCpuTime();
                long wall1 = System.nanoTime();
                progress.done();
                return cpu0 < 0 || cpu1 < 0 ? Double.NaN : (cpu1 - cpu0) / (double) (wall1 - wall0);
            }
            if (now >= nextReport) {
                long count = 0;
                for (Job j : jobs) {
                    count += j.completions.get();
                }
                progress.update(label, (now - startNanos) / 1e9, (endNanos - startNanos) / 1e9,
                        now < rampEndNanos, (count - lastCount) / ((now - lastTime) / 1e9));
                lastCount = count;
                lastTime = now;
                nextReport = now + progress.interval();
            }
            long wake = Math.min(now + TICK, cpu0 < 0 ? rampEndNanos : endNanos);
            parkUntil(Math.min(wake, endNanos));
        }
        progress.done();
        return Double.NaN;
    }

    /** How the progress line names this run. */
    String label() {
        return options.compare() ? contender + " depth " + depth : contender;
    }

    private static void parkUntil(long deadline) {
        long left = deadline - System.nanoTime();
        if (left > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(left);
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void join(Thread t) {
        try {
            t.join(PATIENCE.toMillis() * 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            fail(new Failure(t.getName() + " did not stop within " + PATIENCE.toSeconds() * 2 + " s after the end"
                    + " of the run (an operation that never completes?)"));
        }
    }

    // ------------------------------------------------------------------ called by the jobs

    /** A job is set up and waits for the start. */
    void awaitStart() throws InterruptedException {
        ready.countDown();
        go.await();
    }

    /** A job failed to set up: counts it as ready, so that the coordinator does not wait for it. */
    void setUpFailed(Throwable why) {
        fail(why);
        ready.countDown();
    }

    /** Whether the jobs must stop early (a job failed). */
    boolean stopped() {
        return stop;
    }

    /** Records the first failure and stops every job. Any thread. */
    void fail(Throwable why) {
        failure.compareAndSet(null, why);
        stop = true;
    }

    /**
     * Checks the bytes of a completed read of a whole block at {@code offset} against the
     * pattern; the run's writes may have replaced the block's generation.
     */
    void checkRead(MemorySegment buf, long offset) throws Failure {
        if (tamper != null) {
            tamper.afterRead(contender, buf, offset);
        }
        int gen = file.generation((int) (offset / options.bs()));
        int other = writeGeneration < 0 ? gen : writeGeneration;
        long bad = pattern.firstMismatch(buf, offset, options.bs(), gen, other);
        if (bad >= 0) {
            throw new Failure("data check failed: " + contender + " read wrong bytes at offset " + bad
                    + " (in the read of " + options.bs() + " bytes at offset " + offset + "): "
                    + pattern.describeMismatch(buf, bad - offset, bad, gen, other));
        }
    }

    private String describe(Throwable why) {
        if (why instanceof Failure f) {
            return f.getMessage();
        }
        if (why instanceof AioException e) {
            return contender + " failed: " + e.getMessage();
        }
        if (why instanceof IOException e) {
            return contender + " failed: " + e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        return contender + " failed: unexpected " + why.getClass().getName()
                + (why.getMessage() == null ? "" : ": " + why.getMessage());
    }

    /** The first failure, for a debugging stack trace. */
    Throwable failureCause() {
        return failure.get();
    }
}
