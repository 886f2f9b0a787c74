package dev.jaio.internal.ffi;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.Optional;

/**
 * The kernel ABI of {@code <linux/io_uring.h>}: struct layouts, their field offsets and the
 * constants jaio's io_uring layer uses. Nothing here calls the kernel; see {@link Syscall} and
 * {@link Mman} for that.
 *
 * <p>Layouts carry the C field names, including the kernel's own padding fields, and use the C
 * width of every field ({@code __u8} is {@code byte}, {@code __u16} {@code short}, {@code __u32}
 * {@code int}, {@code __u64} {@code long}); Java reads them signed, so callers widen unsigned
 * values with {@link Byte#toUnsignedInt}, {@link Short#toUnsignedInt} or
 * {@link Integer#toUnsignedLong}. C's anonymous unions are unnamed union layouts; their members
 * are found by name through {@link #offsetOf}. Offsets used on the hot path are {@code static
 * final long} constants computed from the layouts once, so the layouts are the single source of
 * truth, and {@code IoUringLayoutTest} holds both against {@code offsetof}/{@code sizeof} printed
 * by C programs built against the x86_64 and the aarch64 header (the latter run under qemu-user).
 *
 * <p>The ABI is the same on every 64-bit Linux architecture (the structs contain only
 * fixed-width fields), and it only grows: new kernels add opcodes, flags and fields in reserved
 * space, never move old ones. Kernel versions in the comments say from which release a constant
 * is understood; an older kernel rejects it (usually with {@code EINVAL}).
 *
 * <p>Immutable; usable from any thread.
 *
 * @see <a href="https://man7.org/linux/man-pages/man7/io_uring.7.html">io_uring(7)</a>
 */
public final class IoUringAbi {
    private IoUringAbi() {
    }

    // ---------------------------------------------------------------------------------------
    // struct io_uring_sqe
    // ---------------------------------------------------------------------------------------

    /**
     * {@code struct io_uring_sqe}, 64 bytes (the 128-byte {@code IORING_SETUP_SQE128} variant is
     * not used by jaio). Union members that jaio never writes are left out of the unions; they
     * all share the offset and width of the member shown.
     * {@snippet lang=c :
     * struct io_uring_sqe {
     *     __u8    opcode;         // type of operation for this sqe
     *     __u8    flags;          // IOSQE_ flags
     *     __u16   ioprio;         // ioprio for the request
     *     __s32   fd;             // file descriptor to do IO on
     *     union { __u64 off; __u64 addr2; struct { __u32 cmd_op; __u32 __pad1; }; };
     *     union { __u64 addr; __u64 splice_off_in; };
     *     __u32   len;            // buffer size or number of iovecs
     *     union { __u32 rw_flags; __u32 fsync_flags; __u32 cancel_flags; ... };
     *     __u64   user_data;      // data to be passed back at completion time
     *     union { __u16 buf_index; __u16 buf_group; } __attribute__((packed));
     *     __u16   personality;
     *     union { __s32 splice_fd_in; __u32 file_index; struct { __u16 addr_len; __u16 __pad3[1]; }; };
     *     union { struct { __u64 addr3; __u64 __pad2[1]; }; __u8 cmd[0]; };
     * };
     * }
     */
    public static final StructLayout IO_URING_SQE = MemoryLayout.structLayout(
            JAVA_BYTE.withName("opcode"),
            JAVA_BYTE.withName("flags"),
            JAVA_SHORT.withName("ioprio"),
            JAVA_INT.withName("fd"),
            MemoryLayout.unionLayout(
                    JAVA_LONG.withName("off"),
                    JAVA_LONG.withName("addr2"),
                    MemoryLayout.structLayout(JAVA_INT.withName("cmd_op"), JAVA_INT.withName("__pad1"))),
            MemoryLayout.unionLayout(
                    JAVA_LONG.withName("addr"),
                    JAVA_LONG.withName("splice_off_in")),
            JAVA_INT.withName("len"),
            MemoryLayout.unionLayout(
                    JAVA_INT.withName("rw_flags"),
                    JAVA_INT.withName("fsync_flags"),
                    JAVA_INT.withName("timeout_flags"),
                    JAVA_INT.withName("cancel_flags")),
            JAVA_LONG.withName("user_data"),
            MemoryLayout.unionLayout(
                    JAVA_SHORT.withName("buf_index"),
                    JAVA_SHORT.withName("buf_group")),
            JAVA_SHORT.withName("personality"),
            MemoryLayout.unionLayout(
                    JAVA_INT.withName("splice_fd_in"),
                    JAVA_INT.withName("file_index"),
                    MemoryLayout.structLayout(
                            JAVA_SHORT.withName("addr_len"),
                            MemoryLayout.sequenceLayout(1, JAVA_SHORT).withName("__pad3"))),
            MemoryLayout.structLayout(
                    JAVA_LONG.withName("addr3"),
                    MemoryLayout.sequenceLayout(1, JAVA_LONG).withName("__pad2")))
            .withName("io_uring_sqe");

    /** {@code sizeof(struct io_uring_sqe)}: 64. */
    public static final long SQE_SIZE = IO_URING_SQE.byteSize();
    /** {@code __u8 opcode}: an {@code IORING_OP_*}. */
    public static final long SQE_OPCODE = offsetOf(IO_URING_SQE, "opcode");
    /** {@code __u8 flags}: {@code IOSQE_*}. */
    public static final long SQE_FLAGS = offsetOf(IO_URING_SQE, "flags");
    /** {@code __u16 ioprio}. */
    public static final long SQE_IOPRIO = offsetOf(IO_URING_SQE, "ioprio");
    /** {@code __s32 fd}. */
    public static final long SQE_FD = offsetOf(IO_URING_SQE, "fd");
    /** {@code __u64 off}: file offset ({@code addr2} in the same union). */
    public static final long SQE_OFF = offsetOf(IO_URING_SQE, "off");
    /** {@code __u64 addr}: buffer or iovec array; for ASYNC_CANCEL the target's user_data. */
    public static final long SQE_ADDR = offsetOf(IO_URING_SQE, "addr");
    /** {@code __u32 len}: buffer length, or number of iovecs. */
    public static final long SQE_LEN = offsetOf(IO_URING_SQE, "len");
    /** {@code __u32 rw_flags}: the per-opcode flags union (RWF_* for reads and writes). */
    public static final long SQE_RW_FLAGS = offsetOf(IO_URING_SQE, "rw_flags");
    /** {@code __u32 fsync_flags} ({@link #IORING_FSYNC_DATASYNC}); same word as rw_flags. */
    public static final long SQE_FSYNC_FLAGS = offsetOf(IO_URING_SQE, "fsync_flags");
    /** {@code __u32 cancel_flags} ({@code IORING_ASYNC_CANCEL_*}); same word as rw_flags. */
    public static final long SQE_CANCEL_FLAGS = offsetOf(IO_URING_SQE, "cancel_flags");
    /** {@code __u64 user_data}: returned unchanged in the CQE. */
    public static final long SQE_USER_DATA = offsetOf(IO_URING_SQE, "user_data");
    /** {@code __u16 buf_index}. */
    public static final long SQE_BUF_INDEX = offsetOf(IO_URING_SQE, "buf_index");
    /** {@code __u16 personality}. */
    public static final long SQE_PERSONALITY = offsetOf(IO_URING_SQE, "personality");
    /** {@code __s32 splice_fd_in} / {@code __u32 file_index}. */
    public static final long SQE_FILE_INDEX = offsetOf(IO_URING_SQE, "file_index");
    /** {@code __u64 addr3}. */
    public static final long SQE_ADDR3 = offsetOf(IO_URING_SQE, "addr3");
    /** {@code __u64 __pad2[1]}. */
    public static final long SQE_PAD2 = offsetOf(IO_URING_SQE, "__pad2");

    // ---------------------------------------------------------------------------------------
    // struct io_uring_cqe
    // ---------------------------------------------------------------------------------------

    /**
     * {@code struct io_uring_cqe}, 16 bytes (the 32-byte {@code IORING_SETUP_CQE32} variant, whose
     * extra words are the flexible {@code big_cqe[]}, is not used by jaio).
     * {@snippet lang=c :
     * struct io_uring_cqe {
     *     __u64   user_data;  // sqe->data submission passed back
     *     __s32   res;        // result code for this event: >= 0, or -errno
     *     __u32   flags;      // IORING_CQE_F_*
     *     __u64   big_cqe[];
     * };
     * }
     */
    public static final StructLayout IO_URING_CQE = MemoryLayout.structLayout(
            JAVA_LONG.withName("user_data"),
            JAVA_INT.withName("res"),
            JAVA_INT.withName("flags"))
            .withName("io_uring_cqe");

    /** {@code sizeof(struct io_uring_cqe)}: 16. */
    public static final long CQE_SIZE = IO_URING_CQE.byteSize();
    /** {@code __u64 user_data}. */
    public static final long CQE_USER_DATA = offsetOf(IO_URING_CQE, "user_data");
    /** {@code __s32 res}. */
    public static final long CQE_RES = offsetOf(IO_URING_CQE, "res");
    /** {@code __u32 flags}. */
    public static final long CQE_FLAGS = offsetOf(IO_URING_CQE, "flags");

    // ---------------------------------------------------------------------------------------
    // struct io_sqring_offsets, struct io_cqring_offsets, struct io_uring_params
    // ---------------------------------------------------------------------------------------

    /**
     * {@code struct io_sqring_offsets}: where the words of the SQ ring lie in its mapping,
     * filled in by {@code io_uring_setup}. Linux 6.5 renamed {@code resv2} to {@code user_addr}
     * (used with {@code IORING_SETUP_NO_MMAP}); the offset is the same.
     * {@snippet lang=c :
     * struct io_sqring_offsets {
     *     __u32 head;
     *     __u32 tail;
     *     __u32 ring_mask;
     *     __u32 ring_entries;
     *     __u32 flags;
     *     __u32 dropped;
     *     __u32 array;
     *     __u32 resv1;
     *     __u64 user_addr;    // resv2 before Linux 6.5
     * };
     * }
     */
    public static final StructLayout IO_SQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"),
            JAVA_INT.withName("tail"),
            JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("dropped"),
            JAVA_INT.withName("array"),
            JAVA_INT.withName("resv1"),
            JAVA_LONG.withName("user_addr"))
            .withName("io_sqring_offsets");

    /** {@code io_sqring_offsets.head}. */
    public static final long SQ_OFF_HEAD = offsetOf(IO_SQRING_OFFSETS, "head");
    /** {@code io_sqring_offsets.tail}. */
    public static final long SQ_OFF_TAIL = offsetOf(IO_SQRING_OFFSETS, "tail");
    /** {@code io_sqring_offsets.ring_mask}. */
    public static final long SQ_OFF_RING_MASK = offsetOf(IO_SQRING_OFFSETS, "ring_mask");
    /** {@code io_sqring_offsets.ring_entries}. */
    public static final long SQ_OFF_RING_ENTRIES = offsetOf(IO_SQRING_OFFSETS, "ring_entries");
    /** {@code io_sqring_offsets.flags}. */
    public static final long SQ_OFF_FLAGS = offsetOf(IO_SQRING_OFFSETS, "flags");
    /** {@code io_sqring_offsets.dropped}. */
    public static final long SQ_OFF_DROPPED = offsetOf(IO_SQRING_OFFSETS, "dropped");
    /** {@code io_sqring_offsets.array}. */
    public static final long SQ_OFF_ARRAY = offsetOf(IO_SQRING_OFFSETS, "array");

    /**
     * {@code struct io_cqring_offsets}: where the words of the CQ ring lie in its mapping.
     * As in {@link #IO_SQRING_OFFSETS}, {@code resv2} became {@code user_addr} in Linux 6.5.
     * {@snippet lang=c :
     * struct io_cqring_offsets {
     *     __u32 head;
     *     __u32 tail;
     *     __u32 ring_mask;
     *     __u32 ring_entries;
     *     __u32 overflow;
     *     __u32 cqes;
     *     __u32 flags;
     *     __u32 resv1;
     *     __u64 user_addr;    // resv2 before Linux 6.5
     * };
     * }
     */
    public static final StructLayout IO_CQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"),
            JAVA_INT.withName("tail"),
            JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"),
            JAVA_INT.withName("overflow"),
            JAVA_INT.withName("cqes"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("resv1"),
            JAVA_LONG.withName("user_addr"))
            .withName("io_cqring_offsets");

    /** {@code io_cqring_offsets.head}. */
    public static final long CQ_OFF_HEAD = offsetOf(IO_CQRING_OFFSETS, "head");
    /** {@code io_cqring_offsets.tail}. */
    public static final long CQ_OFF_TAIL = offsetOf(IO_CQRING_OFFSETS, "tail");
    /** {@code io_cqring_offsets.ring_mask}. */
    public static final long CQ_OFF_RING_MASK = offsetOf(IO_CQRING_OFFSETS, "ring_mask");
    /** {@code io_cqring_offsets.ring_entries}. */
    public static final long CQ_OFF_RING_ENTRIES = offsetOf(IO_CQRING_OFFSETS, "ring_entries");
    /** {@code io_cqring_offsets.overflow}. */
    public static final long CQ_OFF_OVERFLOW = offsetOf(IO_CQRING_OFFSETS, "overflow");
    /** {@code io_cqring_offsets.cqes}. */
    public static final long CQ_OFF_CQES = offsetOf(IO_CQRING_OFFSETS, "cqes");
    /** {@code io_cqring_offsets.flags}. */
    public static final long CQ_OFF_FLAGS = offsetOf(IO_CQRING_OFFSETS, "flags");

    /**
     * {@code struct io_uring_params}: in, the requested flags (and {@code cq_entries} with
     * {@link #IORING_SETUP_CQSIZE}); out, the granted sizes, the kernel's feature bits and the
     * ring offsets. Every other byte must be zero on input, or the kernel answers EINVAL.
     * {@snippet lang=c :
     * struct io_uring_params {
     *     __u32 sq_entries;
     *     __u32 cq_entries;
     *     __u32 flags;
     *     __u32 sq_thread_cpu;
     *     __u32 sq_thread_idle;
     *     __u32 features;
     *     __u32 wq_fd;
     *     __u32 resv[3];
     *     struct io_sqring_offsets sq_off;
     *     struct io_cqring_offsets cq_off;
     * };
     * }
     */
    public static final StructLayout IO_URING_PARAMS = MemoryLayout.structLayout(
            JAVA_INT.withName("sq_entries"),
            JAVA_INT.withName("cq_entries"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("sq_thread_cpu"),
            JAVA_INT.withName("sq_thread_idle"),
            JAVA_INT.withName("features"),
            JAVA_INT.withName("wq_fd"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv"),
            IO_SQRING_OFFSETS.withName("sq_off"),
            IO_CQRING_OFFSETS.withName("cq_off"))
            .withName("io_uring_params");

    /** {@code io_uring_params.sq_entries}. */
    public static final long PARAMS_SQ_ENTRIES = offsetOf(IO_URING_PARAMS, "sq_entries");
    /** {@code io_uring_params.cq_entries}. */
    public static final long PARAMS_CQ_ENTRIES = offsetOf(IO_URING_PARAMS, "cq_entries");
    /** {@code io_uring_params.flags}. */
    public static final long PARAMS_FLAGS = offsetOf(IO_URING_PARAMS, "flags");
    /** {@code io_uring_params.sq_thread_idle}: milliseconds the SQPOLL thread polls before it sleeps. */
    public static final long PARAMS_SQ_THREAD_IDLE = offsetOf(IO_URING_PARAMS, "sq_thread_idle");
    /** {@code io_uring_params.wq_fd}: the ring whose workers (and, with SQPOLL, poller) to share; {@link #IORING_SETUP_ATTACH_WQ}. */
    public static final long PARAMS_WQ_FD = offsetOf(IO_URING_PARAMS, "wq_fd");
    /** {@code io_uring_params.features}. */
    public static final long PARAMS_FEATURES = offsetOf(IO_URING_PARAMS, "features");
    /** {@code io_uring_params.sq_off}: add an {@code SQ_OFF_*} constant to read one field. */
    public static final long PARAMS_SQ_OFF = offsetOf(IO_URING_PARAMS, "sq_off");
    /** {@code io_uring_params.cq_off}: add a {@code CQ_OFF_*} constant to read one field. */
    public static final long PARAMS_CQ_OFF = offsetOf(IO_URING_PARAMS, "cq_off");

    // ---------------------------------------------------------------------------------------
    // struct io_uring_probe, struct io_uring_probe_op
    // ---------------------------------------------------------------------------------------

    /**
     * {@code struct io_uring_probe_op}, 8 bytes: one element of {@code io_uring_probe.ops[]}.
     * {@snippet lang=c :
     * struct io_uring_probe_op {
     *     __u8  op;
     *     __u8  resv;
     *     __u16 flags;    // IO_URING_OP_* flags
     *     __u32 resv2;
     * };
     * }
     */
    public static final StructLayout IO_URING_PROBE_OP = MemoryLayout.structLayout(
            JAVA_BYTE.withName("op"),
            JAVA_BYTE.withName("resv"),
            JAVA_SHORT.withName("flags"),
            JAVA_INT.withName("resv2"))
            .withName("io_uring_probe_op");

    /** {@code sizeof(struct io_uring_probe_op)}: 8. */
    public static final long PROBE_OP_SIZE = IO_URING_PROBE_OP.byteSize();
    /** {@code io_uring_probe_op.op}. */
    public static final long PROBE_OP_OP = offsetOf(IO_URING_PROBE_OP, "op");
    /** {@code io_uring_probe_op.flags}. */
    public static final long PROBE_OP_FLAGS = offsetOf(IO_URING_PROBE_OP, "flags");

    /**
     * {@code struct io_uring_probe} without its flexible array: 16 bytes, followed in memory by
     * {@code ops_len} elements of {@link #IO_URING_PROBE_OP} at {@link #PROBE_OPS}.
     * {@snippet lang=c :
     * struct io_uring_probe {
     *     __u8  last_op;  // last opcode supported
     *     __u8  ops_len;  // length of ops[] array below
     *     __u16 resv;
     *     __u32 resv2[3];
     *     struct io_uring_probe_op ops[];
     * };
     * }
     */
    public static final StructLayout IO_URING_PROBE = MemoryLayout.structLayout(
            JAVA_BYTE.withName("last_op"),
            JAVA_BYTE.withName("ops_len"),
            JAVA_SHORT.withName("resv"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv2"))
            .withName("io_uring_probe");

    /** {@code io_uring_probe.last_op}. */
    public static final long PROBE_LAST_OP = offsetOf(IO_URING_PROBE, "last_op");
    /** {@code io_uring_probe.ops_len}. */
    public static final long PROBE_OPS_LEN = offsetOf(IO_URING_PROBE, "ops_len");
    /** {@code offsetof(struct io_uring_probe, ops)}: the flexible array starts after the header. */
    public static final long PROBE_OPS = IO_URING_PROBE.byteSize();

    /**
     * {@code struct io_uring_files_update}, the argument of {@link #IORING_REGISTER_FILES_UPDATE}:
     * 16 bytes.
     * {@snippet lang=c :
     * struct io_uring_files_update {
     *     __u32 offset;          // the first registered-file slot to replace
     *     __u32 resv;
     *     __aligned_u64 fds;     // __s32 *: nr_args descriptors, -1 empties a slot
     * };
     * }
     */
    public static final StructLayout IO_URING_FILES_UPDATE = MemoryLayout.structLayout(
            JAVA_INT.withName("offset"),
            JAVA_INT.withName("resv"),
            JAVA_LONG.withName("fds"))
            .withName("io_uring_files_update");

    /** {@code io_uring_files_update.offset}. */
    public static final long FILES_UPDATE_OFFSET = offsetOf(IO_URING_FILES_UPDATE, "offset");
    /** {@code io_uring_files_update.fds}: the address of an {@code __s32} array. */
    public static final long FILES_UPDATE_FDS = offsetOf(IO_URING_FILES_UPDATE, "fds");

    // ---------------------------------------------------------------------------------------
    // Constants
    // ---------------------------------------------------------------------------------------

    /** {@code IORING_OFF_SQ_RING}: mmap offset of the SQ ring (and, with SINGLE_MMAP, the CQ ring). */
    public static final long IORING_OFF_SQ_RING = 0L;
    /** {@code IORING_OFF_CQ_RING}: mmap offset of the CQ ring when it is mapped on its own. */
    public static final long IORING_OFF_CQ_RING = 0x8000000L;
    /** {@code IORING_OFF_SQES}: mmap offset of the SQE array. */
    public static final long IORING_OFF_SQES = 0x10000000L;

    /** {@code IORING_SETUP_SQPOLL} (5.1): a kernel thread polls the SQ; unprivileged only since 5.11. */
    public static final int IORING_SETUP_SQPOLL = 1 << 1;
    /**
     * {@code IORING_SETUP_ATTACH_WQ} (5.6): share the io-wq of ring {@code wq_fd}; with SQPOLL
     * (5.11) also its poller thread.
     */
    public static final int IORING_SETUP_ATTACH_WQ = 1 << 5;
    /** {@code IORING_SETUP_CQSIZE} (5.5): {@code cq_entries} is given by the application. */
    public static final int IORING_SETUP_CQSIZE = 1 << 3;
    /** {@code IORING_SETUP_CLAMP} (5.6): clamp oversized entry counts instead of EINVAL. */
    public static final int IORING_SETUP_CLAMP = 1 << 4;
    /** {@code IORING_SETUP_SUBMIT_ALL} (5.18): keep submitting a batch after an SQE fails. */
    public static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
    /** {@code IORING_SETUP_COOP_TASKRUN} (5.19): no IPI to run completion task work. */
    public static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;
    /** {@code IORING_SETUP_TASKRUN_FLAG} (5.19): set {@link #IORING_SQ_TASKRUN} when task work waits. */
    public static final int IORING_SETUP_TASKRUN_FLAG = 1 << 9;
    /** {@code IORING_SETUP_SINGLE_ISSUER} (6.0): only one task submits. */
    public static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;
    /** {@code IORING_SETUP_DEFER_TASKRUN} (6.1): completions run only when the issuer enters. */
    public static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;

    /** {@code IORING_FEAT_SINGLE_MMAP} (5.4): SQ and CQ rings share one mapping. */
    public static final int IORING_FEAT_SINGLE_MMAP = 1 << 0;
    /** {@code IORING_FEAT_NODROP} (5.5): CQEs that do not fit are kept, not dropped. */
    public static final int IORING_FEAT_NODROP = 1 << 1;
    /** {@code IORING_FEAT_SUBMIT_STABLE} (5.5): SQE data is consumed at submit time. */
    public static final int IORING_FEAT_SUBMIT_STABLE = 1 << 2;
    /** {@code IORING_FEAT_RW_CUR_POS} (5.6): offset -1 means the current file position. */
    public static final int IORING_FEAT_RW_CUR_POS = 1 << 3;
    /** {@code IORING_FEAT_FAST_POLL} (5.7). */
    public static final int IORING_FEAT_FAST_POLL = 1 << 5;
    /** {@code IORING_FEAT_SQPOLL_NONFIXED} (5.11): SQPOLL takes plain descriptors, not only registered files. */
    public static final int IORING_FEAT_SQPOLL_NONFIXED = 1 << 7;
    /** {@code IORING_FEAT_EXT_ARG} (5.11): io_uring_enter takes a timeout argument. */
    public static final int IORING_FEAT_EXT_ARG = 1 << 8;
    /** {@code IORING_FEAT_NATIVE_WORKERS} (5.12): io-wq workers are threads of the process. */
    public static final int IORING_FEAT_NATIVE_WORKERS = 1 << 9;
    /** {@code IORING_FEAT_CQE_SKIP} (5.17): {@link #IOSQE_CQE_SKIP_SUCCESS} is understood. */
    public static final int IORING_FEAT_CQE_SKIP = 1 << 11;
    /** {@code IORING_FEAT_LINKED_FILE} (5.17). */
    public static final int IORING_FEAT_LINKED_FILE = 1 << 12;

    /** {@code IORING_ENTER_GETEVENTS}: wait for {@code min_complete} completions. */
    public static final int IORING_ENTER_GETEVENTS = 1 << 0;

    /** {@code IORING_ENTER_SQ_WAKEUP}: wake the SQPOLL thread, which sleeps ({@link #IORING_SQ_NEED_WAKEUP}). */
    public static final int IORING_ENTER_SQ_WAKEUP = 1 << 1;

    /** {@code IORING_SQ_NEED_WAKEUP}: sq_ring->flags, the SQPOLL thread sleeps until {@link #IORING_ENTER_SQ_WAKEUP}. */
    public static final int IORING_SQ_NEED_WAKEUP = 1 << 0;
    /** {@code IORING_SQ_CQ_OVERFLOW}: sq_ring->flags, the kernel holds CQEs the CQ ring had no room for. */
    public static final int IORING_SQ_CQ_OVERFLOW = 1 << 1;
    /** {@code IORING_SQ_TASKRUN}: sq_ring->flags, task work waits for an io_uring_enter. */
    public static final int IORING_SQ_TASKRUN = 1 << 2;

    /**
     * {@code IORING_CQ_EVENTFD_DISABLED} (5.8): cq_ring->flags, written by the application only;
     * while set, the kernel signals no registered eventfd for the completions it posts.
     */
    public static final int IORING_CQ_EVENTFD_DISABLED = 1 << 0;

    /** {@code IORING_OP_NOP}. */
    public static final int IORING_OP_NOP = 0;
    /** {@code IORING_OP_READV} (5.1). */
    public static final int IORING_OP_READV = 1;
    /** {@code IORING_OP_WRITEV} (5.1). */
    public static final int IORING_OP_WRITEV = 2;
    /** {@code IORING_OP_FSYNC} (5.1). */
    public static final int IORING_OP_FSYNC = 3;
    /** {@code IORING_OP_READ_FIXED} (5.1): a read into a registered buffer ({@code sqe->buf_index}). */
    public static final int IORING_OP_READ_FIXED = 4;
    /** {@code IORING_OP_WRITE_FIXED} (5.1): a write from a registered buffer ({@code sqe->buf_index}). */
    public static final int IORING_OP_WRITE_FIXED = 5;
    /** {@code IORING_OP_ASYNC_CANCEL} (5.5). */
    public static final int IORING_OP_ASYNC_CANCEL = 14;
    /** {@code IORING_OP_READ} (5.6). */
    public static final int IORING_OP_READ = 22;
    /** {@code IORING_OP_WRITE} (5.6). */
    public static final int IORING_OP_WRITE = 23;

    /** {@code IORING_FSYNC_DATASYNC}: fsync_flags, fdatasync semantics (for O_DSYNC). */
    public static final int IORING_FSYNC_DATASYNC = 1 << 0;

    /** {@code IOSQE_FIXED_FILE} (5.1): {@code sqe->fd} is a slot of the registered file table, not a descriptor. */
    public static final int IOSQE_FIXED_FILE = 1 << 0;
    /** {@code IOSQE_IO_DRAIN} (5.2): start only after every earlier SQE completed. */
    public static final int IOSQE_IO_DRAIN = 1 << 1;
    /** {@code IOSQE_IO_LINK} (5.3): the next SQE starts after this one, and is canceled if it fails. */
    public static final int IOSQE_IO_LINK = 1 << 2;
    /** {@code IOSQE_IO_HARDLINK} (5.5): like IO_LINK, but the chain survives a failure. */
    public static final int IOSQE_IO_HARDLINK = 1 << 3;
    /** {@code IOSQE_ASYNC} (5.6): go to the io-wq worker pool at once. */
    public static final int IOSQE_ASYNC = 1 << 4;
    /** {@code IOSQE_CQE_SKIP_SUCCESS} (5.17): post no CQE if the request succeeded. */
    public static final int IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

    /** {@code IORING_ASYNC_CANCEL_ALL} (5.19): cancel every request that matches, not just one. */
    public static final int IORING_ASYNC_CANCEL_ALL = 1 << 0;
    /** {@code IORING_ASYNC_CANCEL_FD} (5.19): match on {@code sqe->fd} instead of user_data. */
    public static final int IORING_ASYNC_CANCEL_FD = 1 << 1;
    /** {@code IORING_ASYNC_CANCEL_ANY} (5.19): match any request. */
    public static final int IORING_ASYNC_CANCEL_ANY = 1 << 2;
    /** {@code IORING_ASYNC_CANCEL_USERDATA} (6.0): match on user_data (the default key). */
    public static final int IORING_ASYNC_CANCEL_USERDATA = 1 << 4;

    /** {@code IORING_REGISTER_PROBE} (5.6): io_uring_register opcode. */
    public static final int IORING_REGISTER_PROBE = 8;
    /** {@code IORING_REGISTER_EVENTFD} (5.2): the eventfd the kernel signals when it posts completions. */
    public static final int IORING_REGISTER_EVENTFD = 4;
    /** {@code IORING_REGISTER_BUFFERS} (5.1): pin an iovec array of buffers, for READ_FIXED/WRITE_FIXED. */
    public static final int IORING_REGISTER_BUFFERS = 0;
    /** {@code IORING_UNREGISTER_BUFFERS} (5.1). */
    public static final int IORING_UNREGISTER_BUFFERS = 1;
    /** {@code IORING_REGISTER_FILES} (5.1): a table of files; a -1 entry is an empty slot (5.5). */
    public static final int IORING_REGISTER_FILES = 2;
    /** {@code IORING_UNREGISTER_FILES} (5.1). */
    public static final int IORING_UNREGISTER_FILES = 3;
    /** {@code IORING_REGISTER_FILES_UPDATE} (5.5): replace slots, {@link #IO_URING_FILES_UPDATE}. */
    public static final int IORING_REGISTER_FILES_UPDATE = 6;
    /** {@code IO_URING_OP_SUPPORTED}: io_uring_probe_op.flags bit. */
    public static final int IO_URING_OP_SUPPORTED = 1 << 0;

    /** The name of an opcode jaio knows ({@code "IORING_OP_READ"}), else {@code "opcode N"}. */
    public static String opcodeName(int opcode) {
        return switch (opcode) {
            case IORING_OP_NOP -> "IORING_OP_NOP";
            case IORING_OP_READV -> "IORING_OP_READV";
            case IORING_OP_WRITEV -> "IORING_OP_WRITEV";
            case IORING_OP_FSYNC -> "IORING_OP_FSYNC";
            case IORING_OP_READ_FIXED -> "IORING_OP_READ_FIXED";
            case IORING_OP_WRITE_FIXED -> "IORING_OP_WRITE_FIXED";
            case IORING_OP_ASYNC_CANCEL -> "IORING_OP_ASYNC_CANCEL";
            case IORING_OP_READ -> "IORING_OP_READ";
            case IORING_OP_WRITE -> "IORING_OP_WRITE";
            default -> "opcode " + opcode;
        };
    }

    /**
     * The byte offset of the member called {@code name} in {@code group}, looking through C's
     * anonymous unions and structs (unnamed group layouts) as a C compiler does.
     *
     * @throws IllegalArgumentException if no member has that name
     */
    public static long offsetOf(GroupLayout group, String name) {
        return find(group, name).orElseThrow(() -> new IllegalArgumentException(
                group.name().orElse("struct") + " has no member " + name));
    }

    private static Optional<Long> find(GroupLayout group, String name) {
        long offset = 0;
        for (MemoryLayout member : group.memberLayouts()) {
            if (member.name().filter(name::equals).isPresent()) {
                return Optional.of(offset);
            }
            if (member.name().isEmpty() && member instanceof GroupLayout anonymous) {
                Optional<Long> inner = find(anonymous, name);
                if (inner.isPresent()) {
                    return Optional.of(offset + inner.get());
                }
            }
            if (group instanceof StructLayout) {
                offset += member.byteSize();
            }
        }
        return Optional.empty();
    }
}
