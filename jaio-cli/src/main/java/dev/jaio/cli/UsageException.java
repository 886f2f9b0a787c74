package dev.jaio.cli;

import java.io.Serial;

/**
 * The command line asked for something jaio does not know: an unknown command or option, a
 * missing or malformed value. {@link Main} prints the message as one line on stderr (never a
 * stack trace) and exits with {@link Main#EXIT_USAGE}.
 */
final class UsageException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    /** @param message what was wrong and, where it helps, what would be right; one line */
    UsageException(String message) {
        super(message, null, false, false);
    }
}
