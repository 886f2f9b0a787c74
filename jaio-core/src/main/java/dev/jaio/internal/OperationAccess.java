package dev.jaio.internal;

import dev.jaio.Aio;

/**
 * The bridge from a public control block to its {@link Operation}, installed once by the public
 * package (the JDK's "shared secrets" pattern), so that engines can take the blocks of a list
 * without the public package exposing its internals or naming an engine.
 */
public final class OperationAccess {
    /** How the public package unwraps a block. */
    public interface Unwrapper {
        /** The block's operation; {@code IllegalArgumentException} for a foreign {@code Aio}. */
        Operation operationOf(Aio block);
    }

    private static volatile Unwrapper unwrapper;

    private OperationAccess() {
    }

    /** Called once, by the public package's control-block class initialiser. */
    public static void install(Unwrapper u) {
        unwrapper = u;
    }

    /** The operation behind {@code block}. */
    public static Operation of(Aio block) {
        if (block == null) {
            throw new NullPointerException("a list of control blocks must not contain null");
        }
        return unwrapper.operationOf(block);
    }
}
