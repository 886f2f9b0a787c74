package dev.jaio.reliability;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a main class of the test class path in a fresh JVM, so that a crash (a SIGSEGV in native
 * code, an abort in libc) is seen as what it is: a child that died, an {@code hs_err_pid*.log} in
 * its working directory. The child gets the JDK of the running tests ({@code java.home}), their
 * class path, native access, and its own working directory; its output is echoed line by line
 * with a prefix and kept for the verdict.
 *
 * <p>Thread-safe: each call starts its own process.
 */
final class ChildJvm {
    /** What a child did: its exit status, everything it printed, and the crash logs it left. */
    record Outcome(int exitCode, String output, List<Path> crashLogs, Duration elapsed, boolean timedOut) {
        /** Exit 0, in time, and no {@code hs_err_pid*.log}. */
        boolean clean() {
            return exitCode == 0 && !timedOut && crashLogs.isEmpty();
        }

        /** The lines that start with {@code prefix}, without it. */
        List<String> linesStartingWith(String prefix) {
            return output.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).toList();
        }

        String describe() {
            return "exit " + exitCode + (timedOut ? " (killed after the timeout)" : "") + ", "
                    + (crashLogs.isEmpty() ? "no hs_err file" : "crash logs " + crashLogs) + ", "
                    + elapsed.toMillis() + " ms";
        }
    }

    private ChildJvm() {
    }

    /**
     * The class path of the running tests. Surefire starts its JVM with a manifest-only jar and
     * names the real class path in {@code surefire.test.class.path}; an IDE puts it in
     * {@code java.class.path}.
     */
    static String testClassPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    /**
     * Runs {@code mainClass} with {@code args} in a child JVM whose working directory is
     * {@code workDir}; kills it after {@code timeout}.
     *
     * @param jvmOptions extra JVM options (heap size, NMT, system properties)
     */
    static Outcome run(Class<?> mainClass, List<String> jvmOptions, List<String> args, Path workDir,
                       Duration timeout, String echoPrefix) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-XX:ErrorFile=" + workDir.toAbsolutePath().resolve("hs_err_pid%p.log"));
        command.add("-XX:-CreateCoredumpOnCrash");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(testClassPath());
        command.add(mainClass.getName());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        long start = System.nanoTime();
        Process p = pb.start();
        StringBuilder out = new StringBuilder();
        Thread pump = Thread.ofPlatform().daemon().name("child-output-" + p.pid()).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (out) {
                        out.append(line).append('\n');
                    }
                    System.out.println(echoPrefix + line);
                }
            } catch (IOException e) {
                synchronized (out) {
                    out.append("[reading the child's output failed: ").append(e).append("]\n");
                }
            }
        });
        boolean finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!finished) {
            // Ask for a thread dump first (SIGQUIT prints one to the child's stdout), then kill.
            new ProcessBuilder("kill", "-QUIT", Long.toString(p.pid())).start().waitFor(5, TimeUnit.SECONDS);
            Thread.sleep(1000);
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        pump.join(TimeUnit.SECONDS.toMillis(10));
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        List<Path> crashLogs;
        try (Stream<Path> files = Files.list(workDir)) {
            crashLogs = files.filter(f -> f.getFileName().toString().startsWith("hs_err_pid")).toList();
        }
        keep(crashLogs);
        String output;
        synchronized (out) {
            output = out.toString();
        }
        return new Outcome(finished ? p.exitValue() : -1, output, crashLogs, elapsed, !finished);
    }

    /**
     * Copies crash logs to {@code target/crash-logs} (or {@code jaio.crash.logs}), because the
     * test's temporary directory, where the child wrote them, is deleted after the test.
     */
    private static void keep(List<Path> crashLogs) {
        if (crashLogs.isEmpty()) {
            return;
        }
        Path keep = Path.of(System.getProperty("jaio.crash.logs", "target/crash-logs"));
        try {
            Files.createDirectories(keep);
            for (Path log : crashLogs) {
                Path copy = keep.resolve(log.getFileName());
                Files.copy(log, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                System.out.println("crash log kept as " + copy.toAbsolutePath());
            }
        } catch (IOException e) {
            System.out.println("could not keep the crash logs " + crashLogs + ": " + e);
        }
    }
}
