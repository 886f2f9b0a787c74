package dev.jaio.bench;

import dev.jaio.Aio;
import dev.jaio.AioRead;
import dev.jaio.LioMode;
import java.io.IOException;
import java.nio.file.Path;
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
 * Benchmark 1: random 4 KiB reads from the page cache, in lists of 32 submitted with
 * {@code lio_listio(LIO_WAIT)}, then {@code aio_return} on each; the C loop of
 * {@code lio_bench FILE wait 32} and fio's batched io_uring
 * ({@code iodepth_batch_submit=32 iodepth_batch_complete_min=32}) do the same work.
 * One operation = one read: ops/s are IOPS. Run with {@code -prof gc} for allocation per read.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
public class LioWaitBenchmark {
    @Param({"io_uring", "posix", "threads"})
    String engine;

    /**
     * Where the buffers come from: {@code auto} ({@code Arena.ofAuto()}, zero copy) or
     * {@code shared} ({@code Arena.ofShared()}, staged through each block's own memory).
     */
    @Param("auto")
    String arena;

    /** The file to read; empty: see {@link BenchFiles#resolve}. */
    @Param("")
    String file;

    ReadBlocks blocks;

    @Setup(Level.Trial)
    public void open() throws IOException {
        Path p = BenchFiles.resolve(file);
        BenchFiles.warm(p);
        blocks = new ReadBlocks(engine, p, false, 42, arena);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        if (blocks != null) {
            blocks.close();
            blocks = null;
        }
    }

    /** One list of 32 reads at random offsets: submit, wait for all, finish each. */
    @Benchmark
    @OperationsPerInvocation(BenchFiles.DEPTH)
    public void cachedRead() throws IOException {
        ReadBlocks b = blocks;
        AioRead[] reads = b.reads;
        for (AioRead r : reads) {
            r.setOffset(b.nextOffset());
        }
        Aio.lioListio(LioMode.LIO_WAIT, b.all, b.none);
        for (AioRead r : reads) {
            ReadBlocks.finish(r);
        }
    }
}
