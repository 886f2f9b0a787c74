package dev.jaio.internal;

import dev.jaio.AioEngine;
import dev.jaio.AioEngineOptions;
import dev.jaio.internal.ffi.NativeAccess;
import dev.jaio.internal.posix.PosixEngine;
import dev.jaio.internal.threads.ThreadsEngine;
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

    private Engines() {
    }

    public static List<String> names() {
        return NAMES;
    }

    /** Opens engine {@code name} for the caller to own. */
    public static AioEngine open(String name, AioEngineOptions options) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(options, "options");
        NativeAccess.ensureEnabled();
        return create(name, options, false);
    }

    private static AbstractEngine create(String name, AioEngineOptions options, boolean processWide) {
        return switch (name) {
            case "posix" -> new PosixEngine(processWide);
            case "threads" -> new ThreadsEngine(options, processWide);
            case "io_uring" -> throw new UnsupportedOperationException("the " + name
                    + " engine is not part of this build of jaio yet; use \"posix\"");
            default -> throw new IllegalArgumentException("unknown engine '" + name + "': jaio has " + NAMES);
        };
    }

    /** The process-wide engine. */
    public static AioEngine defaultEngine() {
        // Checked before the holder initialises, so a missing flag is a clear IllegalCallerException
        // on every call rather than an ExceptionInInitializerError once and NoClassDefFoundError after.
        NativeAccess.ensureEnabled();
        return DefaultHolder.ENGINE;
    }

    private static final class DefaultHolder {
        static final AioEngine ENGINE = choose();

        private static AioEngine choose() {
            String wanted = System.getProperty(PROPERTY);
            if (wanted != null && !wanted.isBlank()) {
                AbstractEngine e = create(wanted.strip(), AioEngineOptions.defaults(), true);
                LOG.log(System.Logger.Level.DEBUG, "jaio: default engine {0} (from -D{1})", e.name(), PROPERTY);
                return e;
            }
            AbstractEngine e = create("posix", AioEngineOptions.defaults(), true);
            LOG.log(System.Logger.Level.DEBUG, "jaio: default engine {0}", e.name());
            return e;
        }
    }
}
