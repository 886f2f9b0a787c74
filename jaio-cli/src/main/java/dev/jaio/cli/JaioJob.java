package dev.jaio.cli;

import dev.jaio.Aio;
import dev.jaio.AioEngine;
import dev.jaio.AioException;
import dev.jaio.AioFile;
import dev.jaio.AioFsync;
import dev.jaio.AioFsyncMode;
import dev.jaio.AioOpenOption;
import dev.jaio.AioRead;
import dev.jaio.AioWrite;
import dev.jaio.Errno;
import dev.jaio.LioMode;
import dev.jaio.SigevNotify;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * A job on a jaio engine, the loop of a C program around {@code lio_listio}: {@code depth}
 * control blocks, reused for the whole run (re-aimed with {@code setOffset}); submitted in lists
 * of {@code batch} with {@link Aio#lioListio} ({@link LioMode#LIO_WAIT} when one list holds the
 * whole depth, else {@link LioMode#LIO_NOWAIT}); completions found with {@link Aio#aioSuspend}
 * and {@link Aio#error()}, finished with {@link Aio#aioReturn()}; every finished block goes back
 * into the next list, so that {@code depth} operations stay in flight. An {@link AioFsync} follows
 * every {@code --fsync} writes. Nothing is allocated per operation by this loop.
 *
 * <p>Each job opens the file itself (its own descriptor, as fio's jobs do: glibc's AIO queues the
 * requests of one descriptor behind each other).
 */
final class JaioJob extends Job {
    /** The slot of the fsync block in the in-flight list. */
    private static final int FSYNC_SLOT = -1;
    private static final long EAGAIN_BACKOFF = TimeUnit.MICROSECONDS.toNanos(50);

    private final AioEngine engine;
    private final BenchOptions.Rw rw;
    private final int bs;
    private final int depth;
    private final int batch;
    private final int fsyncEvery;
    private final int writeGeneration;
    private final BlockPicker picker;

    private AioFile file;
    private final List<Aio> owned = new ArrayList<>();
    private MemorySegment[] buffers;
    private AioRead[] reads;
    private AioWrite[] writes;
    private AioFsync fsync;
    private long[] offsets;
    private long[] submittedAt;
    private boolean[] writing;
    private BlockList pending;
    private BlockList inflight;
    private BlockList list;

    private long ios;
    private long all;
    private long fsyncs;
    private long readsChecked;
    private int writesSinceFsync;

    JaioJob(Run run, int index, AioEngine engine) {
        super(run, index, new Histogram(Run.HIGHEST_LATENCY, 3));
        this.engine = engine;
        BenchOptions o = run.options;
        this.rw = o.rw();
        this.bs = o.bs();
        this.depth = run.depth;
        this.batch = run.batch;
        this.fsyncEvery = rw.writes ? o.fsync() : 0;
        this.writeGeneration = run.writeGeneration;
        this.picker = new BlockPicker(o.blocks(), rw.random, o.seed(), index, index, o.numjobs());
    }

    @Override
    void setUp() throws Exception {
        List<OpenOption> opts = new ArrayList<>(List.of(StandardOpenOption.READ));
        if (rw.writes) {
            opts.add(StandardOpenOption.WRITE);
        }
        if (run.options.direct()) {
            opts.add(AioOpenOption.DIRECT);
        }
        file = AioFile.open(run.file.path, opts.toArray(OpenOption[]::new));
        // An automatic arena: engine threads and the kernel use the buffers after submit, and
        // only memory that no thread can free while they do goes to the kernel as it is (a
        // closeable arena's buffers would go through a copy; see jaio's BufferLifetime).
        Arena arena = Arena.ofAuto();
        int fd = file.fd();
        buffers = new MemorySegment[depth];
        reads = new AioRead[depth];
        writes = new AioWrite[depth];
        offsets = new long[depth];
        submittedAt = new long[depth];
        writing = new boolean[depth];
        // --fixedbufs 1: the engine's registered buffers, depth of them per job (READ_FIXED).
        List<MemorySegment> fixed = engine.fixedBuffers();
        for (int s = 0; s < depth; s++) {
            buffers[s] = fixed.isEmpty() ? arena.allocate(bs, DataPattern.PAGE) : fixed.get(index * depth + s);
            if (rw.reads()) {
                reads[s] = own(new AioRead(engine, fd, 0, buffers[s], 0, SigevNotify.none()));
            }
            if (rw.writes) {
                writes[s] = own(new AioWrite(engine, fd, 0, buffers[s], 0, SigevNotify.none()));
            }
        }
        if (fsyncEvery > 0) {
            fsync = own(new AioFsync(engine, fd, AioFsyncMode.O_SYNC, 0, SigevNotify.none()));
        }
        pending = new BlockList(depth);
        inflight = new BlockList(depth + 1);
        list = new BlockList(depth);
        for (int s = 0; s < depth; s++) {
            aim(s);
        }
    }

    private <T extends Aio> T own(T block) {
        owned.add(block);
        return block;
    }

    @Override
    void io() throws Exception {
        LioMode mode = batch == depth ? LioMode.LIO_WAIT : LioMode.LIO_NOWAIT;
        long end = run.endNanos;
        boolean stopping = false;
        while (true) {
            boolean waited = false;
            if (!stopping && pending.size() >= batch) {
                waited = submit(mode);
            }
            if (inflight.isEmpty()) {
                // Only after EAGAIN left every block of the list unqueued: try again shortly.
                if (stopping || System.nanoTime() >= end || run.stopped()) {
                    break;
                }
                LockSupport.parkNanos(EAGAIN_BACKOFF);
                continue;
            }
            if (!waited && !Aio.aioSuspend(inflight, Run.PATIENCE)) {
                throw new Run.Failure(run.contender + " completed none of " + inflight.size() + " operations in "
                        + Run.PATIENCE.toSeconds() + " s");
            }
            long now = System.nanoTime();
            for (int i = inflight.size() - 1; i >= 0; i--) {
                Aio block = inflight.get(i);
                if (block.error() == Errno.EINPROGRESS) {
                    continue;
                }
                int slot = inflight.slot(i);
                inflight.removeSwap(i);
                if (slot == FSYNC_SLOT) {
                    fsync.aioReturn();
                    fsyncs++;
                } else {
                    complete(slot, block, now, stopping);
                }
            }
            completions.lazySet(all);
            if (!stopping && (now >= end || run.stopped())) {
                stopping = true;
            }
            if (fsyncEvery > 0 && !stopping && writesSinceFsync >= fsyncEvery && !fsync.inProgress()) {
                writesSinceFsync -= fsyncEvery;
                fsync.submit();
                inflight.add(fsync, FSYNC_SLOT);
            }
        }
    }

    /**
     * Submits the pending blocks in lists of {@code batch}, as long as a whole list is pending.
     *
     * @return whether every list went in with LIO_WAIT, so every submitted block is complete
     */
    private boolean submit(LioMode mode) throws AioException {
        boolean allQueued = true;
        while (pending.size() >= batch) {
            list.clear();
            for (int k = 0; k < batch; k++) {
                int last = pending.size() - 1;
                list.add(pending.get(last), pending.slot(last));
                pending.removeSwap(last);
            }
            long t = System.nanoTime();
            for (int k = 0; k < batch; k++) {
                submittedAt[list.slot(k)] = t;
            }
            try {
                Aio.lioListio(mode, list, SigevNotify.none());
            } catch (AioException e) {
                // EAGAIN: some were not queued, for now (a full queue); they wait for the next
                // round. EIO after LIO_WAIT: one failed; aioReturn() will say which and why.
                if (e.errno() != Errno.EAGAIN && !(mode == LioMode.LIO_WAIT && e.errno() == Errno.EIO)) {
                    throw e;
                }
            }
            for (int k = 0; k < batch; k++) {
                Aio block = list.get(k);
                if (block.inProgress()) {
                    inflight.add(block, list.slot(k));
                } else {
                    pending.add(block, list.slot(k));
                    allQueued = false;
                }
            }
            list.clear();
            if (!allQueued) {
                return false;
            }
        }
        return mode == LioMode.LIO_WAIT;
    }

    /** Finishes the operation of {@code slot}: result, data check, latency; re-aims it unless stopping. */
    private void complete(int slot, Aio block, long now, boolean stopping) throws AioException, Run.Failure {
        long n = block.aioReturn();
        long offset = offsets[slot];
        if (n != bs) {
            throw new Run.Failure(run.contender + ": " + (writing[slot] ? "aio_write" : "aio_read") + " at offset "
                    + offset + " transferred " + n + " bytes, not " + bs);
        }
        if (writing[slot]) {
            run.file.markWritten((int) (offset / bs));
            writesSinceFsync++;
        } else {
            run.checkRead(buffers[slot], offset);
            readsChecked++;
        }
        if (measured(now, submittedAt[slot])) {
            ios++;
        }
        all++;
        if (!stopping) {
            aim(slot);
        }
    }

    /** Picks the next block for {@code slot}, prepares its buffer and block, and queues it. */
    private void aim(int slot) {
        long offset = picker.next() * bs;
        boolean write = rw == BenchOptions.Rw.RANDRW ? picker.nextWrites(run.options.rwmixread()) : rw.writes;
        offsets[slot] = offset;
        writing[slot] = write;
        Aio block;
        if (write) {
            run.pattern.fill(buffers[slot], offset, bs, writeGeneration);
            writes[slot].setOffset(offset);
            block = writes[slot];
        } else {
            reads[slot].setOffset(offset);
            block = reads[slot];
        }
        pending.add(block, slot);
    }

    @Override
    void tearDown() throws Exception {
        try {
            // close() cancels and waits for what is still in flight (only after a failure).
            for (Aio block : owned) {
                block.close();
            }
        } finally {
            if (file != null) {
                file.close();
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
