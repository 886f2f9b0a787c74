package dev.jaio.channel;

import dev.jaio.testing.EngineUnderTest;
import dev.jaio.testing.OnEngine;

/** The channel contract on the "io_uring" engine. */
@OnEngine(EngineUnderTest.IO_URING)
class UringChannelContractTest extends AioFileChannelContract {
}
