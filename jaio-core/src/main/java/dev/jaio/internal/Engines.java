package dev.jaio.internal;

import dev.jaio.AioEngine;
import dev.jaio.AioEngineOptions;
import dev.jaio.internal.ffi.NativeAccess;
import dev.jaio.internal.ffi.Platform;
import dev.jaio.internal.posix.PosixEngine;
import dev.jaio.internal.threads.ThreadsEngine;
import dev.jaio.internal.uring.UringEngine;
import java.util.List;
import java.util.Objects;

/**
 * Knows the engines by name and chooses the default one. The public package asks here, so it
 * never names an engine class.
 */
public final class Engines {
    /** The system property that overrides the default engine's choice. */
    public static final String PROPERTY = "dev.jaio.engine";
    private static final System.Logger LOG = System.getLogger("dev.jaio");
    private static final List<String> NAMES = List.of("io_uring", "posix", "threads");
    /**
     * The default engine's preference: the first that opens wins. io_uring first: one system call
     * per list. Where it is refused, threads before posix, from measurements on a 2-vCPU VM
     * (BENCHMARKS.md): random 4 KiB reads, lists of 32, page cache: threads about 1.2x posix;
     * O_DIRECT at depth 32: threads 3x to 4x posix, because glibc runs every operation of one
     * descriptor on one helper thread (depth 1 whatever the depth asked), while the threads engine
     * runs them side by side. posix stays as the last resort and the reference for semantics.
     * (The first design put posix second; the measurements changed the middle.)
     */
    private static final List<String> FALLBACK_ORDER = List.of("io_uring", "threads", "posix");

    private Engines() {
    }

    public static List<String> names() {
        return NAMES;
    }

    /** The default engine's order of preference. */
    public static List<String> fallbackOrder() {
        return FALLBACK_ORDER;
    }

    /** Opens engine {@code name} for the caller to own. */
    public static AioEngine open(String name, AioEngineOptions options) {
        return open(name, options, Platform.current());
    }

    /**
     * Opens engine {@code name} as it would open on {@code platform}: refused with
     * {@link Platform#engineRefusal} there, else created here. Tests use it to check what jaio
     * does on a platform that cannot run them (musl).
     */
    static AioEngine open(String name, AioEngineOptions options, Platform platform) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(options, "options");
        NativeAccess.ensureEnabled();
        return create(name, options, false, platform);
    }

    private static AbstractEngine create(String name, AioEngineOptions options, boolean processWide) {
        return create(name, options, processWide, Platform.current());
    }

    private static AbstractEngine create(String name, AioEngineOptions options, boolean processWide,
            Platform platform) {
        if (NAMES.contains(name)) {
            platform.engineRefusal(name).ifPresent(why -> {
                throw new UnsupportedOperationException(why);
            });
        }
        return switch (name) {
            case "posix" -> new PosixEngine(processWide);
            case "threads" -> new ThreadsEngine(options, processWide);
            case "io_uring" -> new UringEngine(options, processWide);
            default -> throw new IllegalArgumentException("unknown engine '" + name + "': jaio has " + NAMES);
        };
    }

    private static final Object DEFAULT_LOCK = new Object();
    private static volatile AbstractEngine defaultEngine;

    /**
     * The process-wide engine, chosen on first use. A failure (an unknown name in
     * {@value #PROPERTY}, no engine that works) is thrown to every caller as itself, not as an
     * {@code ExceptionInInitializerError}, and the choice is tried again on the next call.
     */
    public static AioEngine defaultEngine() {
        AbstractEngine e = defaultEngine;
        if (e != null) {
            return e;
        }
        // Checked first, so a missing flag is a clear IllegalCallerException on every call.
        NativeAccess.ensureEnabled();
        synchronized (DEFAULT_LOCK) {
            if (defaultEngine == null) {
                defaultEngine = chooseDefault();
            }
            return defaultEngine;
        }
    }

    private static AbstractEngine chooseDefault() {
        String wanted = System.getProperty(PROPERTY);
        if (wanted != null && !wanted.isBlank()) {
            AbstractEngine e;
            try {
                e = create(wanted.strip(), AioEngineOptions.defaults(), true);
            } catch (IllegalArgumentException | UnsupportedOperationException refused) {
                throw new IllegalStateException("-D" + PROPERTY + "=" + wanted + " cannot be the default engine: "
                        + refused.getMessage(), refused);
            }
            LOG.log(System.Logger.Level.DEBUG, "jaio: default engine {0} (from -D{1})", e.name(), PROPERTY);
            return e;
        }
        StringBuilder why = new StringBuilder();
        for (String name : FALLBACK_ORDER) {
            try {
                AbstractEngine e = create(name, AioEngineOptions.defaults(), true);
                LOG.log(System.Logger.Level.DEBUG, "jaio: default engine {0}{1}", e.name(),
                        why.isEmpty() ? "" : " (" + why + ")");
                return e;
            } catch (UnsupportedOperationException refused) {
                why.append(why.isEmpty() ? "" : "; ").append(name).append(" refused: ").append(refused.getMessage());
            }
        }
        throw new UnsupportedOperationException("no jaio engine works here: " + why);
    }
}
