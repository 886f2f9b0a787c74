/**
 * The engine "posix": the C library's own POSIX AIO. See
 * {@link dev.jaio.internal.posix.PosixEngine} for how it learns of completions without a
 * notification of its own, why platform threads wait in native code and virtual threads park in
 * Java ({@link dev.jaio.internal.posix.CompletionWatcher}), and
 * {@link dev.jaio.internal.posix.DescriptorQueues} for how it cancels from the tail of glibc's
 * per-descriptor queues, clear of the cancel glibc 2.36 mishandles.
 *
 * <p>Depends on {@code dev.jaio.internal} and {@code dev.jaio.internal.ffi} only.
 */
package dev.jaio.internal.posix;
