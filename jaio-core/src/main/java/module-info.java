/**
 * jaio: POSIX asynchronous file I/O for the JVM ({@code aio_read}, {@code aio_write},
 * {@code aio_fsync}, {@code aio_error}, {@code aio_return}, {@code aio_cancel},
 * {@code aio_suspend} and {@code lio_listio}) through the Foreign Function &amp; Memory API.
 *
 * <p>Only {@link dev.jaio} is exported; everything under {@code dev.jaio.internal} is the
 * implementation. Native access must be enabled for this module:
 * {@code --enable-native-access=dev.jaio} on the module path, or
 * {@code --enable-native-access=ALL-UNNAMED} on the class path. Without it jaio refuses to work
 * (an {@code IllegalCallerException} naming the flag), unless the JVM runs with
 * {@code --illegal-native-access=allow}, where it works and prints one warning.
 */
module dev.jaio {
    // RuntimeMXBean's input arguments: whether the JVM runs with --illegal-native-access=allow
    // (dev.jaio.internal.ffi.NativeAccess), which leaves no system property behind.
    requires java.management;

    exports dev.jaio;
}
