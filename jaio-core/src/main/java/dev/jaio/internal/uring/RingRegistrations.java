package dev.jaio.internal.uring;

import dev.jaio.AioEngineOptions;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What the io_uring engine registers with each of its rings, as {@link AioEngineOptions} ask:
 * its {@link FixedBuffers} (the same buffers, with the same indexes, on every ring) and an empty
 * {@link RegisteredFiles} table of its own per ring. Rings are set up lazily, so each is
 * registered when it is set up.
 *
 * <p>Immutable; any thread.
 */
final class RingRegistrations {
    /** The engine's registered buffers, or null when none are asked for. */
    private final FixedBuffers buffers;
    /** Slots of each ring's file table; 0 for none. */
    private final int fileSlots;

    /**
     * What one ring got: its file table (null when none is asked for), or why the kernel refused.
     *
     * @param files   the ring's table, or null
     * @param refusal null, or the refused registration (the ring has nothing registered then)
     */
    record Outcome(RegisteredFiles files, SetupFailure refusal) {
    }

    RingRegistrations(AioEngineOptions options) {
        this.buffers = options.fixedBufferCount() > 0
                ? new FixedBuffers(options.fixedBufferCount(), options.fixedBufferSize())
                : null;
        this.fileSlots = options.registeredFiles();
    }

    /** Whether rings get a file table. */
    boolean hasFiles() {
        return fileSlots > 0;
    }

    /** Whether there are registered buffers. */
    boolean hasBuffers() {
        return buffers != null;
    }

    /** The registered buffers, in index order; empty when none are asked for. */
    List<MemorySegment> buffers() {
        return buffers == null ? List.of() : buffers.buffers();
    }

    /** {@code buf_index} of the registered buffer holding all of {@code buffer}, or -1. */
    int bufferIndex(MemorySegment buffer) {
        return buffers == null ? -1 : buffers.indexOf(buffer);
    }

    /**
     * Registers the buffers and a file table with a new ring, before its first SQE. On a refusal
     * nothing is left half done that matters: the caller closes the ring, which drops whatever was
     * registered.
     */
    Outcome registerWith(IoUring ring) {
        if (buffers != null) {
            long r = buffers.register(ring);
            if (r < 0) {
                return new Outcome(null, buffers.refusal((int) -r));
            }
        }
        if (fileSlots == 0) {
            return new Outcome(null, null);
        }
        int[] errno = new int[1];
        RegisteredFiles files = RegisteredFiles.register(ring, fileSlots, errno);
        return files != null ? new Outcome(files, null) : new Outcome(null, filesRefusal(errno[0]));
    }

    private SetupFailure filesRefusal(int errno) {
        String why = switch (dev.jaio.Errno.of(errno)) {
            case EMFILE -> "a table of " + fileSlots + " slots is more than this process may open (RLIMIT_NOFILE,"
                    + " ulimit -n): raise the limit or ask for fewer slots (AioEngineOptions.withRegisteredFiles)";
            case EINVAL -> "this kernel does not take a sparse table of " + fileSlots + " slots (Linux 5.5 or newer;"
                    + " at most 32768 slots before 5.13)";
            case EPERM, EACCES -> "a seccomp filter or security policy forbids registering files: open the engine"
                    + " without AioEngineOptions.withRegisteredFiles";
            case ENOMEM -> "the kernel is short of memory for " + fileSlots + " slots: ask for fewer";
            default -> dev.jaio.Errno.of(errno).description();
        };
        return new SetupFailure("io_uring_register(IORING_REGISTER_FILES)", errno, why);
    }

    @Override
    public String toString() {
        return "RingRegistrations[" + (buffers == null ? "no buffers" : buffers) + ", " + fileSlots + " file slots]";
    }
}
