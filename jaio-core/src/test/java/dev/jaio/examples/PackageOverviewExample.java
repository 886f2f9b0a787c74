package dev.jaio.examples;

import dev.jaio.Aio;
import dev.jaio.AioFile;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * The example of the package overview ({@code dev/jaio/package-info.java}): the first
 * {@code lio_listio} example of {@code nix::sys::aio}, then the bytes read back. The Javadoc shows
 * the region {@code lio-wait}; {@code JavadocExamplesTest} runs {@link #run()}. The checks are
 * real ones (an exception), not {@code assert}, which the JVM skips unless {@code -ea} is given.
 */
public final class PackageOverviewExample {
    private PackageOverviewExample() {
    }

    /**
     * Writes 12 bytes at offset 2 of a temporary file and reads them back, both with
     * {@code LIO_WAIT}.
     *
     * @throws Exception when a check fails or the I/O does
     */
    public static void run() throws Exception {
        // @start region="lio-wait"
        byte[] wbuf = "abcdef123456".getBytes();
        try (AioFile f = AioFile.tempfile();
                AioWrite aiow = AioWrite.of(f.fd(), 2, wbuf, 0, SigevNotify.none())) {
            Aio.lioListio(LioMode.LIO_WAIT, List.of(aiow), SigevNotify.none());
            // At this point, we are guaranteed that aiow is complete: reap its result, once.
            long written = aiow.aioReturn();
            if (written != wbuf.length) {
                throw new IllegalStateException("wrote " + written + " of " + wbuf.length + " bytes");
            }

            // Read them back: the buffer is native memory the kernel may write after submit().
            MemorySegment rbuf = Arena.ofAuto().allocate(wbuf.length);
            try (AioRead aior = new AioRead(f.fd(), 2, rbuf, 0, SigevNotify.none())) {
                Aio.lioListio(LioMode.LIO_WAIT, List.of(aior), SigevNotify.none());
                long read = aior.aioReturn();
                byte[] got = rbuf.toArray(ValueLayout.JAVA_BYTE);
                if (read != wbuf.length || !Arrays.equals(got, wbuf)) {
                    throw new IllegalStateException("read back " + read + " bytes: " + new String(got));
                }
            }
        }
        // @end
    }
}
