package dev.jaio.examples;

import dev.jaio.Aio;
import dev.jaio.AioFile;
import dev.jaio.AioWrite;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import dev.jaio.Signal;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The examples of {@code Signal} and {@code SigevNotify}: a completion announced by SIGUSR2,
 * caught with {@code sun.misc.Signal}. The handler stays installed afterwards (Java has no
 * {@code SA_RESETHAND}), so a late SIGUSR2 never ends the JVM. {@code JavadocExamplesTest} runs
 * both.
 */
public final class SignalExample {
    private SignalExample() {
    }

    /**
     * {@code Signal}'s documentation: one write announced by SIGUSR2.
     *
     * @return the bytes written
     * @throws Exception when the I/O fails or no signal arrives within 10 s
     */
    public static long oneWrite() throws Exception {
        byte[] data = "signalled".getBytes();
        try (AioFile file = AioFile.tempfile()) {
            // @start region="signal"
            var done = new CountDownLatch(1);
            sun.misc.Signal.handle(new sun.misc.Signal(Signal.SIGUSR2.javaName()), sig -> done.countDown());

            try (var write = AioWrite.of(file.fd(), 0, data, 0, SigevNotify.signal(Signal.SIGUSR2, 0))) {
                write.submit();
                done.await(10, TimeUnit.SECONDS); // the handler runs on the JVM's signal dispatcher thread
                return write.aioReturn();         // still required: it reaps the result, the block is idle
            }
            // @end
        }
    }

    /**
     * {@code SigevNotify}'s documentation: a list whose completion as a whole is announced by
     * SIGUSR2.
     *
     * @return true when the signal came within 10 s
     * @throws Exception when the I/O fails
     */
    public static boolean listSignal() throws Exception {
        try (AioFile file = AioFile.tempfile();
                AioWrite write = AioWrite.of(file.fd(), 0, "list".getBytes(), 0, SigevNotify.none())) {
            // @start region="list-signal"
            var done = new CountDownLatch(1);
            sun.misc.Signal.handle(new sun.misc.Signal("USR2"), sig -> done.countDown());
            Aio.lioListio(LioMode.LIO_NOWAIT, List.of(write), SigevNotify.signal(Signal.SIGUSR2, 0));
            boolean signalled = done.await(10, TimeUnit.SECONDS); // every block of the list is complete
            // @end
            write.aioReturn();
            return signalled;
        }
    }
}
