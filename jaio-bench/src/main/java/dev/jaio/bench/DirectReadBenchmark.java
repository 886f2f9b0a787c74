package dev.jaio.bench;

import dev.jaio.Aio;
import dev.jaio.AioRead;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Benchmark 4: random 4 KiB {@code O_DIRECT} reads (the device, not the page cache) at depth 32,
 * into 4 KiB buffers aligned to 4 KiB. Two ways to keep the depth:
 * <ul>
 *   <li>{@code refill}: 32 reads always in flight, as fio's {@code iodepth=32}: wait with
 *       {@code aio_suspend} on all 32, finish every completed one, aim it at a new offset and
 *       submit those again as one {@code LIO_NOWAIT} list;</li>
 *   <li>{@code list}: lists of 32 with {@code LIO_WAIT}, as {@link LioWaitBenchmark} (the depth
 *       falls to 0 at the end of each list while the slowest read finishes).</li>
 * </ul>
 * The file must be on a file system with {@code O_DIRECT} (not tmpfs). One operation = one read.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
public class DirectReadBenchmark {
    private static final int MASK = BenchFiles.DEPTH - 1;

    @Param({"io_uring", "posix", "threads"})
    String engine;

    @Param({"refill", "list"})
    String mode;

    /** The file to read; empty: see {@link BenchFiles#resolve}. */
    @Param("")
    String file;

    ReadBlocks blocks;
    private boolean refill;
    private final ArrayList<AioRead> again = new ArrayList<>(BenchFiles.DEPTH);
    private int cursor;

    @Setup(Level.Trial)
    public void open() throws IOException {
        refill = switch (mode) {
            case "refill" -> true;
            case "list" -> false;
            default -> throw new IllegalArgumentException("mode must be refill or list, not " + mode);
        };
        Path p = BenchFiles.resolve(file);
        blocks = new ReadBlocks(engine, p, true, 46);
        if (refill) {
            Aio.lioListio(LioMode.LIO_NOWAIT, blocks.all, blocks.none);
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        if (blocks != null) {
            blocks.close();
            blocks = null;
        }
    }

    /** 32 reads: one list of 32 ({@code list}), or 32 completions each replaced by a new read ({@code refill}). */
    @Benchmark
    @OperationsPerInvocation(BenchFiles.DEPTH)
    public void directRead() throws IOException {
        ReadBlocks b = blocks;
        AioRead[] reads = b.reads;
        if (!refill) {
            for (AioRead r : reads) {
                r.setOffset(b.nextOffset());
            }
            Aio.lioListio(LioMode.LIO_WAIT, b.all, b.none);
            for (AioRead r : reads) {
                ReadBlocks.finish(r);
            }
            return;
        }
        // Every block is in flight (or complete but not yet finished) on entry and on exit.
        int finished = 0;
        while (finished < BenchFiles.DEPTH) {
            Aio.aioSuspend(b.all, null);
            again.clear();
            for (int scanned = 0; scanned < BenchFiles.DEPTH && finished < BenchFiles.DEPTH; scanned++) {
                AioRead r = reads[cursor];
                cursor = (cursor + 1) & MASK;
                if (r.error() != Errno.EINPROGRESS) {
                    ReadBlocks.finish(r);
                    r.setOffset(b.nextOffset());
                    again.add(r);
                    finished++;
                }
            }
            if (!again.isEmpty()) {
                Aio.lioListio(LioMode.LIO_NOWAIT, again, b.none);
            }
        }
    }
}
