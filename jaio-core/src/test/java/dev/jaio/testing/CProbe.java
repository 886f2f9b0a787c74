package dev.jaio.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Asks the C compiler what the platform's headers say, so that tests can hold jaio's Java
 * constants and struct layouts against the real {@code <aio.h>}, {@code <signal.h>},
 * {@code <linux/io_uring.h>} and friends instead of against numbers copied by hand.
 *
 * <p>A probe is a small C program that prints one {@code key value} line per fact. CProbe writes
 * it to a fresh temporary directory, compiles it with {@code gcc -O0 -o probe probe.c} (or, for
 * another {@link CTarget}, with that target's cross compiler or {@code musl-gcc}), runs it
 * (under qemu-user for another architecture), and hands back the lines. Binaries are cached in
 * {@code target/cprobe/}, keyed by the preprocessed source, so each probe compiles once per
 * set of headers. {@link #header(String...)} starts such a program: it includes the
 * given headers and defines printing macros, so a layout test reads like the C struct it checks:
 *
 * {@snippet :
 * Map<String, Long> c = CProbe.run(CProbe.header("aio.h") + """
 *     int main(void) {
 *         SIZE(struct aiocb);
 *         OFF(struct aiocb, aio_fildes);
 *         OFF(struct aiocb, aio_sigevent.sigev_notify);
 *         FSIZE(struct aiocb, aio_offset);
 *         CONST(AIO_CANCELED);
 *         return 0;
 *     }
 *     """);
 * // AIOCB: the Java MemoryLayout under test
 * assertEquals(AIOCB.byteSize(), c.get("sizeof.struct aiocb"));
 * assertEquals(AIOCB.byteOffset(groupElement("aio_fildes")), c.get("offsetof.struct aiocb.aio_fildes"));
 * assertEquals(0L, c.get("const.AIO_CANCELED"));
 * }
 *
 * <p>The keys spell the C expression exactly as the macro argument was written (the preprocessor
 * collapses runs of white space to one space), so {@code SIZE(struct aiocb)} gives
 * {@code sizeof.struct aiocb}. {@link #run} therefore splits each line at its <em>last</em>
 * space: keys may contain spaces, values may not.
 *
 * <p>Missing tools for the machine's own target are failures, never skips: a layout test that
 * silently does nothing would let a wrong offset ship. Without gcc every probe fails with a
 * message that says to install it ({@code apt-get install gcc} on Debian and Ubuntu). The other
 * targets skip with the packages to install ({@link CTarget#assumeTools()}).
 *
 * <p>Thread safety: every call works in its own temporary directory, so tests running in
 * parallel may probe at the same time.
 */
public final class CProbe {

    /** Seconds a compile may take before the probe gives up; gcc needs well under one. */
    private static final long COMPILE_TIMEOUT_SECONDS = 120;

    /** Seconds a probe program may run; it only prints, so more than this means it hangs. */
    private static final long RUN_TIMEOUT_SECONDS = 60;

    /**
     * Printing macros of {@link #header}. The casts make every value print with one format
     * whatever its C type: {@code size_t} for sizes and offsets, {@code long long} for
     * constants, which is exactly Java's {@code long} (an unsigned 64-bit constant above
     * {@code Long.MAX_VALUE} keeps its bit pattern, as it would in a Java {@code long}).
     */
    private static final String MACROS = """
            /* CProbe printing macros: one "key value" line per fact. */
            #define SIZE(type) \\
                printf("sizeof.%s %zu\\n", #type, (size_t) sizeof(type))
            #define ALIGN(type) \\
                printf("alignof.%s %zu\\n", #type, (size_t) _Alignof(type))
            #define OFF(type, field) \\
                printf("offsetof.%s.%s %zu\\n", #type, #field, (size_t) offsetof(type, field))
            #define FSIZE(type, field) \\
                printf("fieldsize.%s.%s %zu\\n", #type, #field, (size_t) sizeof(((type *) 0)->field))
            #define CONST(name) \\
                printf("const.%s %lld\\n", #name, (long long) (name))
            """;

    private CProbe() {
    }

    /**
     * Starts a probe program: {@code #define _GNU_SOURCE} (so that glibc shows every Linux
     * extension, as jaio's engines see them), {@code <stddef.h>}, {@code <stdio.h>}, the given
     * headers, then the macros below. Append {@code int main(void) { ... }}.
     *
     * <ul>
     *   <li>{@code SIZE(type)} prints {@code sizeof.<type> N}</li>
     *   <li>{@code ALIGN(type)} prints {@code alignof.<type> N}</li>
     *   <li>{@code OFF(type, field)} prints {@code offsetof.<type>.<field> N}; {@code field}
     *       may be a path such as {@code aio_sigevent.sigev_notify}</li>
     *   <li>{@code FSIZE(type, field)} prints {@code fieldsize.<type>.<field> N}</li>
     *   <li>{@code CONST(name)} prints {@code const.<name> N} for any integer constant or
     *       expression</li>
     * </ul>
     *
     * @param includes header names, either bare ({@code "aio.h"}, {@code "linux/io_uring.h"},
     *                 included with angle brackets) or already bracketed or quoted
     * @return C source text ending with a newline
     */
    public static String header(String... includes) {
        return includeLines(includes) + MACROS;
    }

    /**
     * Compiles and runs {@code cSource} for the machine's own target ({@link CTarget#ofHost()}),
     * then parses each output line as {@code key value}, with a decimal {@code long} value after
     * the line's last space.
     *
     * @param cSource a complete C program, usually {@link #header} plus {@code main}
     * @return the values by key, in the order the program printed them
     * @throws org.opentest4j.AssertionFailedError (through {@code fail}) when gcc is missing,
     *         the program does not compile or exits non-zero, or a line is not {@code key number},
     *         or a key repeats; the message carries the source and the tool's output
     */
    public static Map<String, Long> run(String cSource) {
        return run(CTarget.ofHost(), cSource);
    }

    /**
     * Like {@link #run(String)}, for {@code target}: built with its compiler, run under its
     * emulator. A target whose tools are missing skips the calling test with the reason
     * ({@link CTarget#assumeTools()}).
     *
     * @param target  the C library and architecture to build for
     * @param cSource a complete C program
     * @return the values by key, in the order the program printed them
     */
    public static Map<String, Long> run(CTarget target, String cSource) {
        Map<String, Long> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : runText(target, cSource, true).entrySet()) {
            try {
                values.put(e.getKey(), Long.parseLong(e.getValue()));
            } catch (NumberFormatException notANumber) {
                fail("C probe printed a non-numeric value for '" + e.getKey() + "': '"
                        + e.getValue() + "'. Use CProbe.runText or runLines for text output.\n"
                        + "--- probe.c ---\n" + numbered(cSource));
            }
        }
        return Collections.unmodifiableMap(values);
    }

    /**
     * Like {@link #run} for text values: each line is a key (up to the <em>first</em> space,
     * so keys may not contain spaces here) and the rest of the line as its value, which may hold
     * spaces, as {@code strerror} texts do.
     *
     * @param cSource a complete C program
     * @return the values by key, in the order printed
     */
    public static Map<String, String> runText(String cSource) {
        return runText(CTarget.ofHost(), cSource);
    }

    /**
     * {@link #runText(String)} for {@code target}.
     *
     * @param target  the C library and architecture to build for
     * @param cSource a complete C program
     * @return the values by key, in the order printed
     */
    public static Map<String, String> runText(CTarget target, String cSource) {
        return runText(target, cSource, false);
    }

    /**
     * Compiles and runs {@code cSource} and returns its standard output as lines, for probes
     * whose output {@link #run} and {@link #runText} do not fit.
     *
     * @param cSource a complete C program
     * @return the program's output lines (standard error is only reported on failure)
     */
    public static List<String> runLines(String cSource) {
        return runLines(CTarget.ofHost(), cSource);
    }

    /**
     * {@link #runLines(String)} for {@code target}. The binary is cached in {@code target/cprobe/}
     * under a hash of the compiler command and the <em>preprocessed</em> source, so a second run
     * of the same probe against the same headers only runs it, while a changed header compiles
     * afresh.
     *
     * @param target  the C library and architecture to build for
     * @param cSource a complete C program
     * @return the program's output lines
     */
    public static List<String> runLines(CTarget target, String cSource) {
        target.assumeTools();
        Path dir = createTempDir();
        try {
            Path binary = compiled(target, cSource, dir);
            List<String> command = new ArrayList<>(target.runner());
            command.add(binary.toString());
            Result probe = exec(dir, RUN_TIMEOUT_SECONDS, command.toArray(String[]::new));
            if (probe.exitCode != 0) {
                fail("C probe for " + target + " exited with " + probe.exitCode + ":\n" + probe.output()
                        + "\n--- probe.c ---\n" + numbered(cSource));
            }
            return probe.stdout.lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("C probe: cannot use temporary directory " + dir, e);
        } finally {
            deleteRecursively(dir);
        }
    }

    /**
     * The probe binary for {@code cSource}: from the cache when one was built from the same
     * preprocessed text with the same command, else compiled in {@code work} and moved into the
     * cache (or used from {@code work} when there is no {@code target/} directory to cache in).
     */
    private static Path compiled(CTarget target, String cSource, Path work) throws IOException {
        Path source = work.resolve("probe.c");
        Files.writeString(source, cSource, StandardCharsets.UTF_8);
        List<String> compiler = target.compiler();
        List<String> preprocess = new ArrayList<>(compiler);
        preprocess.addAll(List.of("-E", "probe.c"));
        Result pre = exec(work, COMPILE_TIMEOUT_SECONDS, preprocess.toArray(String[]::new));
        if (pre.exitCode != 0) {
            fail("C probe does not compile for " + target + " (" + compiler.getFirst() + " -E exit " + pre.exitCode
                    + ")" + missingHeaderHint(target, pre.stderr) + ":\n" + pre.output()
                    + "\n--- probe.c ---\n" + numbered(cSource));
        }
        Path cacheRoot = cacheRoot();
        Path cached = cacheRoot == null ? null
                : cacheRoot.resolve(target.name().toLowerCase(java.util.Locale.ROOT) + "-"
                        + sha256(String.join(" ", compiler) + "\n" + pre.stdout));
        if (cached != null && Files.isExecutable(cached.resolve("probe"))) {
            return cached.resolve("probe");
        }
        List<String> compile = new ArrayList<>(compiler);
        compile.addAll(List.of("-o", "probe", "probe.c"));
        Result built = exec(work, COMPILE_TIMEOUT_SECONDS, compile.toArray(String[]::new));
        if (built.exitCode != 0) {
            fail("C probe does not compile for " + target + " (" + compiler.getFirst() + " exit " + built.exitCode
                    + ")" + missingHeaderHint(target, built.stderr) + ":\n" + built.output()
                    + "\n--- probe.c ---\n" + numbered(cSource));
        }
        if (cached == null) {
            return work.resolve("probe");
        }
        // Built aside, then renamed into place: a parallel test sees a whole binary or none.
        Path staging = Files.createTempDirectory(cacheRoot, "building-");
        Files.move(work.resolve("probe"), staging.resolve("probe"));
        Files.copy(source, staging.resolve("probe.c"));
        try {
            Files.move(staging, cached, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException raced) {
            // Another test cached the same probe first; theirs is as good as ours.
            deleteRecursively(staging);
        }
        return cached.resolve("probe");
    }

    /** {@code target/cprobe} of the module under test (Maven runs tests there), or null if absent. */
    private static Path cacheRoot() throws IOException {
        Path build = Path.of("target").toAbsolutePath();
        if (!Files.isDirectory(build)) {
            return null;
        }
        return Files.createDirectories(build.resolve("cprobe"));
    }

    private static String sha256(String text) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d, 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * The object-like macros that the given headers define, as {@code gcc -E -dM} lists them
     * (after {@code #define _GNU_SOURCE}, like {@link #header}). This is how a test enumerates
     * "every {@code E*} macro of {@code <errno.h>}": C itself cannot list its macros.
     * Function-like macros are left out; the replacement text is the raw token text, so
     * {@code EWOULDBLOCK} maps to {@code "EAGAIN"} and {@code EPERM} to {@code "1"}.
     *
     * @param includes header names as for {@link #header}
     * @return replacement text by macro name, sorted by name
     */
    public static Map<String, String> macros(String... includes) {
        return macros(CTarget.ofHost(), includes);
    }

    /**
     * {@link #macros(String...)} as {@code target}'s compiler sees the headers.
     *
     * @param target   the C library and architecture whose headers to read
     * @param includes header names as for {@link #header}
     * @return replacement text by macro name, sorted by name
     */
    public static Map<String, String> macros(CTarget target, String... includes) {
        target.assumeTools();
        Path dir = createTempDir();
        try {
            String cSource = includeLines(includes);
            Files.writeString(dir.resolve("probe.c"), cSource, StandardCharsets.UTF_8);
            List<String> command = new ArrayList<>(target.compiler());
            command.addAll(List.of("-E", "-dM", "probe.c"));
            Result pre = exec(dir, COMPILE_TIMEOUT_SECONDS, command.toArray(String[]::new));
            if (pre.exitCode != 0) {
                fail(command.getFirst() + " -E -dM failed for " + target + " (exit " + pre.exitCode + ")"
                        + missingHeaderHint(target, pre.stderr) + ":\n" + pre.output()
                        + "\n--- probe.c ---\n" + numbered(cSource));
            }
            // "#define NAME text": a '(' right after the name would make it function-like.
            Pattern define = Pattern.compile("#define ([A-Za-z_][A-Za-z0-9_]*)(?: (.*))?");
            Map<String, String> macros = new TreeMap<>();
            for (String line : pre.stdout.lines().toList()) {
                Matcher m = define.matcher(line);
                if (m.matches()) {
                    macros.put(m.group(1), m.group(2) == null ? "" : m.group(2).strip());
                }
            }
            return Collections.unmodifiableMap(macros);
        } catch (IOException e) {
            throw new UncheckedIOException("C probe: cannot use temporary directory " + dir, e);
        } finally {
            deleteRecursively(dir);
        }
    }

    /**
     * Quotes {@code s} as a C string literal (backslashes, quotes, control characters escaped),
     * for probes that print Java-chosen keys.
     *
     * @param s any text
     * @return the literal, with its surrounding double quotes
     */
    public static String cString(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (byte by : s.getBytes(StandardCharsets.UTF_8)) {
            int ch = by & 0xff;
            if (ch == '"' || ch == '\\') {
                b.append('\\').append((char) ch);
            } else if (ch < 0x20 || ch > 0x7e) {
                // Octal escapes end after three digits, unlike \x, which swallows any hex digit
                // that follows; UTF-8 bytes are escaped one by one so C sees the same bytes.
                b.append(String.format("\\%03o", ch));
            } else {
                b.append((char) ch);
            }
        }
        return b.append('"').toString();
    }

    private static Map<String, String> runText(CTarget target, String cSource, boolean splitAtLastSpace) {
        List<String> lines = runLines(target, cSource);
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            int space = splitAtLastSpace ? line.lastIndexOf(' ') : line.indexOf(' ');
            if (space <= 0) {
                fail("C probe printed a line that is not 'key value': '" + line + "'\n"
                        + "--- output ---\n" + String.join("\n", lines)
                        + "\n--- probe.c ---\n" + numbered(cSource));
            }
            String key = line.substring(0, space);
            String previous = values.put(key, line.substring(space + 1));
            if (previous != null) {
                fail("C probe printed key '" + key + "' twice\n" + numbered(cSource));
            }
        }
        return values;
    }

    private static String includeLines(String... includes) {
        StringBuilder b = new StringBuilder();
        // Before any header: glibc decides what to declare when its first header is read.
        b.append("#define _GNU_SOURCE\n");
        b.append("#include <stddef.h>\n");
        b.append("#include <stdio.h>\n");
        for (String include : includes) {
            String name = include.strip();
            boolean bracketed = name.startsWith("<") || name.startsWith("\"");
            b.append("#include ").append(bracketed ? name : "<" + name + ">").append('\n');
        }
        return b.toString();
    }

    private record Result(int exitCode, String stdout, String stderr) {
        String output() {
            return (stdout.isEmpty() ? "" : "--- stdout ---\n" + stdout)
                    + (stderr.isEmpty() ? "" : "--- stderr ---\n" + stderr);
        }
    }

    private static Result exec(Path dir, long timeoutSeconds, String... command) throws IOException {
        // Output goes to files, not pipes: a pipe read on this thread could block past the
        // timeout, and an unread pipe can fill and stall the child.
        Path out = dir.resolve("out-" + System.nanoTime() + ".txt");
        Path err = dir.resolve("err-" + System.nanoTime() + ".txt");
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        // The C locale keeps strerror texts and compiler messages in English whatever the host.
        pb.environment().put("LC_ALL", "C");
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            if (command[0].endsWith("gcc")) {
                fail("gcc was not found on the PATH (" + e.getMessage() + "). jaio's layout and "
                        + "constant tests compile small C programs against this platform's headers "
                        + "and refuse to pass without them. Install a C compiler: "
                        + "'apt-get install gcc' on Debian or Ubuntu ('dnf install gcc' on Fedora, "
                        + "'apk add gcc musl-dev' on Alpine).");
            }
            throw e;
        }
        try {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                fail(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            fail("interrupted while waiting for " + String.join(" ", command));
        }
        return new Result(process.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    private static Path createTempDir() {
        try {
            return Files.createTempDirectory("jaio-cprobe-");
        } catch (IOException e) {
            throw new UncheckedIOException("C probe: cannot create a temporary directory", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(paths.toList());
            all.sort(Comparator.reverseOrder()); // children before their directory
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // A leftover temporary directory must not turn a passing test into a failure.
            System.err.println("CProbe: could not delete " + dir + ": " + e);
        }
    }

    /**
     * gcc without the C library's development headers fails with "fatal error: stdio.h: No such
     * file or directory"; say which packages provide them rather than leave a riddle.
     */
    private static String missingHeaderHint(CTarget target, String gccErrors) {
        if (!gccErrors.contains("fatal error:") || !gccErrors.contains("No such file or directory")) {
            return "";
        }
        if (target.library() == dev.jaio.internal.ffi.CLibrary.MUSL) {
            return " because a header is missing; musl-gcc sees musl's headers only, not the kernel's (<linux/...>)";
        }
        return target.isHost()
                ? " because a header is missing; on Debian or Ubuntu, libc6-dev provides the C library's"
                        + " headers and linux-libc-dev the kernel's (linux/io_uring.h)"
                : " because a header is missing; on Debian, libc6-dev-" + target.architecture().debianName()
                        + "-cross provides the C library's headers and linux-libc-dev-"
                        + target.architecture().debianName() + "-cross the kernel's";
    }

    private static String numbered(String source) {
        StringBuilder b = new StringBuilder();
        List<String> lines = source.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            b.append(String.format("%4d  %s%n", i + 1, lines.get(i)));
        }
        return b.toString();
    }
}
