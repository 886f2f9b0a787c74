/**
 * JMH benchmarks of jaio (see {@code BENCHMARKS.md} at the repository root): random 4 KiB reads
 * through {@code lio_listio} on each engine, from the page cache and with {@code O_DIRECT}, next
 * to {@code AsynchronousFileChannel} and {@code FileChannel} doing the same reads.
 *
 * <p>Layer: a client of the public API {@code dev.jaio} only, like any user; nothing here may
 * reach into {@code dev.jaio.internal}. One benchmark operation is one 4 KiB read, so JMH's
 * ops/s read as IOPS ({@code @OperationsPerInvocation}). Control blocks and buffers are created
 * once per trial and re-aimed with {@code setOffset}, so the measured loop allocates only what
 * the library itself allocates.
 *
 * <p>Forks run jaio on the class path and get {@code --enable-native-access=ALL-UNNAMED} (and a
 * fixed 512 MiB heap) through {@code @Fork(jvmArgsPrepend = ...)}: JMH's {@code -jvmArgsAppend}
 * on the command line (a JFR recording, {@code -Djaio.bench.file=...}) then adds to it, while
 * {@code -jvmArgsPrepend} replaces it and must repeat the flag.
 *
 * <p>Every state is {@code Scope.Thread}: each benchmark thread drives its own engine, file and
 * blocks, and its setup and teardown run on that thread.
 */
package dev.jaio.bench;
