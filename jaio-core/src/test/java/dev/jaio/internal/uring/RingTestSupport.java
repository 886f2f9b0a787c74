package dev.jaio.internal.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.internal.ffi.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Shared pieces of the ring tests: rings, files, and a consumer that records completions. */
final class RingTestSupport {
    private RingTestSupport() {
    }

    /** A ring from the real kernel, or a failure that says why there is none. */
    static IoUring ring(int entries) {
        return IoUring.setup(entries, 0).orElseThrow();
    }

    /** Opens (creating, truncating) {@code path} read-write and returns its descriptor. */
    static int openFile(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = Libc.open(arena.allocateFrom(path.toString()), Libc.O_RDWR | Libc.O_CREAT | Libc.O_TRUNC
                    | Libc.O_CLOEXEC, 0600);
            assertTrue(fd >= 0, "open(" + path + ") failed: " + fd);
            return fd;
        }
    }

    static void closeFile(int fd) {
        assertEquals(0, Libc.close(fd), "close(" + fd + ")");
    }

    /** One completion as the kernel reported it. */
    record Cqe(long userData, int res, int flags) {
    }

    /** Records completions in order; long-lived, as an engine's consumer is. */
    static final class Recorder implements CompletionConsumer {
        final List<Cqe> seen = new ArrayList<>();

        @Override
        public void onCompletion(long userData, int res, int flags) {
            seen.add(new Cqe(userData, res, flags));
        }
    }

    /**
     * Submits what is published and reaps until {@code count} completions arrived, waiting in
     * the kernel for each missing one.
     */
    static List<Cqe> submitAndReap(IoUring ring, int count) {
        Recorder recorder = new Recorder();
        long submitted = ring.submit();
        assertTrue(submitted >= 0, "io_uring_enter submit: " + submitted);
        while (recorder.seen.size() < count) {
            if (ring.completionQueue().reap(recorder, Integer.MAX_VALUE) == 0) {
                long r = ring.enter(0, 1, dev.jaio.internal.ffi.IoUringAbi.IORING_ENTER_GETEVENTS);
                assertTrue(r >= 0, "io_uring_enter wait: " + r);
            }
        }
        return recorder.seen;
    }

    /** A native segment filled with a pattern that depends on {@code seed}. */
    static MemorySegment pattern(Arena arena, int size, int seed) {
        MemorySegment s = arena.allocate(size);
        for (int i = 0; i < size; i++) {
            s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + seed));
        }
        return s;
    }
}
