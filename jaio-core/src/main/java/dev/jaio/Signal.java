package dev.jaio;

import java.util.Locale;

/**
 * A standard POSIX signal, as the number the kernel delivers, for completion notification by
 * signal.
 *
 * <p>{@link SigevNotify#signal(Signal, long)} asks for {@code SIGEV_SIGNAL} notification: when
 * the operation (or a whole {@link Aio#lioListio} batch) completes, the process receives the
 * signal. Java code catches it through {@code sun.misc.Signal} (module {@code jdk.unsupported},
 * readable by default), whose signal names drop the {@code SIG} prefix; {@link #javaName()}
 * gives that name:
 *
 * {@snippet class=dev.jaio.examples.SignalExample region=signal}
 *
 * <p>Choosing a signal: {@link #SIGUSR1} and {@link #SIGUSR2} exist for exactly this and are
 * the usual choice. Signals are process-wide and do not queue per operation: several completions
 * may arrive as one signal, so a handler should check every outstanding block rather than count
 * signals. Some signals make poor notification signals:
 * <ul>
 *   <li>{@link #SIGKILL} and {@link #SIGSTOP} can never be caught, blocked or ignored; the
 *       process is killed or stopped.</li>
 *   <li>The JVM reserves {@link #SIGSEGV}, {@link #SIGBUS}, {@link #SIGFPE} and {@link #SIGILL}
 *       for its own machinery (implicit null checks, stack overflow detection, crash reports),
 *       and {@link #SIGQUIT} for thread dumps; {@code sun.misc.Signal.handle} refuses most of
 *       them, and the JVM's own handling of the rest must not be disturbed.</li>
 *   <li>{@link #SIGHUP}, {@link #SIGINT} and {@link #SIGTERM} run the shutdown hooks; handling
 *       them replaces that behaviour.</li>
 *   <li>Terminal and job-control signals ({@link #SIGTSTP}, {@link #SIGTTIN}, {@link #SIGTTOU},
 *       {@link #SIGCONT}, {@link #SIGWINCH}, {@link #SIGCHLD}) and {@link #SIGPIPE}
 *       already mean something else in most processes.</li>
 * </ul>
 *
 * <p>Numbers: the constants carry Linux's numbers, the generic numbering shared by x86_64,
 * aarch64 and most other Linux architectures (not by MIPS, SPARC, Alpha or PA-RISC, whose
 * numbers differ). jaio's engines run only on Linux, so {@link #number()} refuses other systems
 * rather than hand out a wrong number. Real-time signals ({@code SIGRTMIN..SIGRTMAX}) are not
 * constants: glibc reserves the lowest of them for its own threads, so their numbers are only
 * known at run time. Aliases are not separate constants: {@code SIGIOT} is {@link #SIGABRT},
 * {@code SIGCLD} is {@link #SIGCHLD} and {@code SIGPOLL} is {@link #SIGIO}.
 *
 * <p>Immutable and safe to use from any thread.
 *
 * @see <a href="https://man7.org/linux/man-pages/man7/signal.7.html">signal(7)</a>
 * @see <a href="https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/signal.h.html">POSIX
 *      {@code <signal.h>}</a>
 */
public enum Signal {
    /** Hangup of the controlling terminal; the JVM runs its shutdown hooks. Linux 1. */
    SIGHUP(1),
    /** Interrupt from the keyboard (Ctrl-C); the JVM runs its shutdown hooks. Linux 2. */
    SIGINT(2),
    /** Quit from the keyboard (Ctrl-\); the JVM prints a thread dump. Linux 3. */
    SIGQUIT(3),
    /** Illegal instruction; reserved by the JVM. Linux 4. */
    SIGILL(4),
    /** Trace or breakpoint trap, used by debuggers. Linux 5. */
    SIGTRAP(5),
    /** Abort, as raised by {@code abort()}; also named {@code SIGIOT}. Linux 6. */
    SIGABRT(6),
    /** Bus error (for example, touching a truncated mapped file); reserved by the JVM. Linux 7. */
    SIGBUS(7),
    /** Arithmetic exception; reserved by the JVM. Linux 8. */
    SIGFPE(8),
    /** Kill; cannot be caught, blocked or ignored. Linux 9. */
    SIGKILL(9),
    /** User-defined signal 1: free for the application, a good notification signal. Linux 10. */
    SIGUSR1(10),
    /** Invalid memory reference; reserved by the JVM. Linux 11. */
    SIGSEGV(11),
    /** User-defined signal 2: free for the application, a good notification signal. Linux 12. */
    SIGUSR2(12),
    /** Write to a pipe or socket with no reader. Linux 13. */
    SIGPIPE(13),
    /** Timer signal from {@code alarm()}. Linux 14. */
    SIGALRM(14),
    /** Termination request; the JVM runs its shutdown hooks. Linux 15. */
    SIGTERM(15),
    /** Stack fault on the coprocessor; unused by Linux, and absent from POSIX. Linux 16. */
    SIGSTKFLT(16),
    /** A child process stopped or terminated; also named {@code SIGCLD}. Linux 17. */
    SIGCHLD(17),
    /** Continue if stopped. Linux 18. */
    SIGCONT(18),
    /** Stop the process; cannot be caught, blocked or ignored. Linux 19. */
    SIGSTOP(19),
    /** Stop typed at the terminal (Ctrl-Z). Linux 20. */
    SIGTSTP(20),
    /** Terminal input for a background process. Linux 21. */
    SIGTTIN(21),
    /** Terminal output for a background process. Linux 22. */
    SIGTTOU(22),
    /** Urgent condition on a socket. Linux 23. */
    SIGURG(23),
    /** CPU time limit exceeded. Linux 24. */
    SIGXCPU(24),
    /** File size limit exceeded. Linux 25. */
    SIGXFSZ(25),
    /** Virtual alarm clock. Linux 26. */
    SIGVTALRM(26),
    /** Profiling timer expired. Linux 27. */
    SIGPROF(27),
    /** Window resize of the controlling terminal. Linux 28. */
    SIGWINCH(28),
    /**
     * I/O now possible on a descriptor set up with {@code O_ASYNC}; also named {@code SIGPOLL}
     * (glibc's headers make {@code SIGPOLL} the primary name, the kernel's make it this one).
     * Linux 29.
     */
    SIGIO(29),
    /** Power failure. Linux 30. */
    SIGPWR(30),
    /** Bad system call, also sent when a seccomp filter traps a call. Linux 31. */
    SIGSYS(31);

    /** Constants by number, for {@link #of(int)}; index 0 is unused because no signal is 0. */
    private static final Signal[] BY_NUMBER;

    static {
        Signal[] all = values();
        BY_NUMBER = new Signal[all[all.length - 1].linuxNumber + 1];
        for (Signal s : all) {
            BY_NUMBER[s.linuxNumber] = s;
        }
    }

    /**
     * Why the numbers above are wrong here, or {@code null} on a Linux with the generic
     * numbering. Decided once: neither the operating system nor the architecture changes while
     * the JVM runs.
     */
    private static final String UNSUPPORTED_PLATFORM = unsupportedPlatform(
            System.getProperty("os.name", ""), System.getProperty("os.arch", ""));

    private final int linuxNumber;

    Signal(int linuxNumber) {
        this.linuxNumber = linuxNumber;
    }

    /**
     * The signal's number on the running platform, as {@code sigev_signo} and {@code kill(2)}
     * take it.
     *
     * @return the Linux signal number, {@code 1..31}
     * @throws UnsupportedOperationException when not running on Linux, or on a Linux
     *         architecture with its own numbering (MIPS, SPARC, Alpha, PA-RISC); the message names
     *         the platform
     */
    public int number() {
        if (UNSUPPORTED_PLATFORM != null) {
            throw new UnsupportedOperationException(UNSUPPORTED_PLATFORM);
        }
        return linuxNumber;
    }

    /**
     * The constant for a signal number of the running platform, for example the number a
     * {@code siginfo_t} carries.
     *
     * @param number a signal number, {@code 1..31} on Linux
     * @return the constant with that number
     * @throws IllegalArgumentException for {@code 0}, negative numbers and numbers above
     *         {@code 31}, which include the real-time signals {@code SIGRTMIN..SIGRTMAX} that
     *         this enum does not cover
     * @throws UnsupportedOperationException when not running on Linux with the generic
     *         numbering, as for {@link #number()}
     */
    public static Signal of(int number) {
        if (UNSUPPORTED_PLATFORM != null) {
            throw new UnsupportedOperationException(UNSUPPORTED_PLATFORM);
        }
        Signal[] byNumber = BY_NUMBER;
        Signal s = Integer.compareUnsigned(number, byNumber.length) < 0 ? byNumber[number] : null;
        if (s == null) {
            throw new IllegalArgumentException("No standard signal has number " + number
                    + " (jaio's Signal covers 1.." + (byNumber.length - 1)
                    + "; real-time signals are not constants)");
        }
        return s;
    }

    /**
     * The name {@code sun.misc.Signal} knows this signal by: the C name without its
     * {@code SIG} prefix, {@code "USR2"} for {@link #SIGUSR2}. Use it as
     * {@code new sun.misc.Signal(Signal.SIGUSR2.javaName())}; the JVM looks the name up
     * itself, so this works wherever the JVM knows the signal, independently of
     * {@link #number()}.
     *
     * @return the name without the {@code SIG} prefix
     */
    public String javaName() {
        return name().substring("SIG".length());
    }

    /**
     * Checks that the compiled-in numbers hold here. Linux numbers signals the same way on
     * x86, ARM, RISC-V, PowerPC, s390 and LoongArch; MIPS, SPARC, Alpha and PA-RISC kept the
     * numbering of the Unix systems they were first ported to.
     */
    static String unsupportedPlatform(String osName, String osArch) {
        if (!osName.toLowerCase(Locale.ROOT).startsWith("linux")) {
            return "jaio's signal numbers are Linux's; this is " + osName + " (" + osArch + ")";
        }
        String arch = osArch.toLowerCase(Locale.ROOT);
        for (String own : new String[] {"mips", "sparc", "alpha", "parisc", "hppa"}) {
            if (arch.startsWith(own)) {
                return "jaio's signal numbers are Linux's generic ones; Linux on " + osArch
                        + " numbers signals differently";
            }
        }
        return null;
    }
}
