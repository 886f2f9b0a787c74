/**
 * What the engines share, below the public API and above the engines.
 *
 * <ul>
 *   <li>{@link dev.jaio.internal.Operation}: a block's life cycle (idle, in progress, returned,
 *       closed), the same for every engine.</li>
 *   <li>{@link dev.jaio.internal.AbstractEngine}: list validation and partial submission, waiting
 *       in slices with interrupts and deadlines, orphaned operations kept alive until their I/O
 *       ends, and closing (cancel, drain, free).</li>
 *   <li>{@link dev.jaio.internal.JavaCompletingEngine}: for engines that learn of completions in
 *       Java (io_uring, threads): waking waiters and carrying out notifications.</li>
 *   <li>{@link dev.jaio.internal.Failures}: the one place where {@code -errno} becomes an
 *       exception.</li>
 * </ul>
 *
 * <p>Rules: results are {@code long}s, {@code >= 0} for success and {@code -errno} for failure,
 * until {@link dev.jaio.internal.Failures} turns them into exceptions at the edge. This package
 * may use {@code dev.jaio.internal.ffi}; engines ({@code posix}, {@code uring}, {@code threads})
 * depend on it and on {@code ffi}, never on each other. Only {@link dev.jaio.internal.Engines}
 * names them all.
 */
package dev.jaio.internal;
