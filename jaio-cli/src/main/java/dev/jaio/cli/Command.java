package dev.jaio.cli;

import java.io.PrintStream;
import java.util.List;

/**
 * One subcommand of {@code jaio} ({@code demo}, ...). {@link Main} owns the list of them and the
 * dispatch: it answers {@code help}, {@code --help} and unknown names itself, so a command only
 * parses its own arguments. Adding one: implement this and add an instance to {@link Main#COMMANDS}.
 *
 * <p>Called on the main thread, once per process by {@link Main#main}; tests may call
 * {@link #run} several times in one JVM, so commands keep no state between runs.
 */
interface Command {

    /** The word that selects it on the command line, such as {@code "demo"}. */
    String name();

    /** One line for {@code jaio help}, lower case, no final period. */
    String summary();

    /**
     * The text of {@code jaio help NAME} and {@code jaio NAME --help}: a first line
     * {@code "usage: jaio NAME ..."}, then whatever a user needs to run it.
     */
    String usage();

    /**
     * Runs the command.
     *
     * @param args the arguments after the command's name, never containing {@code --help}
     * @return {@link Main#EXIT_OK}, or {@link Main#EXIT_FAILED} after printing one clear line on
     *         {@code err} saying what failed
     * @throws UsageException for an option or argument it does not understand; Main prints the
     *         message on one line and exits with {@link Main#EXIT_USAGE}
     */
    int run(List<String> args, PrintStream out, PrintStream err) throws UsageException;
}
