package dev.jaio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.AioEngine;
import dev.jaio.AioEngineOptions;
import dev.jaio.internal.ffi.Platform;
import org.junit.jupiter.api.Test;

/**
 * The engine loader with a platform given to it: what {@link Engines} does on musl, which this
 * machine (glibc) cannot run, is decided by {@link Platform#engineRefusal} before any engine
 * touches C, so it can be checked here.
 */
class EnginesOnPlatformTest {

    @Test
    void onMuslThePosixEngineIsRefusedWithTheReason() {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Engines.open("posix", AioEngineOptions.defaults(), Platform.LINUX_X86_64_MUSL));
        assertEquals(Platform.LINUX_X86_64_MUSL.engineRefusal("posix").orElseThrow(), e.getMessage());
    }

    @Test
    void onMuslTheIoUringAndThreadsEnginesLoad() {
        for (String name : new String[] {"io_uring", "threads"}) {
            try (AioEngine engine = Engines.open(name, AioEngineOptions.defaults(), Platform.LINUX_X86_64_MUSL)) {
                assertEquals(name, engine.name());
            }
        }
    }

    @Test
    void anUnknownEngineNameIsStillAnUnknownName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Engines.open("kqueue", AioEngineOptions.defaults(), Platform.LINUX_X86_64_MUSL));
        assertTrue(e.getMessage().contains("unknown engine"), e.getMessage());
    }
}
