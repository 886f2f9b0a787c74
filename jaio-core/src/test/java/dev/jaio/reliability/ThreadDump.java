package dev.jaio.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Every thread's stack, with the locks each holds and waits for and the deadlocks the JVM finds:
 * what a watchdog prints when a test stops making progress.
 *
 * <p>It asks {@code jcmd <pid> Thread.print -l} of the running JDK, which reports Java-level
 * deadlocks as well as stacks. (The tests are compiled into module {@code dev.jaio}, which reads
 * no {@code java.management}; a separate tool needs nothing of the module.) Where jcmd is missing
 * or cannot attach, it falls back to {@link Thread#getAllStackTraces()}.
 */
final class ThreadDump {
    private ThreadDump() {
    }

    /** A full dump of this JVM's threads. */
    static String all() {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(ProcessHandle.current().pid()),
                    "Thread.print", "-l").redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return new String(out, StandardCharsets.UTF_8);
            }
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
        return fromJava();
    }

    /** Stacks as {@link Thread#getAllStackTraces()} has them (no lock owners). */
    static String fromJava() {
        StringBuilder s = new StringBuilder("(jcmd unavailable: stacks without lock information)\n");
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            s.append('"').append(t.getName()).append("\" ").append(t.getState()).append(t.isDaemon() ? " daemon" : "")
                    .append('\n');
            for (StackTraceElement f : e.getValue()) {
                s.append("\tat ").append(f).append('\n');
            }
            s.append('\n');
        }
        return s.toString();
    }
}
