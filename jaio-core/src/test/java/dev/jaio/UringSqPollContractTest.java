package dev.jaio;

import dev.jaio.testing.EngineUnderTest;
import dev.jaio.testing.OnEngine;

/**
 * The whole engine contract on io_uring with a kernel poller thread ({@code IORING_SETUP_SQPOLL})
 * that sleeps after 2 ms without work, so that submissions find it asleep as often as awake and
 * both ways in (a store to the ring, or the wake-up call) are exercised. The poller's own
 * promises are in {@code dev.jaio.internal.uring.UringSqPollTest}.
 */
@OnEngine(EngineUnderTest.IO_URING_SQPOLL)
class UringSqPollContractTest extends AioEngineContract {
}
