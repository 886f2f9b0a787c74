/**
 * The engine "posix": the C library's own POSIX AIO. See
 * {@link dev.jaio.internal.posix.PosixEngine} for how it learns of completions without a
 * notification of its own, and why it waits in native code.
 *
 * <p>Depends on {@code dev.jaio.internal} and {@code dev.jaio.internal.ffi} only.
 */
package dev.jaio.internal.posix;
