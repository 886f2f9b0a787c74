package dev.jaio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The three {@code lio_listio} examples of the seed document ({@code nix::sys::aio::lio_listio}),
 * written against jaio's API as they read there: default constructors (so the default engine),
 * {@link AioFile#tempfile()} for Rust's {@code tempfile()}, {@code sun.misc.Signal} for the
 * {@code sigaction} of SIGUSR2 ({@code sun.misc.Signal.handle}), and
 * {@code Thread.sleep(10)} for {@code thread::sleep}.
 * {@link AioEngineContract.Lists} runs the same examples on each engine it tests.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SeedExamplesTest {
    private static final byte[] WBUF = "abcdef123456".getBytes(StandardCharsets.US_ASCII);

    /** Rust's {@code lazy_static! { pub static ref SIGNALED: AtomicBool }}. */
    private static final AtomicBoolean SIGNALED = new AtomicBoolean(false);

    /**
     * Use lioListio to submit an aio operation and wait for its completion. In this case, there
     * is no need to use aioSuspend to wait or error() to poll.
     */
    @Test
    void lioWait() throws Exception {
        try (AioFile f = AioFile.tempfile();
                AioWrite aiow = AioWrite.of(f.fd(),
                        2, // offset
                        WBUF,
                        0, // priority
                        SigevNotify.none())) {
            Aio.lioListio(LioMode.LIO_WAIT, List.of(aiow), SigevNotify.none());
            // At this point, we are guaranteed that aiow is complete.
            assertEquals(WBUF.length, aiow.aioReturn());
        }
    }

    /**
     * Use lioListio to submit multiple asynchronous operations with a single call, but receive
     * notification individually.
     */
    @Test
    void lioNowaitThenPoll() throws Exception {
        try (AioFile f = AioFile.tempfile();
                AioWrite aiow = AioWrite.of(f.fd(),
                        2, // offset
                        WBUF,
                        0, // priority
                        SigevNotify.none())) {
            Aio.lioListio(LioMode.LIO_NOWAIT, List.of(aiow), SigevNotify.none());
            // We must wait for the completion of each individual operation
            while (aiow.error() == Errno.EINPROGRESS) {
                Thread.sleep(10);
            }
            assertEquals(WBUF.length, aiow.aioReturn());
        }
    }

    /**
     * Use lioListio to submit multiple operations, and receive notification only when all of
     * them are complete.
     */
    @Test
    void lioNowaitThenSignal() throws Exception {
        // Rust: sigaction(SIGUSR2, Handler(sigfunc), SA_RESETHAND). Java has no SA_RESETHAND; the
        // handler stays installed, so that a late SIGUSR2 cannot kill the JVM.
        sun.misc.Signal.handle(new sun.misc.Signal("USR2"), sig -> SIGNALED.set(true));
        SIGNALED.set(false);

        try (AioFile f = AioFile.tempfile();
                AioWrite aiow = AioWrite.of(f.fd(),
                        2, // offset
                        WBUF,
                        0, // priority
                        SigevNotify.none())) {
            SigevNotify sev = SigevNotify.signal(Signal.SIGUSR2, 0);
            Aio.lioListio(LioMode.LIO_NOWAIT, List.of(aiow), sev);
            while (!SIGNALED.get()) {
                Thread.sleep(10);
            }
            // At this point, since lioListio returned success and delivered its
            // notification, we know that all operations are complete.
            assertEquals(WBUF.length, aiow.aioReturn());
        }
    }
}
