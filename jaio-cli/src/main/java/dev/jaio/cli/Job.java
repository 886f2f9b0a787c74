package dev.jaio.cli;

import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * One job of a {@link Run} ({@code --numjobs} of them, one thread each, like fio's): sets up
 * its own file descriptor and buffers, waits for the common start, then does I/O until the end of
 * the run, measuring each operation's completion latency (from its submission to the moment the
 * job sees it complete) into its own histogram.
 *
 * <p>Runs on its own thread; the coordinator reads {@link #completions} while it runs (for the
 * progress line) and everything else after joining it.
 */
abstract class Job implements Runnable {
    final Run run;
    final int index;
    final Histogram latency;
    /** Every completion so far, ramp included; for the progress line. */
    final AtomicLong completions = new AtomicLong();

    Job(Run run, int index, Histogram latency) {
        this.run = run;
        this.index = index;
        this.latency = latency;
    }

    @Override
    public final void run() {
        try {
            try {
                setUp();
            } catch (Throwable t) {
                run.setUpFailed(t);
                return;
            }
            run.awaitStart();
            if (!run.stopped()) {
                io();
            }
        } catch (Throwable t) {
            run.fail(t);
        } finally {
            try {
                tearDown();
            } catch (Throwable t) {
                run.fail(t);
            }
        }
    }

    /** Opens the file, allocates buffers and control blocks. */
    abstract void setUp() throws Exception;

    /** The I/O loop, until {@link Run#endNanos} or {@link Run#stopped()}; leaves nothing in flight. */
    abstract void io() throws Exception;

    /** Frees what {@link #setUp} made (also after a failed or partial set-up). */
    abstract void tearDown() throws Exception;

    /** Operations completed within the measured window. */
    abstract long ios();

    /** Fsyncs completed. */
    abstract long fsyncs();

    /** Reads whose bytes were checked. */
    abstract long readsChecked();

    /** Records one latency if {@code now} is in the measured window; returns whether it was. */
    final boolean measured(long now, long submitted) {
        if (now >= run.rampEndNanos && now < run.endNanos) {
            latency.recordValue(Math.min(Math.max(0, now - submitted), Run.HIGHEST_LATENCY));
            return true;
        }
        return false;
    }
}
