package dev.jaio;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.contract.Pipe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * io_uring where a security policy lets {@code io_uring_setup} through but refuses
 * {@code io_uring_enter} or {@code io_uring_register} (a seccomp filter can): the engine must not
 * be chosen when it cannot work, and a refusal at run time must fail the operations concerned
 * with their errno, never break the engine. The refusals are forced through the ring layer's test
 * seam ({@code dev.jaio.internal.uring.failEnter} and {@code failRegister}, read once per ring),
 * each case in a child JVM: the default engine is chosen once per process, and the seam counts
 * calls from the ring's first.
 */
class UringEnterRefusedTest {
    private static final String FAIL_ENTER = "dev.jaio.internal.uring.failEnter";
    private static final String FAIL_REGISTER = "dev.jaio.internal.uring.failRegister";
    private static final int BLOCK = 512;

    // ------------------------------------------------------------------ refused from the start

    @Test
    void enterRefusedFromTheStartMeansIoUringIsNotChosen(@TempDir Path dir) throws Exception {
        String out = child(dir, FAIL_ENTER + "=EPERM", UringEngineTest.FallbackChild.class);
        assertTrue(out.contains("OPEN REFUSED io_uring_enter refused: EPERM ("), out);
        assertTrue(out.contains("REFUSAL io_uring_enter refused: EPERM ("), out);
        assertTrue(out.contains("DEFAULT threads"), out);
        assertTrue(out.contains("jaio: default engine threads (io_uring refused: io_uring_enter refused: EPERM"), out);
        assertTrue(out.contains("seccomp"), out);
    }

    @Test
    void registerRefusedNamesIoUringRegisterFirst(@TempDir Path dir) throws Exception {
        String out = child(dir, FAIL_REGISTER + "=EPERM", UringEngineTest.FallbackChild.class);
        String expected = "io_uring_register(IORING_REGISTER_PROBE) refused: EPERM (a seccomp filter or security"
                + " policy forbids it";
        assertTrue(out.contains("OPEN REFUSED " + expected), out);
        assertTrue(out.contains("REFUSAL " + expected), out);
        assertTrue(out.contains("DEFAULT threads"), out);
        assertTrue(out.contains("jaio: default engine threads (io_uring refused: " + expected), out);
    }

    @Test
    void eventfdRegistrationRefusedNamesItsCause(@TempDir Path dir) throws Exception {
        // The probe is the ring's first io_uring_register, the eventfd its second.
        String out = child(dir, FAIL_REGISTER + "=EPERM,after=1", UringEngineTest.FallbackChild.class);
        String expected = "io_uring_register(IORING_REGISTER_EVENTFD) refused: EPERM (a seccomp filter or security"
                + " policy forbids it";
        assertTrue(out.contains("OPEN REFUSED " + expected), out);
        assertTrue(out.contains("DEFAULT threads"), out);
    }

    /** What the probe reports for every engine: io_uring not available, and why. */
    public static final class ProbeChild {
        public static void main(String[] args) {
            for (AioProbe.EngineStatus e : AioProbe.engines()) {
                System.out.println("ENGINE " + e.name() + " " + e.works() + " " + e.reason());
            }
        }
    }

    @Test
    void theProbeShowsTheReason(@TempDir Path dir) throws Exception {
        String out = child(dir, FAIL_ENTER + "=EPERM", ProbeChild.class);
        assertTrue(out.contains("ENGINE io_uring false io_uring_enter refused: EPERM ("), out);
        assertTrue(out.contains("ENGINE threads true"), out);
    }

    // ------------------------------------------------------------------ refused at run time

    /**
     * Scenarios run in a child whose ring lets the calls the scenario names through and refuses
     * the next one(s): the ring's first io_uring_enter is the engine's check when it opens.
     */
    public static final class RunTimeChild {
        public static void main(String[] args) throws Exception {
            switch (args[0]) {
                case "submit" -> submit();
                case "list" -> list(LioMode.valueOf(args[1]));
                case "cancel" -> cancel();
                case "fsync" -> heldBackFsync();
                default -> throw new IllegalArgumentException(args[0]);
            }
            System.out.println("CHILD OK");
        }

        /** failEnter=EPERM,after=1,times=1: the submit's io_uring_enter is refused, once. */
        static void submit() throws Exception {
            try (AioEngine engine = AioEngine.open("io_uring"); AioFile f = AioFile.tempfile();
                    Arena arena = Arena.ofShared()) {
                MemorySegment buf = arena.allocate(BLOCK);
                buf.fill((byte) 7);
                AioWrite w = new AioWrite(engine, f.fd(), 0, buf, 0, SigevNotify.none());
                AioException e = assertThrows(AioException.class, w::submit);
                assertEquals(Errno.EPERM, e.errno(), e.getMessage());
                assertFalse(w.inProgress());
                assertEquals(Errno.EPERM, w.error());
                w.submit(); // io_uring_enter is allowed again: the same block goes through
                assertTrue(Aio.aioSuspend(List.of(w), Duration.ofSeconds(10)));
                assertEquals(BLOCK, w.aioReturn());
                AioRead r = new AioRead(engine, f.fd(), 0, arena.allocate(BLOCK), 0, SigevNotify.none());
                Aio.lioListio(LioMode.LIO_WAIT, List.of(r), SigevNotify.none());
                assertEquals(BLOCK, r.aioReturn());
                assertEquals(-1, r.buffer().mismatch(buf));
            }
        }

        /**
         * failEnter=EPERM,after=2,times=1 and a ring of 4: a list of 10 writes is submitted 4 at a
         * time; the first 4 go (enter 2), the next 4 are refused (enter 3), the last 2 never get
         * an SQE. Exactly the last 6 are not queued; the first 4 complete.
         */
        static void list(LioMode mode) throws Exception {
            try (AioEngine engine = AioEngine.open("io_uring", AioEngineOptions.defaults().withQueueDepth(4));
                    AioFile f = AioFile.tempfile(); Arena arena = Arena.ofShared()) {
                List<AioWrite> writes = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    MemorySegment b = arena.allocate(BLOCK);
                    b.fill((byte) (i + 1));
                    writes.add(new AioWrite(engine, f.fd(), (long) i * BLOCK, b, 0, SigevNotify.none()));
                }
                AioException e = assertThrows(AioException.class,
                        () -> Aio.lioListio(mode, writes, SigevNotify.none()));
                assertEquals(mode == LioMode.LIO_NOWAIT ? Errno.EPERM : Errno.EIO, e.errno(), e.getMessage());
                assertEquals(writes.subList(4, 10), e.notQueued(), e.getMessage());
                for (AioWrite w : writes.subList(4, 10)) {
                    assertFalse(w.inProgress());
                    assertEquals(Errno.EPERM, w.error());
                }
                for (AioWrite w : writes.subList(0, 4)) {
                    assertTrue(w.inProgress());
                    while (w.error() == Errno.EINPROGRESS) {
                        assertTrue(Aio.aioSuspend(List.of(w), Duration.ofSeconds(10)));
                    }
                    assertEquals(BLOCK, w.aioReturn());
                }
                // Nothing stale was left in the ring: submitting again writes each block once.
                Aio.lioListio(LioMode.LIO_WAIT, e.notQueued(), SigevNotify.none());
                for (AioWrite w : writes.subList(4, 10)) {
                    assertEquals(BLOCK, w.aioReturn());
                }
                AioRead all = new AioRead(engine, f.fd(), 0, arena.allocate(10 * BLOCK), 0, SigevNotify.none());
                Aio.lioListio(LioMode.LIO_WAIT, List.of(all), SigevNotify.none());
                assertEquals(10 * BLOCK, all.aioReturn());
                byte[] file = all.buffer().toArray(JAVA_BYTE);
                for (int i = 0; i < file.length; i++) {
                    assertEquals((byte) (i / BLOCK + 1), file[i], "byte " + i);
                }
            }
        }

        /**
         * failEnter=EPERM,after=2,times=2: the read is submitted (enter 2), the cancel and
         * aioCancelAll are refused (enters 3 and 4), a second cancel goes through.
         */
        static void cancel() throws Exception {
            try (AioEngine engine = AioEngine.open("io_uring"); Pipe pipe = Pipe.open();
                    Arena arena = Arena.ofShared()) {
                AioRead read = new AioRead(engine, pipe.readFd(), 0, arena.allocate(4), 0, SigevNotify.none());
                read.submit();
                AioException one = assertThrows(AioException.class, read::cancel);
                assertEquals(Errno.EPERM, one.errno(), one.getMessage());
                AioException all = assertThrows(AioException.class, () -> engine.aioCancelAll(pipe.readFd()));
                assertEquals(Errno.EPERM, all.errno(), all.getMessage());
                assertEquals(Errno.EINPROGRESS, read.error(), "a refused cancel leaves the read running");
                assertEquals(AioCancelStat.AIO_CANCELED, read.cancel());
                assertTrue(Aio.aioSuspend(List.of(read), Duration.ofSeconds(10)));
                assertEquals(Errno.ECANCELED, read.error());
                pipe.closeWriteEnd();
            }
        }

        /**
         * failEnter=EPERM,after=2,times=1: an fsync held back behind a write stuck on a full pipe
         * (enter 2) is submitted by the reaper once the write completes, and that enter (3) is
         * refused: the fsync, already accepted, completes with EPERM.
         */
        static void heldBackFsync() throws Exception {
            try (AioEngine engine = AioEngine.open("io_uring"); Pipe pipe = Pipe.open();
                    Arena arena = Arena.ofShared()) {
                pipe.write(new byte[pipe.capacity()]);
                AioWrite stuck = new AioWrite(engine, pipe.writeFd(), 0, arena.allocate(4), 0, SigevNotify.none());
                stuck.submit();
                AioFsync sync = new AioFsync(engine, pipe.writeFd(), AioFsyncMode.O_DSYNC, 0, SigevNotify.none());
                sync.submit();
                pipe.read(pipe.capacity());
                assertTrue(Aio.aioSuspend(List.of(stuck), Duration.ofSeconds(10)));
                assertEquals(4, stuck.aioReturn());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (sync.error() == Errno.EINPROGRESS && System.nanoTime() < deadline) {
                    Aio.aioSuspend(List.of(sync), Duration.ofMillis(100));
                }
                assertEquals(Errno.EPERM, sync.error());
                AioException e = assertThrows(AioException.class, sync::aioReturn);
                assertEquals(Errno.EPERM, e.errno());
                sync.submit(); // allowed again: fsync(2) of a pipe is EINVAL
                assertTrue(Aio.aioSuspend(List.of(sync), Duration.ofSeconds(10)));
                assertEquals(Errno.EINVAL, sync.error());
            }
        }
    }

    @Test
    void submitRefusedAtRunTimeFailsTheBlockWithItsErrno(@TempDir Path dir) throws Exception {
        String out = child(dir, FAIL_ENTER + "=EPERM,after=1,times=1", RunTimeChild.class, "submit");
        assertTrue(out.contains("CHILD OK"), out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"LIO_NOWAIT", "LIO_WAIT"})
    void listRefusedAtRunTimeNamesExactlyTheBlocksNotQueued(String mode, @TempDir Path dir) throws Exception {
        String out = child(dir, FAIL_ENTER + "=EPERM,after=2,times=1", RunTimeChild.class, "list", mode);
        assertTrue(out.contains("CHILD OK"), out);
    }

    @Test
    void cancelRefusedAtRunTimeIsAnAioException(@TempDir Path dir) throws Exception {
        String out = child(dir, FAIL_ENTER + "=EPERM,after=2,times=2", RunTimeChild.class, "cancel");
        assertTrue(out.contains("CHILD OK"), out);
    }

    @Test
    void heldBackFsyncRefusedAtRunTimeCompletesWithTheErrno(@TempDir Path dir) throws Exception {
        String out = child(dir, FAIL_ENTER + "=EPERM,after=2,times=1", RunTimeChild.class, "fsync");
        assertTrue(out.contains("CHILD OK"), out);
    }

    // ------------------------------------------------------------------ the child JVM

    /** Runs {@code main} with {@code property} set and DEBUG logging of {@code dev.jaio}; its output. */
    private static String child(Path dir, String property, Class<?> main, String... args) throws Exception {
        Path logging = dir.resolve("logging.properties");
        Files.writeString(logging, """
                handlers=java.util.logging.ConsoleHandler
                java.util.logging.ConsoleHandler.level=ALL
                dev.jaio.level=ALL
                """);
        String surefire = System.getProperty("surefire.test.class.path");
        String classPath = surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-D" + property,
                "-Djava.util.logging.config.file=" + logging, "-cp", classPath, main.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        boolean ended = p.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly().waitFor();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(ended, "the child did not end within 60 s: " + out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
