package dev.jaio.examples;

import dev.jaio.Aio;
import dev.jaio.AioException;
import dev.jaio.AioFile;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * The examples of {@code Aio}, {@code AioRead}, {@code AioWrite}, {@code Errno} and
 * {@code AioException}: the life of a control block. Each method is one Javadoc region and returns
 * what the example computed, so that {@code JavadocExamplesTest} can check it.
 */
public final class ProtocolExample {
    private ProtocolExample() {
    }

    /**
     * {@code Aio}'s class documentation: submit, wait, reap, and a read with {@code lio_listio}.
     *
     * @return the bytes read back
     * @throws Exception when the I/O fails
     */
    public static String protocol() throws Exception {
        // @start region="protocol"
        try (AioFile f = AioFile.tempfile(); Arena arena = Arena.ofShared()) {
            AioWrite w = AioWrite.of(f.fd(), 0, "hello".getBytes(), 0, SigevNotify.none());
            w.submit();
            Aio.aioSuspend(List.of(w), null);          // or poll w.error()
            long written = w.aioReturn();              // 5: the write is finished, w is idle
            MemorySegment buf = arena.allocate(5);
            AioRead r = new AioRead(f.fd(), 0, buf, 0, SigevNotify.none());
            Aio.lioListio(LioMode.LIO_WAIT, List.of(r), SigevNotify.none());
            long read = r.aioReturn();                 // 5, and buf holds "hello"
            w.close();
            r.close();
            // @end
            return written + " " + read + " " + new String(buf.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    /**
     * {@code AioRead}'s and {@code Errno}'s documentation: poll {@code error()}, reap, re-aim,
     * submit again.
     *
     * @return the bytes of the two reads
     * @throws Exception when the I/O fails
     */
    public static String pollAndReuse() throws Exception {
        try (AioFile f = AioFile.tempfile()) {
            try (AioWrite w = AioWrite.of(f.fd(), 0, "0123456789".getBytes(), 0, SigevNotify.none())) {
                Aio.lioListio(LioMode.LIO_WAIT, List.of(w), SigevNotify.none());
                w.aioReturn();
            }
            // @start region="poll-and-reuse"
            MemorySegment buf = Arena.ofAuto().allocate(4);
            AioRead r = new AioRead(f.fd(), 2, buf, 0, SigevNotify.none());
            r.submit();
            // ... other work while the read runs ...
            while (r.error() == Errno.EINPROGRESS) {
                Thread.sleep(1);
            }
            long n = r.aioReturn();          // 4: buf holds bytes 2..5 of the file
            String first = new String(buf.toArray(ValueLayout.JAVA_BYTE));
            r.setOffset(6);                  // re-aim the idle block and submit it again: no allocation
            r.submit();
            Aio.aioSuspend(List.of(r), null); // sleep until it is no longer in progress
            long m = r.aioReturn();          // 4: bytes 6..9
            // @end
            r.close();
            return n + " " + first + " " + m + " " + new String(buf.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    /**
     * {@code AioWrite}'s documentation: a write of a {@code byte[]} copy.
     *
     * @return the byte count
     * @throws Exception when the I/O fails
     */
    public static long writeCopy() throws Exception {
        try (AioFile f = AioFile.tempfile()) {
            // @start region="write-copy"
            AioWrite w = AioWrite.of(f.fd(), 2, "CDEF".getBytes(), 0, SigevNotify.none());
            Aio.lioListio(LioMode.LIO_WAIT, List.of(w), SigevNotify.none());
            long n = w.aioReturn();          // 4
            w.close();                       // frees the copy
            // @end
            return n;
        }
    }

    /**
     * {@code AioException}'s documentation: when a list fails for lack of resources
     * ({@code EAGAIN}), submit again exactly the blocks it did not queue; any other errno is a
     * mistake to fix, and is thrown. {@code JavadocExamplesTest} runs it with a block of priority
     * 21 ({@code EINVAL}, never queued) beside a good one.
     *
     * @param list blocks to submit, some of which may not be queued
     * @throws AioException for any failure but {@code EAGAIN}, or when the retry fails
     */
    public static void resubmitNotQueued(List<? extends Aio> list) throws AioException {
        // @start region="not-queued"
        try {
            Aio.lioListio(LioMode.LIO_NOWAIT, list, SigevNotify.none());
        } catch (AioException e) {
            // Every block of the list that is not in e.notQueued() was queued: reap it as usual.
            if (e.errno() != Errno.EAGAIN) {
                throw e;                     // not a shortage of resources: a mistake to fix
            }
            // EAGAIN: out of resources for now. Reap some queued ones, then submit exactly the rest.
            Aio.lioListio(LioMode.LIO_NOWAIT, e.notQueued(), SigevNotify.none());
        }
        // @end
    }
}
