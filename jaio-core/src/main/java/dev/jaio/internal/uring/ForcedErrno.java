package dev.jaio.internal.uring;

import dev.jaio.Errno;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test seam's schedule of forced failures for one system call of one ring: which errno, and
 * which calls get it. The value of {@value IoUring#FAIL_ENTER_PROPERTY} and
 * {@value IoUring#FAIL_REGISTER_PROPERTY} is one of
 * <ul>
 *   <li>{@code EPERM} (any errno name, or a positive decimal errno): every call fails;</li>
 *   <li>{@code EPERM,after=N}: the first {@code N} calls reach the kernel, every later one fails;</li>
 *   <li>{@code EPERM,after=N,times=K}: the first {@code N} calls reach the kernel, the next
 *       {@code K} fail, and the ones after them reach the kernel again.</li>
 * </ul>
 * {@code after} lets a ring open and then be refused at run time, as a seccomp filter installed
 * on a thread later would; {@code times} lets a test see the engine recover once the call is
 * allowed again. A forced failure does not call the kernel at all, as seccomp does not.
 *
 * <p>Thread-safe: the calls are counted atomically, in the order they arrive.
 */
final class ForcedErrno {
    private final int errno;
    private final long after;
    private final long times;
    private final AtomicLong calls = new AtomicLong();

    ForcedErrno(int errno, long after, long times) {
        if (errno <= 0 || after < 0 || times <= 0) {
            throw new IllegalArgumentException("a forced failure needs a positive errno, after >= 0 and times > 0, not"
                    + " errno=" + errno + ", after=" + after + ", times=" + times);
        }
        this.errno = errno;
        this.after = after;
        this.times = times;
    }

    /** Counts one call: 0 if it may reach the kernel, else the positive errno it fails with. */
    int nextCall() {
        long n = calls.incrementAndGet();
        return n > after && n - after <= times ? errno : 0;
    }

    /**
     * Parses the value of {@code property}.
     *
     * @return the schedule, or {@code null} for an absent or blank value (no failure)
     * @throws IllegalArgumentException naming the accepted forms, for anything else: a typo in a
     *         test knob must not silently test the success path
     */
    static ForcedErrno parse(String property, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String[] parts = value.strip().split(",", -1);
        int errno = errno(parts[0].strip());
        long after = 0;
        long times = Long.MAX_VALUE;
        for (int i = 1; i < parts.length && errno > 0; i++) {
            String part = parts[i].strip();
            if (part.startsWith("after=") && count(part, "after=") >= 0) {
                after = count(part, "after=");
            } else if (part.startsWith("times=") && count(part, "times=") > 0) {
                times = count(part, "times=");
            } else {
                errno = -1;
            }
        }
        if (errno <= 0) {
            throw new IllegalArgumentException(property + "=" + value + " is not understood: use an errno name (EPERM,"
                    + " EACCES, ENOSYS, ...) or a positive errno number, optionally followed by ,after=N (let the"
                    + " first N calls through) and ,times=K (then fail K calls only)");
        }
        return new ForcedErrno(errno, after, times);
    }

    private static int errno(String name) {
        try {
            return !name.isEmpty() && name.chars().allMatch(Character::isDigit)
                    ? Integer.parseInt(name)
                    : Errno.valueOf(name).code();
        } catch (IllegalArgumentException notAnErrno) { // NumberFormatException included
            return -1;
        }
    }

    /** The non-negative decimal after {@code key}, or -1. */
    private static long count(String part, String key) {
        String digits = part.substring(key.length());
        try {
            return !digits.isEmpty() && digits.chars().allMatch(Character::isDigit) ? Long.parseLong(digits) : -1;
        } catch (NumberFormatException tooLong) {
            return -1;
        }
    }

    @Override
    public String toString() {
        return SetupFailure.name(errno) + (after > 0 ? " after " + after + " calls" : "")
                + (times != Long.MAX_VALUE ? " for " + times + " calls" : "");
    }
}
