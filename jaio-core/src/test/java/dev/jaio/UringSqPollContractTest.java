package dev.jaio;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The whole engine contract on io_uring with a kernel poller thread ({@code IORING_SETUP_SQPOLL})
 * that sleeps after 2 ms without work, so that submissions find it asleep as often as awake and
 * both ways in (a store to the ring, or the wake-up call) are exercised.
 */
class UringSqPollContractTest extends AioEngineContract {
    private static AioEngine engine;

    @BeforeAll
    static void openEngine() {
        engine = AioEngine.open("io_uring", AioEngineOptions.defaults().withSqPoll(2));
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

    @Override
    protected boolean supportsVectored() {
        return true;
    }
}
