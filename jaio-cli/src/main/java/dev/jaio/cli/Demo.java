package dev.jaio.cli;

import dev.jaio.Aio;
import dev.jaio.AioEngine;
import dev.jaio.AioException;
import dev.jaio.AioFile;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.Signal;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Serial;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code jaio demo [--engine NAME]}: the three {@code lio_listio} examples of Rust's
 * {@code nix::sys::aio} (the project's seed), run as they read there on the
 * {@linkplain AioEngine#defaultEngine() default engine} or on the engine {@code --engine} names
 * (opened for the demo and closed after it), each narrated, checked ({@code aio_return == 12})
 * and its file read back.
 *
 * <p>One difference from the seed: its loops wait for ever, these give up after
 * {@link #PATIENCE} and fail, so a broken engine ends the demo instead of hanging it.
 *
 * <p>Runs on the caller's thread; the signal handler of the third example runs on the JVM's
 * signal dispatcher thread and only sets {@link #SIGNALED}.
 */
final class Demo implements Command {
    /** The seed's {@code WBUF}. */
    private static final byte[] WBUF = "abcdef123456".getBytes(StandardCharsets.US_ASCII);
    /** The seed's offset: the file ends up as two zero bytes (a hole) and then WBUF. */
    private static final long OFFSET = 2;
    private static final Duration POLL_INTERVAL = Duration.ofMillis(10);
    private static final Duration PATIENCE = Duration.ofSeconds(10);
    /** The seed's {@code lazy_static! { SIGNALED: AtomicBool }}. */
    private static final AtomicBoolean SIGNALED = new AtomicBoolean(false);

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String summary() {
        return "run the three lio_listio examples of nix::sys::aio, narrated";
    }

    @Override
    public String usage() {
        return """
                usage: jaio demo [--engine NAME]

                Runs the three lio_listio examples of Rust's nix::sys::aio on jaio's default engine,
                or on engine NAME (io_uring, posix or threads): each writes "abcdef123456" at
                offset 2 of a new temporary file, waits for it (LIO_WAIT; LIO_NOWAIT and polling
                error(); LIO_NOWAIT and a SIGUSR2), checks that aio_return gives 12 and reads the
                file back. Exit status 0 when all three pass, 1 when one fails or the engine
                cannot open here (the message says why), 2 for an unknown engine.

                  ./jaio demo --engine posix""";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) throws UsageException {
        String engineName = engineOption(args);
        AioEngine engine;
        try {
            engine = engineName == null ? AioEngine.defaultEngine() : AioEngine.open(engineName);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--engine: " + e.getMessage());
        } catch (IllegalCallerException | UnsupportedOperationException e) {
            // No native access, or a platform jaio does not support: the message says what to do.
            err.println("jaio demo: " + e.getMessage());
            return Main.EXIT_FAILED;
        } catch (ExceptionInInitializerError e) {
            // The default engine is chosen in a static initializer, so a refused choice (such as
            // -Ddev.jaio.engine naming an engine that cannot open here) arrives wrapped.
            Throwable why = e.getCause() == null ? e : e.getCause();
            err.println("jaio demo: no default engine: " + why.getMessage());
            return Main.EXIT_FAILED;
        }
        try {
            return run(engine, out, err);
        } finally {
            if (engineName != null) {
                engine.close();
            }
        }
    }

    /** {@code --engine NAME}, or null for the default engine. */
    private static String engineOption(List<String> args) throws UsageException {
        if (args.isEmpty()) {
            return null;
        }
        String first = args.getFirst();
        String name;
        if (first.equals("--engine") && args.size() >= 2) {
            name = args.get(1);
            if (args.size() > 2) {
                throw new UsageException("demo takes only --engine NAME, got '" + args.get(2) + "' after it");
            }
        } else if (first.startsWith("--engine=") && args.size() == 1) {
            name = first.substring("--engine=".length());
        } else if (first.equals("--engine")) {
            throw new UsageException("--engine needs a name: " + String.join(", ", AioEngine.names()));
        } else {
            throw new UsageException("demo takes only --engine NAME, got '" + first + "' (try 'jaio help demo')");
        }
        if (!AioEngine.names().contains(name)) {
            throw new UsageException("--engine: unknown engine '" + name + "' (engines: " + String.join(", ", AioEngine.names()) + ")");
        }
        return name;
    }

    private static int run(AioEngine engine, PrintStream out, PrintStream err) {
        out.println("jaio demo: the three lio_listio examples of Rust's nix::sys::aio, on the "
                + engine.name() + " engine.");
        out.println("Each writes \"abcdef123456\" (12 bytes) at offset 2 of a new, unlinked temporary file.");
        out.println();
        try {
            out.println("1/3  LIO_WAIT: lio_listio submits the write and returns once it has completed.");
            out.println("     " + lioWait(engine) + "   ok");
            out.println("2/3  LIO_NOWAIT, then poll error() every 10 ms until it is no longer EINPROGRESS.");
            out.println("     " + lioNowaitThenPoll(engine) + "   ok");
            out.println("3/3  LIO_NOWAIT with a SIGUSR2 for the list, sent once all of its writes are done.");
            out.println("     " + lioNowaitThenSignal(engine) + "   ok");
        } catch (DemoFailure e) {
            out.flush();
            err.println("jaio demo: " + e.getMessage());
            return Main.EXIT_FAILED;
        }
        out.println();
        out.println("engine: " + engine.name());
        out.println("all three examples passed");
        return Main.EXIT_OK;
    }

    /** The seed's first example: LIO_WAIT, so no polling or waiting is needed. */
    private static String lioWait(AioEngine engine) throws DemoFailure {
        try (AioFile f = AioFile.tempfile();
                AioWrite aiow = AioWrite.of(engine, f.fd(), OFFSET, WBUF, 0, SigevNotify.none())) {
            Aio.lioListio(LioMode.LIO_WAIT, List.of(aiow), SigevNotify.none());
            // At this point, we are guaranteed that aiow is complete.
            return checked(1, aiow.aioReturn(), f, engine);
        } catch (IOException e) {
            throw new DemoFailure(1, e);
        }
    }

    /** The seed's second example: LIO_NOWAIT, then poll each operation's error(). */
    private static String lioNowaitThenPoll(AioEngine engine) throws DemoFailure {
        try (AioFile f = AioFile.tempfile();
                AioWrite aiow = AioWrite.of(engine, f.fd(), OFFSET, WBUF, 0, SigevNotify.none())) {
            Aio.lioListio(LioMode.LIO_NOWAIT, List.of(aiow), SigevNotify.none());
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            int polls = 1;
            // We must wait for the completion of each individual operation.
            while (aiow.error() == Errno.EINPROGRESS) {
                if (System.nanoTime() - deadline > 0) {
                    throw new DemoFailure(2, "the write was still in progress after " + PATIENCE.toSeconds() + " s");
                }
                sleep(2, POLL_INTERVAL);
                polls++;
            }
            return "error() polled " + plural(polls, "time") + "; " + checked(2, aiow.aioReturn(), f, engine);
        } catch (IOException e) {
            throw new DemoFailure(2, e);
        }
    }

    /** The seed's third example: LIO_NOWAIT, and a signal for the whole list. */
    private static String lioNowaitThenSignal(AioEngine engine) throws DemoFailure {
        // Rust: sigaction(SIGUSR2, sigfunc, SA_RESETHAND). Java has no SA_RESETHAND; the handler
        // stays installed, so that a late second SIGUSR2 cannot end the process.
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("USR2"), sig -> SIGNALED.set(true));
        } catch (IllegalArgumentException e) {
            throw new DemoFailure(3, "cannot catch SIGUSR2 in this JVM: " + e.getMessage());
        }
        SIGNALED.set(false);
        try (AioFile f = AioFile.tempfile();
                AioWrite aiow = AioWrite.of(engine, f.fd(), OFFSET, WBUF, 0, SigevNotify.none())) {
            SigevNotify sev = SigevNotify.signal(Signal.SIGUSR2, 0);
            long start = System.nanoTime();
            Aio.lioListio(LioMode.LIO_NOWAIT, List.of(aiow), sev);
            while (!SIGNALED.get()) {
                if (System.nanoTime() - start > PATIENCE.toNanos()) {
                    throw new DemoFailure(3, "no SIGUSR2 within " + PATIENCE.toSeconds() + " s");
                }
                sleep(3, POLL_INTERVAL);
            }
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            // At this point, since lioListio returned success and delivered its notification,
            // we know that all operations are complete.
            return "SIGUSR2 caught after " + (millis == 0 ? "<1" : millis) + " ms; " + checked(3, aiow.aioReturn(), f, engine);
        } catch (IOException e) {
            throw new DemoFailure(3, e);
        }
    }

    /**
     * The seed's {@code assert_eq!(aio_return, WBUF.len())}, then the file read back (with jaio)
     * and compared with what the write must have made of it.
     */
    private static String checked(int example, long returned, AioFile f, AioEngine engine)
            throws DemoFailure, IOException {
        if (returned != WBUF.length) {
            throw new DemoFailure(example, "aio_return gave " + returned + ", expected " + WBUF.length);
        }
        byte[] expected = new byte[(int) OFFSET + WBUF.length];
        System.arraycopy(WBUF, 0, expected, (int) OFFSET, WBUF.length);
        byte[] content = readAll(f, engine);
        if (!Arrays.equals(content, expected)) {
            throw new DemoFailure(example, "the file holds " + quoted(content) + ", expected " + quoted(expected));
        }
        return "aio_return = " + returned + ", file holds " + quoted(content) + " (" + content.length + " bytes)";
    }

    /** Reads the whole file with one AioRead. */
    private static byte[] readAll(AioFile f, AioEngine engine) throws IOException {
        long size = f.size();
        if (size > 1 << 20) {
            throw new IOException("the file grew to " + size + " bytes; 14 expected");
        }
        // Shared, not confined: an engine may touch the buffer from threads of its own.
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(Math.max(1, size)).asSlice(0, size);
            try (AioRead r = new AioRead(engine, f.fd(), 0, buf, 0, SigevNotify.none())) {
                Aio.lioListio(LioMode.LIO_WAIT, List.of(r), SigevNotify.none());
                long n = r.aioReturn();
                return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            }
        }
    }

    private static void sleep(int example, Duration d) throws DemoFailure {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DemoFailure(example, "interrupted while waiting");
        }
    }

    /** Bytes as a Java string literal would show them: printable ASCII, else escapes. */
    static String quoted(byte[] bytes) {
        StringBuilder s = new StringBuilder("\"");
        for (byte b : bytes) {
            int c = b & 0xff;
            switch (c) {
                case 0 -> s.append("\\0");
                case '\n' -> s.append("\\n");
                case '"', '\\' -> s.append('\\').append((char) c);
                default -> s.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
            }
        }
        return s.append('"').toString();
    }

    private static String plural(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** One example failed; the message says which and why. */
    private static final class DemoFailure extends Exception {
        @Serial
        private static final long serialVersionUID = 1L;

        DemoFailure(int example, String why) {
            super("example " + example + " failed: " + why, null, false, false);
        }

        DemoFailure(int example, IOException e) {
            this(example, e instanceof AioException a
                    ? a.getMessage()
                    : e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
