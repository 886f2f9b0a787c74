package dev.jaio.channel;

import java.io.IOException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ExecutorService;

/** The contract against the JDK's own channel: proof that the contract tests the Javadoc, not jaio. */
class JdkChannelContractTest extends AsynchronousFileChannelContract {
    @Override
    protected AsynchronousFileChannel openChannel(Path file, OpenOption... options) throws IOException {
        return AsynchronousFileChannel.open(file, options);
    }

    @Override
    protected AsynchronousFileChannel openChannel(Path file, Set<? extends OpenOption> options,
                                                  ExecutorService executor) throws IOException {
        return AsynchronousFileChannel.open(file, options, executor);
    }
}
