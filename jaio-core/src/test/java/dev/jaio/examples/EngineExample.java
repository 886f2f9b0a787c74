package dev.jaio.examples;

import dev.jaio.Aio;
import dev.jaio.AioEngine;
import dev.jaio.AioEngineOptions;
import dev.jaio.AioFile;
import dev.jaio.AioOpenOption;
import dev.jaio.AioProbe;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The examples of {@code AioEngineOptions}, {@code AioFile} and {@code AioProbe}: engines of one's
 * own, O_DIRECT files, and what the machine offers. {@code JavadocExamplesTest} runs each.
 */
public final class EngineExample {
    private EngineExample() {
    }

    /**
     * {@code AioEngineOptions}' documentation: an engine with a deeper ring, owned and closed.
     *
     * @param name the engine to open, such as {@code "io_uring"}
     * @return the bytes written through it
     * @throws Exception when the engine cannot open here or the I/O fails
     */
    public static long ownEngine(String name) throws Exception {
        long written;
        // @start region="own-engine"
        try (AioEngine engine = AioEngine.open(name, AioEngineOptions.defaults().withQueueDepth(256));
                AioFile f = AioFile.tempfile();
                AioWrite w = AioWrite.of(engine, f.fd(), 0, new byte[4096], 0, SigevNotify.none())) {
            Aio.lioListio(LioMode.LIO_WAIT, List.of(w), SigevNotify.none());
            written = w.aioReturn();
        } // closing the engine cancels and waits for whatever it still had in flight
        // @end
        return written;
    }

    /**
     * {@code AioEngineOptions}' documentation: io_uring with registered files and buffers. A file
     * opened by {@code AioFile} is read into a buffer the engine registered with the kernel.
     *
     * @param path a file of at least 4096 bytes
     * @return the bytes read
     * @throws Exception when io_uring or its registrations are refused here, or the I/O fails
     */
    public static long registered(Path path) throws Exception {
        long n;
        // @start region="registered"
        AioEngineOptions options = AioEngineOptions.defaults()
                .withRegisteredFiles(64)          // slots per ring, for descriptors of AioFile
                .withFixedBuffers(32, 4096);      // 32 registered buffers of 4 KiB
        try (AioEngine engine = AioEngine.open("io_uring", options);
                AioFile f = AioFile.open(path, StandardOpenOption.READ)) {
            MemorySegment buf = engine.fixedBuffers().get(0);
            try (AioRead r = new AioRead(engine, f.fd(), 0, buf, 0, SigevNotify.none())) {
                Aio.lioListio(LioMode.LIO_WAIT, List.of(r), SigevNotify.none()); // READ_FIXED on a fixed file
                n = r.aioReturn();
            }
        }
        // @end
        return n;
    }

    /**
     * {@code AioFile}'s documentation: an O_DIRECT read, with a buffer aligned as the file system
     * asks ({@code statx}'s {@code STATX_DIOALIGN}).
     *
     * @param path a file of at least 4096 bytes on a file system that supports O_DIRECT
     * @return the bytes read
     * @throws Exception when the file system refuses O_DIRECT or the I/O fails
     */
    public static long directRead(Path path) throws Exception {
        long n;
        // @start region="direct"
        long align = AioProbe.directIoAlignment(path)
                .map(a -> Math.max(a.memoryAlignment(), a.offsetAlignment()))
                .orElse(4096L);                    // the usual block size when the kernel does not say
        try (AioFile f = AioFile.open(path, StandardOpenOption.READ, AioOpenOption.DIRECT)) {
            MemorySegment buf = Arena.ofAuto().allocate(4096, Math.max(align, 8));
            AioRead r = new AioRead(f.fd(), 0, buf, 0, SigevNotify.none());
            Aio.lioListio(LioMode.LIO_WAIT, List.of(r), SigevNotify.none());
            n = r.aioReturn();                    // 4096, straight from the device
            r.close();
        }
        // @end
        return n;
    }

    /**
     * {@code AioProbe}'s documentation: which engines work here, and why the others do not.
     *
     * @return one line per engine
     */
    public static List<String> engines() {
        List<String> lines = new ArrayList<>();
        // @start region="engines"
        for (AioProbe.EngineStatus e : AioProbe.engines()) {
            lines.add(e.name() + (e.works() ? " works" : " refused: " + e.reason()));
        }
        // @end
        return lines;
    }
}
