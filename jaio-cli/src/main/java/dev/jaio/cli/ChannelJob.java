package dev.jaio.cli;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.EOFException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * The {@code filechannel} baseline: what a plain Java program does, one positional
 * {@link FileChannel#read(ByteBuffer, long)} or {@code write} at a time on each job's thread
 * ({@code --iodepth} does not apply). {@code --direct 1} opens the file with
 * {@link ExtendedOpenOption#DIRECT}; {@code --fsync N} calls {@code force(false)} after every N
 * writes.
 */
final class ChannelJob extends Job {
    private final BenchOptions o;
    private final BlockPicker picker;
    private FileChannel channel;
    private Arena arena;
    private MemorySegment buffer;
    private ByteBuffer bytes;
    private long ios;
    private long fsyncs;
    private long readsChecked;

    ChannelJob(Run run, int index) {
        super(run, index, new Histogram(Run.HIGHEST_LATENCY, 3));
        this.o = run.options;
        this.picker = new BlockPicker(o.blocks(), o.rw().random, o.seed(), index, index, o.numjobs());
    }

    /** The options of a JDK channel for this run: read (and write), maybe O_DIRECT. */
    static Set<OpenOption> openOptions(BenchOptions o) {
        Set<OpenOption> opts = new HashSet<>();
        opts.add(StandardOpenOption.READ);
        if (o.rw().writes) {
            opts.add(StandardOpenOption.WRITE);
        }
        if (o.direct()) {
            opts.add(ExtendedOpenOption.DIRECT);
        }
        return opts;
    }

    @Override
    void setUp() throws Exception {
        channel = FileChannel.open(run.file.path, openOptions(o));
        arena = Arena.ofConfined();
        buffer = arena.allocate(o.bs(), DataPattern.PAGE);
        bytes = buffer.asByteBuffer();
    }

    @Override
    void io() throws Exception {
        int bs = o.bs();
        int fsyncEvery = o.rw().writes ? o.fsync() : 0;
        int writesSinceFsync = 0;
        long all = 0;
        while (!run.stopped()) {
            long offset = picker.next() * bs;
            boolean write = o.rw() == BenchOptions.Rw.RANDRW ? picker.nextWrites(o.rwmixread()) : o.rw().writes;
            if (write) {
                run.pattern.fill(buffer, offset, bs, run.writeGeneration);
            }
            bytes.clear();
            long start = System.nanoTime();
            if (write) {
                while (bytes.hasRemaining()) {
                    channel.write(bytes, offset + bytes.position());
                }
            } else {
                while (bytes.hasRemaining()) {
                    if (channel.read(bytes, offset + bytes.position()) < 0) {
                        throw new EOFException("the file ended at " + (offset + bytes.position()));
                    }
                }
            }
            long now = System.nanoTime();
            if (write) {
                run.file.markWritten((int) (offset / bs));
                if (fsyncEvery > 0 && ++writesSinceFsync >= fsyncEvery) {
                    writesSinceFsync = 0;
                    channel.force(false);
                    fsyncs++;
                }
            } else {
                run.checkRead(buffer, offset);
                readsChecked++;
            }
            if (measured(now, start)) {
                ios++;
            }
            completions.lazySet(++all);
            if (now >= run.endNanos) {
                break;
            }
        }
    }

    @Override
    void tearDown() throws Exception {
        try {
            if (channel != null) {
                channel.close();
            }
        } finally {
            if (arena != null) {
                arena.close();
            }
        }
    }

    @Override
    long ios() {
        return ios;
    }

    @Override
    long fsyncs() {
        return fsyncs;
    }

    @Override
    long readsChecked() {
        return readsChecked;
    }
}
