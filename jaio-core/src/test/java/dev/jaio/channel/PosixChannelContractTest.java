package dev.jaio.channel;

import dev.jaio.testing.EngineUnderTest;
import dev.jaio.testing.OnEngine;

/** The channel contract on the "posix" engine. */
@OnEngine(EngineUnderTest.POSIX)
class PosixChannelContractTest extends AioFileChannelContract {
}
