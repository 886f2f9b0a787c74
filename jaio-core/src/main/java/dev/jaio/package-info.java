/**
 * POSIX asynchronous file I/O for Java: the public API, and nothing else.
 *
 * <p>A control block ({@link dev.jaio.AioRead}, {@link dev.jaio.AioWrite},
 * {@link dev.jaio.AioFsync}, {@link dev.jaio.AioReadv}, {@link dev.jaio.AioWritev}) is a C
 * {@code struct aiocb} made Java: submit it, learn that it completed, {@code aioReturn()} it,
 * submit it again. {@link dev.jaio.Aio#lioListio} submits a whole list with one call and tells you
 * once, or per operation, when they are done. The three engines behind it
 * ({@link dev.jaio.AioEngine}) keep the same contract.
 *
 * <p>The first example of {@code lio_listio}: write a buffer and wait for it.
 * {@snippet :
 * byte[] wbuf = "abcdef123456".getBytes();
 * try (AioFile f = AioFile.tempfile()) {
 *     AioWrite aiow = AioWrite.of(f.fd(), 2, wbuf, 0, SigevNotify.none());
 *     Aio.lioListio(LioMode.LIO_WAIT, List.of(aiow), SigevNotify.none());
 *     // At this point, we are guaranteed that aiow is complete.
 *     assert aiow.aioReturn() == wbuf.length;
 * }
 * }
 *
 * <p>Layer rules: this package names no engine class and no native function; it reaches the
 * engines through {@code dev.jaio.internal}, which is not exported.
 */
package dev.jaio;
