package dev.jaio.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The live progress of {@code jaio bench}: on a terminal one line rewritten in place
 * ({@code \r}) twice a second; otherwise a plain line every two seconds, so that logs stay
 * short; with {@code --json} nothing.
 *
 * <p>Called by the coordinating thread only.
 */
final class Progress {
    enum Mode { TERMINAL, LINES, QUIET }

    private final PrintStream out;
    private final Mode mode;
    private int lastWidth;
    /** The label of the pass {@link #step} reports, and when it last printed. */
    private String stepLabel;
    private long lastStep;

    Progress(PrintStream out, Mode mode) {
        this.out = out;
        this.mode = mode;
    }

    /** The mode for this process: a terminal when the JVM has an interactive console. */
    static Mode detect(boolean json) {
        if (json) {
            return Mode.QUIET;
        }
        java.io.Console c = System.console();
        return c != null && c.isTerminal() ? Mode.TERMINAL : Mode.LINES;
    }

    /** Nanoseconds between two updates. */
    long interval() {
        return mode == Mode.TERMINAL ? TimeUnit.MILLISECONDS.toNanos(500) : TimeUnit.SECONDS.toNanos(2);
    }

    void update(String label, double elapsed, double total, boolean ramping, double iops) {
        if (mode == Mode.QUIET) {
            return;
        }
        String line = String.format(Locale.ROOT, "  %-20s %4.1f/%.1f s  ETA %3.0f s  %s IOPS%s", label, elapsed, total,
                Math.max(0, total - elapsed), Bench.count(Math.round(iops)), ramping ? "  (ramp)" : "");
        if (mode == Mode.TERMINAL) {
            out.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
            lastWidth = line.length();
        } else {
            out.println(line.stripTrailing());
        }
        out.flush();
    }

    /**
     * A long pass over the file ({@code label}, such as "filling the file") has done {@code done}
     * of {@code total} bytes: printed when the pass starts, then at most once per
     * {@link #interval()}, and when it ends.
     */
    void step(String label, long done, long total) {
        if (mode == Mode.QUIET) {
            return;
        }
        long now = System.nanoTime();
        boolean first = !label.equals(stepLabel);
        boolean last = done >= total;
        if (!first && !last && now - lastStep < interval()) {
            return;
        }
        stepLabel = last ? null : label;
        lastStep = now;
        String line = String.format(Locale.ROOT, "  %s: %s of %s (%.0f%%)", label, BenchOptions.bytes(done),
                BenchOptions.bytes(total), total == 0 ? 100.0 : 100.0 * done / total);
        if (mode == Mode.TERMINAL) {
            out.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
            lastWidth = line.length();
            if (last) {
                done();
            }
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** The run ended: clears the line on a terminal. */
    void done() {
        if (mode == Mode.TERMINAL && lastWidth > 0) {
            out.print("\r" + " ".repeat(lastWidth) + "\r");
            out.flush();
            lastWidth = 0;
        }
    }

    /** A line of its own (a skipped engine): clears the progress line first. */
    void note(String line) {
        if (mode == Mode.QUIET) {
            return;
        }
        done();
        out.println(line);
    }
}
