package dev.jaio.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The {@code jaio} command: {@code jaio [COMMAND] [OPTIONS]}. The launcher script
 * {@code ./jaio} finds a JDK 22 or newer, builds this jar when needed and runs it with native
 * access enabled.
 *
 * <p>Exit status: {@link #EXIT_OK} on success, {@link #EXIT_FAILED} when a command ran and
 * failed (after one line on stderr saying why), {@link #EXIT_USAGE} for an unknown command or
 * option (one line on stderr, never a stack trace).
 *
 * <p>Runs on the main thread; {@link #run} is what tests call, without {@code System.exit}.
 */
public final class Main {
    /** Success. */
    static final int EXIT_OK = 0;
    /** A command ran and failed; it said why on stderr. */
    static final int EXIT_FAILED = 1;
    /** The command line was wrong; Main said how on stderr. */
    static final int EXIT_USAGE = 2;

    /** What {@code jaio} without arguments runs: the benchmark with its defaults. */
    static final String DEFAULT_COMMAND = "bench";

    /** Every command, in the order {@code jaio help} lists them. Add new ones here. */
    static final List<Command> COMMANDS = List.of(new Bench(), new Probe(), new Demo());

    /** Set (to anything) to get stack traces of unexpected failures. */
    private static final String DEBUG_VARIABLE = "JAIO_DEBUG";

    private Main() {
    }

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        System.out.flush();
        System.err.flush();
        System.exit(status);
    }

    /** Parses {@code args}, runs the command they name and returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> words = List.of(args);
        String name = words.isEmpty() ? DEFAULT_COMMAND : words.getFirst();
        List<String> rest = words.isEmpty() ? List.of() : words.subList(1, words.size());
        try {
            if (isHelp(name) || name.equals("help")) {
                return help(isHelp(name) ? List.of() : rest, out);
            }
            if (name.equals("--version")) {
                if (!rest.isEmpty()) {
                    throw new UsageException("--version takes no arguments, got '" + rest.getFirst() + "'");
                }
                out.println(version());
                return EXIT_OK;
            }
            if (name.startsWith("-")) {
                throw new UsageException("unknown option '" + name + "' (try 'jaio help')");
            }
            Command command = find(name);
            if (rest.stream().anyMatch(Main::isHelp)) {
                out.println(command.usage());
                return EXIT_OK;
            }
            return runCommand(command, rest, out, err);
        } catch (UsageException e) {
            err.println("jaio: " + e.getMessage());
            return EXIT_USAGE;
        }
    }

    private static int runCommand(Command command, List<String> args, PrintStream out, PrintStream err)
            throws UsageException {
        try {
            return command.run(args, out, err);
        } catch (RuntimeException | Error e) {
            // A bug in jaio or in this command: say what happened in one line, and keep the
            // trace for those who ask.
            err.println("jaio " + command.name() + ": unexpected " + e.getClass().getName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage())
                    + (System.getenv(DEBUG_VARIABLE) == null ? " (set " + DEBUG_VARIABLE + "=1 for the stack trace)" : ""));
            if (System.getenv(DEBUG_VARIABLE) != null) {
                e.printStackTrace(err);
            }
            return EXIT_FAILED;
        }
    }

    private static int help(List<String> args, PrintStream out) throws UsageException {
        if (args.size() > 1) {
            throw new UsageException("help takes at most one command name, got " + args.size() + " words");
        }
        if (args.size() == 1 && !isHelp(args.getFirst()) && !args.getFirst().equals("help")) {
            out.println(find(args.getFirst()).usage());
            return EXIT_OK;
        }
        out.println("jaio: POSIX asynchronous file I/O (aio_*, lio_listio) for the JVM, through the FFM API.");
        out.println();
        out.println("usage: jaio [COMMAND] [OPTIONS]");
        out.println();
        out.println("commands:");
        int width = COMMANDS.stream().mapToInt(c -> c.name().length()).max().orElse(4);
        width = Math.max(width, "help".length());
        for (Command c : COMMANDS) {
            out.printf("  %-" + width + "s  %s%s%n", c.name(), c.summary(),
                    c.name().equals(DEFAULT_COMMAND) ? " (the default)" : "");
        }
        out.printf("  %-" + width + "s  %s%n", "help", "this text; 'jaio help COMMAND' tells more about one");
        out.println();
        out.println("jaio --version says which jaio, Java and kernel run here.");
        return EXIT_OK;
    }

    /**
     * {@code jaio --version}: this command's version and the library's (from their jars'
     * {@code Implementation-Version}; "unknown" when run from class folders), then the Java
     * runtime and the kernel, all of which decide what jaio can do here.
     */
    static String version() {
        String cli = versionOf(Main.class);
        String library = versionOf(dev.jaio.AioEngine.class);
        return "jaio " + cli + (library.equals(cli) ? "" : " (library dev.jaio:jaio " + library + ")") + System.lineSeparator()
                + "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ") at "
                + System.getProperty("java.home") + System.lineSeparator()
                + System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch");
    }

    private static String versionOf(Class<?> c) {
        String v = c.getPackage().getImplementationVersion();
        return v == null ? "(version unknown: not run from a jar)" : v;
    }

    private static Command find(String name) throws UsageException {
        for (Command c : COMMANDS) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        throw new UsageException("unknown command '" + name + "' (commands: " + names() + ")");
    }

    private static String names() {
        return COMMANDS.stream().map(Command::name).collect(Collectors.joining(", ")) + ", help";
    }

    private static boolean isHelp(String word) {
        return Arrays.asList("--help", "-h", "-help", "-?").contains(word);
    }
}
