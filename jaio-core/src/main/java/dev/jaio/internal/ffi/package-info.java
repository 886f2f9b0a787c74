/**
 * The C side: the only package that makes downcalls or knows a struct layout.
 *
 * <p>One holder class per C header or kernel interface ({@link dev.jaio.internal.ffi.Libc} for
 * {@code <fcntl.h>}/{@code <stdlib.h>}/{@code <unistd.h>}/{@code <signal.h>},
 * {@link dev.jaio.internal.ffi.PosixAio} for {@code <aio.h>}, the {@code IoUring*} classes for
 * {@code <linux/io_uring.h>}), each with {@code static final} method handles called through
 * {@code invokeExact} with exact types. Every call that can fail returns a {@code long} (or
 * {@code int}) where a negative value is {@code -errno}, the convention io_uring completions use;
 * errno is captured with {@code Linker.Option.captureCallState("errno")} into a per-thread
 * segment ({@link dev.jaio.internal.ffi.CallState}), so no call allocates.
 *
 * <p>Rules: nothing here keeps per-operation state; nothing here throws for a failed system call
 * (the caller decides what {@code -errno} means); layouts name the C fields, spell out padding and
 * are checked against C by the layout tests. Bindings are created on first use, after
 * {@link dev.jaio.internal.ffi.NativeAccess#ensureEnabled()} has checked that native access is
 * enabled and that the platform's ABI is one whose layouts jaio knows
 * ({@link dev.jaio.internal.ffi.Platform}). A value that differs between architectures lives in
 * {@link dev.jaio.internal.ffi.Architecture} and nowhere else.
 */
package dev.jaio.internal.ffi;
