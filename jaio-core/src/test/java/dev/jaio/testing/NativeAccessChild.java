package dev.jaio.testing;

import dev.jaio.AioEngine;
import dev.jaio.AioFile;
import dev.jaio.AioWrite;
import dev.jaio.SigevNotify;

/**
 * The child JVM of {@code NativeAccessRequiredTest}: uses jaio twice and prints what it got. It
 * lives outside the packages of module {@code dev.jaio}, so that it can run from the class path
 * while jaio is on the module path.
 */
public final class NativeAccessChild {
    private NativeAccessChild() {
    }

    /**
     * Writes one byte to a temporary file, then asks for the default engine.
     *
     * @param args ignored
     * @throws Exception never on purpose: failures are printed
     */
    public static void main(String[] args) throws Exception {
        try (AioFile f = AioFile.tempfile()) {
            AioWrite.of(f.fd(), 0, new byte[] {1}, 0, SigevNotify.none()).close();
            System.out.println("FIRST: NO FAILURE");
        } catch (IllegalCallerException e) {
            System.out.println("FIRST: FAILED: " + e.getMessage());
        }
        try {
            AioEngine.defaultEngine();
            System.out.println("SECOND: NO FAILURE");
        } catch (Throwable e) {
            System.out.println("SECOND: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
