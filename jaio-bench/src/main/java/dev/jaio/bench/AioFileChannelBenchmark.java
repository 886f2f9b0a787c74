package dev.jaio.bench;

import dev.jaio.AioEngine;
import dev.jaio.AioFileChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
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
 * {@code AioFileChannel} beside the JDK's {@link AsynchronousFileChannel} in one shape: 32 futures
 * always outstanding on the benchmark thread, which waits for the oldest ({@code get()}), checks
 * its count and starts a new read of a random 4 KiB block of the page cache in its place. Direct
 * {@link ByteBuffer}s are reused. {@code impl}: {@code jdk}, or a jaio engine name. One operation
 * = one completed read.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
public class AioFileChannelBenchmark {
    /** The file to read; empty: see {@link BenchFiles#resolve}. */
    @Param("")
    String file;

    /** {@code jdk} (AsynchronousFileChannel.open), or the jaio engine under AioFileChannel. */
    @Param({"io_uring", "jdk"})
    String impl;

    private AioEngine engine;
    private AsynchronousFileChannel channel;
    private ByteBuffer[] buffers;
    private long[] offsets;
    private Future<Integer>[] futures;
    private int oldest;
    private long fileBlocks;
    private SplittableRandom rnd;

    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void open() throws IOException {
        Path p = BenchFiles.resolve(file);
        BenchFiles.warm(p);
        fileBlocks = BenchFiles.blocks(p);
        rnd = new SplittableRandom(45);
        if (impl.equals("jdk")) {
            channel = AsynchronousFileChannel.open(p, StandardOpenOption.READ);
        } else {
            engine = AioEngine.open(impl);
            channel = AioFileChannel.open(engine, p, StandardOpenOption.READ);
        }
        buffers = new ByteBuffer[BenchFiles.DEPTH];
        offsets = new long[BenchFiles.DEPTH];
        futures = new Future[BenchFiles.DEPTH];
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = ByteBuffer.allocateDirect(BenchFiles.BLOCK);
            start(i);
        }
    }

    private void start(int slot) {
        long off = BenchFiles.randomOffset(rnd, fileBlocks);
        offsets[slot] = off;
        futures[slot] = channel.read(buffers[slot].clear(), off);
    }

    /** Waits for the oldest read, checks it, and returns its slot. */
    private int finishOldest() throws InterruptedException, ExecutionException {
        int slot = oldest;
        oldest = (oldest + 1) % BenchFiles.DEPTH;
        int n = futures[slot].get();
        if (n != BenchFiles.BLOCK) {
            throw BenchFiles.shortRead(impl + " channel read", offsets[slot], n);
        }
        return slot;
    }

    @TearDown(Level.Trial)
    public void close() throws IOException, InterruptedException, ExecutionException {
        for (int i = 0; i < BenchFiles.DEPTH; i++) {
            finishOldest();
        }
        channel.close();
        if (engine != null) {
            engine.close();
        }
    }

    /** 32 completions, each followed by a new read in its place: the depth stays 32. */
    @Benchmark
    @OperationsPerInvocation(BenchFiles.DEPTH)
    public void futures32() throws InterruptedException, ExecutionException {
        for (int i = 0; i < BenchFiles.DEPTH; i++) {
            start(finishOldest());
        }
    }
}
