/**
 * The engine "threads": positional system calls on a pool of Java threads. See
 * {@link dev.jaio.internal.threads.ThreadsEngine} for its sizes, fsync ordering and cancel rules,
 * {@link dev.jaio.internal.threads.WorkShards} for how submitting threads and workers share the
 * work without one lock for all, {@link dev.jaio.internal.threads.SerialLanes} for call order.
 *
 * <p>Depends on {@code dev.jaio.internal} and {@code dev.jaio.internal.ffi} only.
 */
package dev.jaio.internal.threads;
