package dev.jaio.channel;

import dev.jaio.testing.EngineUnderTest;
import dev.jaio.testing.OnEngine;

/** The channel contract on the "threads" engine. */
@OnEngine(EngineUnderTest.THREADS)
class ThreadsChannelContractTest extends AioFileChannelContract {
}
