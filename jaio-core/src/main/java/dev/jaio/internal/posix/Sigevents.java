package dev.jaio.internal.posix;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.jaio.SigevNotify;
import dev.jaio.internal.ffi.PosixAio;
import java.lang.foreign.MemorySegment;

/** Encodes a {@link SigevNotify} into a C {@code struct sigevent}. */
final class Sigevents {
    private Sigevents() {
    }

    /**
     * Fills {@code sigevent} (zeroing it first) and returns the {@code SIGEV_THREAD} dispatch
     * token it uses, or 0 when the notification needs none.
     */
    static long encode(SigevNotify notify, MemorySegment sigevent, boolean oneShot) {
        sigevent.fill((byte) 0);
        return switch (notify) {
            case SigevNotify.SigevNone none -> {
                sigevent.set(JAVA_INT, PosixAio.SIGEV_NOTIFY, PosixAio.SIGEV_NONE);
                yield 0;
            }
            case SigevNotify.SigevSignal s -> {
                sigevent.set(JAVA_INT, PosixAio.SIGEV_NOTIFY, PosixAio.SIGEV_SIGNAL);
                sigevent.set(JAVA_INT, PosixAio.SIGEV_SIGNO, s.signal().number());
                sigevent.set(JAVA_LONG, PosixAio.SIGEV_VALUE, s.value());
                yield 0;
            }
            case SigevNotify.SigevThread t -> {
                long token = oneShot ? SigevThreadDispatch.registerOneShot(t.callback(), t.value())
                        : SigevThreadDispatch.register(t.callback(), t.value());
                sigevent.set(JAVA_INT, PosixAio.SIGEV_NOTIFY, PosixAio.SIGEV_THREAD);
                sigevent.set(JAVA_LONG, PosixAio.SIGEV_VALUE, token);
                sigevent.set(ADDRESS, PosixAio.SIGEV_NOTIFY_FUNCTION, SigevThreadDispatch.FUNCTION);
                sigevent.set(ADDRESS, PosixAio.SIGEV_NOTIFY_ATTRIBUTES, MemorySegment.NULL);
                yield token;
            }
        };
    }
}
