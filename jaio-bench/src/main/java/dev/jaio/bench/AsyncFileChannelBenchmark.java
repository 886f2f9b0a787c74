package dev.jaio.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
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
 * Baseline: the JDK's {@link AsynchronousFileChannel} (on Linux a thread pool doing blocking
 * {@code pread}s; the default pool, as a user gets it) reading random 4 KiB blocks from the page
 * cache with 32 reads always in flight: a {@link CompletionHandler} hands each finished read back
 * to the benchmark thread, which aims it at a new offset and starts it again. Direct
 * {@link ByteBuffer}s are reused. One operation = one completed read.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
public class AsyncFileChannelBenchmark {
    /** The file to read; empty: see {@link BenchFiles#resolve}. */
    @Param("")
    String file;

    private AsynchronousFileChannel channel;
    private ByteBuffer[] buffers;
    private long[] offsets;
    /** Written by the pool thread before it offers the slot to {@link #done}, read after take. */
    private int[] results;
    private Throwable[] failures;
    private final ArrayBlockingQueue<Integer> done = new ArrayBlockingQueue<>(BenchFiles.DEPTH);
    private int inFlight;
    private long fileBlocks;
    private SplittableRandom rnd;

    private final CompletionHandler<Integer, Integer> handler = new CompletionHandler<>() {
        @Override
        public void completed(Integer result, Integer slot) {
            results[slot] = result;
            done.add(slot);
        }

        @Override
        public void failed(Throwable exc, Integer slot) {
            failures[slot] = exc;
            done.add(slot);
        }
    };

    @Setup(Level.Trial)
    public void open() throws IOException {
        Path p = BenchFiles.resolve(file);
        BenchFiles.warm(p);
        fileBlocks = BenchFiles.blocks(p);
        rnd = new SplittableRandom(44);
        channel = AsynchronousFileChannel.open(p, StandardOpenOption.READ);
        buffers = new ByteBuffer[BenchFiles.DEPTH];
        offsets = new long[BenchFiles.DEPTH];
        results = new int[BenchFiles.DEPTH];
        failures = new Throwable[BenchFiles.DEPTH];
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = ByteBuffer.allocateDirect(BenchFiles.BLOCK);
            start(i);
        }
    }

    private void start(int slot) {
        long off = BenchFiles.randomOffset(rnd, fileBlocks);
        offsets[slot] = off;
        channel.read(buffers[slot].clear(), off, slot, handler);
        inFlight++;
    }

    /** Takes one completed read, checks it, and returns its slot. */
    private int finishOne() throws InterruptedException {
        int slot = done.take();
        inFlight--;
        Throwable t = failures[slot];
        if (t != null) {
            throw new IllegalStateException("AsynchronousFileChannel read at " + offsets[slot] + " failed", t);
        }
        if (results[slot] != BenchFiles.BLOCK) {
            throw BenchFiles.shortRead("AsynchronousFileChannel read", offsets[slot], results[slot]);
        }
        return slot;
    }

    @TearDown(Level.Trial)
    public void close() throws IOException, InterruptedException {
        while (inFlight > 0) {
            finishOne();
        }
        channel.close();
    }

    /** 32 completions, each followed by a new read in its place: the depth stays 32. */
    @Benchmark
    @OperationsPerInvocation(BenchFiles.DEPTH)
    public void cachedRead() throws InterruptedException {
        for (int i = 0; i < BenchFiles.DEPTH; i++) {
            start(finishOne());
        }
    }
}
