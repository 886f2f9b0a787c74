package dev.jaio.channel;

import dev.jaio.AioEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The channel contract on the "threads" engine. */
class ThreadsChannelContractTest extends AioFileChannelContract {
    private static AioEngine engine;

    @BeforeAll
    static void openEngine() {
        engine = AioEngine.open("threads");
    }

    @AfterAll
    static void closeEngine() {
        if (engine != null) {
            engine.close();
        }
    }

    @Override
    protected AioEngine engine() {
        return engine;
    }
}
