/**
 * The {@code jaio} command line ({@code ./jaio}): {@link dev.jaio.cli.Main} parses the command
 * line and dispatches to one {@link dev.jaio.cli.Command} per subcommand: {@code bench} (the
 * default; {@link dev.jaio.cli.Bench} and the classes it names), {@code probe} and {@code demo}.
 *
 * <p>Layer: an application of the library, on the class path beside it. It may use the public
 * package {@code dev.jaio} and the JDK, never {@code dev.jaio.internal}, so it shows what any
 * user can do. Rules: a usage error is one line on stderr and exit status 2; a failure is one
 * line on stderr and exit status 1; stack traces only with {@code JAIO_DEBUG} set. Output is
 * short: users run {@code ./jaio} first. The bench's I/O loops allocate nothing per operation.
 * It may also use HdrHistogram (latency percentiles), the only other dependency.
 */
package dev.jaio.cli;
