package dev.jaio.internal.threads;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.AioEngineOptions;
import dev.jaio.AioFile;
import dev.jaio.AioFsyncMode;
import dev.jaio.SigevNotify;
import dev.jaio.contract.Pipe;
import dev.jaio.internal.OpKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which operations the threads engine keeps in call order ({@link dev.jaio.internal.CallOrder#ask}, kept by each block):
 * every operation of a pipe, the writes and fsyncs of an O_APPEND file, and nothing else, so
 * that reads and writes of regular files at explicit offsets keep running side by side (which no
 * contract test can see: they complete too fast to be caught running together).
 */
class SerialLanesTest {
    private static ThreadsEngine engine;

    @BeforeAll
    static void openEngine() {
        engine = new ThreadsEngine(AioEngineOptions.defaults().withThreads(1), false);
    }

    @AfterAll
    static void closeEngine() {
        engine.close();
    }

    private static boolean inCallOrder(OpKind kind, int fd) {
        ThreadsOperation op = (ThreadsOperation) engine.create(kind, fd, 0, AioFsyncMode.O_SYNC, SigevNotify.none());
        try {
            return op.inCallOrder();
        } finally {
            op.close();
        }
    }

    @Test
    void regularFilesAtExplicitOffsetsRunInParallel() throws Exception {
        try (AioFile f = AioFile.tempfile()) {
            for (OpKind kind : OpKind.values()) {
                assertFalse(inCallOrder(kind, f.fd()), kind::toString);
            }
        }
    }

    @Test
    void writesAndFsyncsOfAnAppendingDescriptorKeepCallOrderItsReadsDoNot() throws Exception {
        Path dir = Files.createTempDirectory("jaio-lanes");
        Path log = dir.resolve("log");
        try (AioFile f = AioFile.open(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            assertTrue(inCallOrder(OpKind.WRITE, f.fd()));
            assertTrue(inCallOrder(OpKind.WRITEV, f.fd()));
            assertTrue(inCallOrder(OpKind.FSYNC, f.fd()));
            assertFalse(inCallOrder(OpKind.READ, f.fd()), "reads at explicit offsets, O_APPEND or not");
            assertFalse(inCallOrder(OpKind.READV, f.fd()));
        } finally {
            Files.deleteIfExists(log);
            Files.delete(dir);
        }
    }

    @Test
    void everyOperationOfAPipeKeepsCallOrder() {
        try (Pipe p = Pipe.open()) {
            for (OpKind kind : OpKind.values()) {
                assertTrue(inCallOrder(kind, p.readFd()), kind::toString);
                assertTrue(inCallOrder(kind, p.writeFd()), kind::toString);
            }
        }
    }

    @Test
    void aDescriptorThatIsNotOpenNeedsNoOrder() {
        for (OpKind kind : OpKind.values()) {
            assertFalse(inCallOrder(kind, -1), kind::toString);
        }
    }
}
