package dev.jaio.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
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
 * Baseline: {@link FileChannel#read(ByteBuffer, long)} ({@code pread}) of random 4 KiB blocks from
 * the page cache on the benchmark thread, one at a time, into one reused direct buffer: the
 * synchronous single-thread ceiling (fio psync qd1). One operation = one read.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
public class FileChannelBenchmark {
    /** The file to read; empty: see {@link BenchFiles#resolve}. */
    @Param("")
    String file;

    private FileChannel channel;
    private ByteBuffer buffer;
    private long fileBlocks;
    private SplittableRandom rnd;

    @Setup(Level.Trial)
    public void open() throws IOException {
        Path p = BenchFiles.resolve(file);
        BenchFiles.warm(p);
        fileBlocks = BenchFiles.blocks(p);
        rnd = new SplittableRandom(45);
        channel = FileChannel.open(p, StandardOpenOption.READ);
        buffer = ByteBuffer.allocateDirect(BenchFiles.BLOCK);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        channel.close();
    }

    /** 32 positional reads, one after another (the same count per invocation as the lists). */
    @Benchmark
    @OperationsPerInvocation(BenchFiles.DEPTH)
    public void cachedRead() throws IOException {
        for (int i = 0; i < BenchFiles.DEPTH; i++) {
            long off = BenchFiles.randomOffset(rnd, fileBlocks);
            int n = channel.read(buffer.clear(), off);
            if (n != BenchFiles.BLOCK) {
                throw BenchFiles.shortRead("FileChannel read", off, n);
            }
        }
    }
}
