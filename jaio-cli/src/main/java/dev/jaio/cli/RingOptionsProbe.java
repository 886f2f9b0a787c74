package dev.jaio.cli;

import dev.jaio.AioEngine;
import dev.jaio.AioEngineOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code jaio probe}'s check of io_uring's options ({@link AioEngineOptions#withRegisteredFiles},
 * {@link AioEngineOptions#withFixedBuffers}, {@link AioEngineOptions#withSqPoll}): each is tried
 * for real, by opening and closing an io_uring engine with it alone, so that the answer is the
 * kernel's and the limits' of this process, and a refusal comes with the engine's own reason.
 *
 * <p>Stateless; any thread.
 */
final class RingOptionsProbe {
    /**
     * One option: whether an engine with it opens here, and if not why.
     *
     * @param name what the option gives, for the reader
     * @param benchFlag the {@code jaio bench} flag that asks for it
     * @param works whether an io_uring engine opened with it
     * @param reason the refusal's message, or null
     */
    record Option(String name, String benchFlag, boolean works, String reason) {
    }

    private RingOptionsProbe() {
    }

    /** Each option tried in turn; empty when io_uring itself does not work here. */
    static List<Option> options() {
        List<Option> out = new ArrayList<>(3);
        out.add(attempt("registered files", "--registerfiles 1", AioEngineOptions.defaults().withRegisteredFiles(64)));
        out.add(attempt("registered buffers", "--fixedbufs 1", AioEngineOptions.defaults().withFixedBuffers(32, 4096)));
        out.add(attempt("SQPOLL", "--sqpoll 1", AioEngineOptions.defaults().withSqPoll(10)));
        return out;
    }

    private static Option attempt(String name, String flag, AioEngineOptions options) {
        try (AioEngine engine = AioEngine.open("io_uring", options)) {
            return new Option(name, flag, true, null);
        } catch (UnsupportedOperationException | IllegalCallerException e) {
            return new Option(name, flag, false, e.getMessage());
        }
    }
}
