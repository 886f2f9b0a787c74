package dev.jaio.bench;

import dev.jaio.Aio;
import dev.jaio.AioRead;
import dev.jaio.LioMode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
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
 * Benchmark 2: as {@link LioWaitBenchmark}, but the list is submitted with
 * {@code lio_listio(LIO_NOWAIT)} and the caller waits with {@code aio_suspend}: on the last read
 * first (reads of one list usually finish in order), then on each one still in progress, the
 * pattern of {@code lio_bench FILE nowait 32}. One operation = one read.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
public class LioNowaitBenchmark {
    @Param({"io_uring", "posix", "threads"})
    String engine;

    /** The file to read; empty: see {@link BenchFiles#resolve}. */
    @Param("")
    String file;

    ReadBlocks blocks;

    @Setup(Level.Trial)
    public void open() throws IOException {
        Path p = BenchFiles.resolve(file);
        BenchFiles.warm(p);
        blocks = new ReadBlocks(engine, p, false, 43);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        if (blocks != null) {
            blocks.close();
            blocks = null;
        }
    }

    /** One list of 32 reads: submit without waiting, suspend until each is done, finish each. */
    @Benchmark
    @OperationsPerInvocation(BenchFiles.DEPTH)
    public void cachedRead() throws IOException {
        ReadBlocks b = blocks;
        AioRead[] reads = b.reads;
        List<List<AioRead>> single = b.single;
        for (AioRead r : reads) {
            r.setOffset(b.nextOffset());
        }
        Aio.lioListio(LioMode.LIO_NOWAIT, b.all, b.none);
        int last = reads.length - 1;
        Aio.aioSuspend(single.get(last), null);
        for (int i = 0; i < last; i++) {
            // Returns at once for a read that is already complete.
            Aio.aioSuspend(single.get(i), null);
            ReadBlocks.finish(reads[i]);
        }
        ReadBlocks.finish(reads[last]);
    }
}
