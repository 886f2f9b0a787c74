package dev.jaio.internal;

import dev.jaio.internal.ffi.Descriptors;
import dev.jaio.internal.ffi.Libc;

/**
 * Which operations POSIX wants carried out in call order: every operation of a descriptor
 * without a file offset (a pipe, FIFO, socket or terminal, where bytes go and come in the order
 * of the calls) and the writes and fsyncs of an {@code O_APPEND} descriptor ("write operations
 * append to the file in the same order as the calls were made"). Reads and writes of regular
 * files (and block devices) at explicit offsets need no order and keep the engines' parallelism.
 *
 * <p>Shared by the engines that keep the order themselves (threads, io_uring; glibc keeps it for
 * posix). Each block asks once and keeps the answer: {@link Operation#inCallOrder()}.
 */
public final class CallOrder {
    /** Answers of {@link #ask}: the operation may run beside others, or must keep call order. */
    public static final int PARALLEL = 0, IN_CALL_ORDER = 1;

    private CallOrder() {
    }

    /**
     * Whether an operation of {@code kind} on {@code fd} must keep call order, asked of the
     * kernel: one {@code lseek} for a read, an {@code fcntl} and at most one {@code lseek} for a
     * write or fsync. {@link #PARALLEL}, {@link #IN_CALL_ORDER}, or {@code -errno} when the
     * descriptor could not be asked (it is not open: the operation then fails on its own with
     * EBADF, and runs as {@link #PARALLEL}).
     *
     * <p>A block asks once and keeps the answer ({@link Operation#inCallOrder()}): its descriptor
     * and its kind never change, and on a virtual machine a system call may cost as much as the
     * read itself (on the 2-CPU test VM, {@code getpid} and {@code lseek} took about as long as a
     * 4 KiB page-cache {@code pread}, 2 µs), so a block reused for reads of a regular file makes
     * none. The answer is not kept per descriptor number, since a number may be closed and reused
     * for another file between the submissions of two blocks; for one block that cannot happen
     * without breaking jaio's rule that a block must not outlive its descriptor (see
     * {@code AioFile}). {@code O_APPEND} set or cleared with {@code fcntl(F_SETFL)} after a
     * block's first submission is not seen by that block: make new blocks after such a change.
     */
    public static int ask(int fd, OpKind kind) {
        if (kind != OpKind.READ && kind != OpKind.READV) {
            int flags = Descriptors.statusFlags(fd);
            if (flags < 0) {
                return flags;
            }
            if ((flags & Libc.O_APPEND) != 0) {
                return IN_CALL_ORDER;
            }
        }
        int seekable = Descriptors.seekable(fd);
        return seekable < 0 ? seekable : seekable == 1 ? PARALLEL : IN_CALL_ORDER;
    }
}
