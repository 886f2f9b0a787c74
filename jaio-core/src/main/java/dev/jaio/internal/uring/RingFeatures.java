package dev.jaio.internal.uring;

import dev.jaio.internal.ffi.IoUringAbi;

/**
 * What {@code io_uring_setup} granted: the ring sizes (the kernel rounds the requested count up
 * to a power of two, and makes the CQ twice the SQ unless told otherwise), the setup flags in
 * force, and the kernel's {@code IORING_FEAT_*} bits from {@code io_uring_params.features}.
 *
 * <p>Sizes are {@code __u32} in C and never above 65536 in practice (32768 SQ entries, twice
 * that for the CQ), so they fit an {@code int}; {@code setupFlags} and {@code features} are bit
 * sets kept in full 32-bit {@code int}s.
 *
 * <p>Immutable; any thread.
 *
 * @param sqEntries  SQ ring size: at most this many SQEs are outstanding between submissions
 * @param cqEntries  CQ ring size: this many completions fit before the kernel must hold them back
 * @param setupFlags the {@code IORING_SETUP_*} flags the ring was created with
 * @param features   the kernel's {@code IORING_FEAT_*} bits
 */
public record RingFeatures(int sqEntries, int cqEntries, int setupFlags, int features) {

    /** Whether every bit of {@code featureBits} ({@code IORING_FEAT_*}) is set. */
    public boolean has(int featureBits) {
        return (features & featureBits) == featureBits;
    }

    /** {@code IORING_FEAT_SINGLE_MMAP} (5.4): both rings live in one mapping. */
    public boolean singleMmap() {
        return has(IoUringAbi.IORING_FEAT_SINGLE_MMAP);
    }

    /**
     * {@code IORING_FEAT_NODROP} (5.5): completions that do not fit the CQ ring are kept by the
     * kernel ({@code IORING_SQ_CQ_OVERFLOW}) instead of being dropped and counted. Without it a
     * full CQ ring loses completions, so an engine must never have more requests in flight than
     * {@link #cqEntries()}.
     */
    public boolean noDrop() {
        return has(IoUringAbi.IORING_FEAT_NODROP);
    }

    /** {@code IORING_FEAT_SUBMIT_STABLE} (5.5): the kernel has copied what it needs from an SQE once submitted. */
    public boolean submitStable() {
        return has(IoUringAbi.IORING_FEAT_SUBMIT_STABLE);
    }

    /** {@code IORING_FEAT_EXT_ARG} (5.11): io_uring_enter can wait with a timeout. */
    public boolean extArg() {
        return has(IoUringAbi.IORING_FEAT_EXT_ARG);
    }

    /** {@code IORING_FEAT_NATIVE_WORKERS} (5.12): blocking work runs on threads of this process. */
    public boolean nativeWorkers() {
        return has(IoUringAbi.IORING_FEAT_NATIVE_WORKERS);
    }

    /** {@code IORING_FEAT_CQE_SKIP} (5.17): {@code IOSQE_CQE_SKIP_SUCCESS} is understood. */
    public boolean cqeSkip() {
        return has(IoUringAbi.IORING_FEAT_CQE_SKIP);
    }

    @Override
    public String toString() {
        return "RingFeatures[sq=" + sqEntries + ", cq=" + cqEntries
                + ", setupFlags=0x" + Integer.toHexString(setupFlags)
                + ", features=0x" + Integer.toHexString(features) + "]";
    }
}
