package dev.jaio.internal.posix;

import dev.jaio.SigevNotify;
import dev.jaio.internal.Callbacks;
import dev.jaio.internal.Failures;
import dev.jaio.internal.ffi.Libc;

/**
 * Delivers a notification the posix engine owes itself rather than glibc: that of an operation
 * the engine canceled (or glibc refused) while it waited in the engine's own queue, and that of a
 * list whose members did not all go to glibc in one {@code lio_listio}. Delivered as glibc
 * delivers them: a signal queued to the process with the value, or the callback on a new thread.
 */
final class OwnNotifications {
    private static final System.Logger LOG = System.getLogger("dev.jaio");

    private OwnNotifications() {
    }

    /** Delivers {@code notify} once; never throws for the callback's sake (see {@link Callbacks}). */
    static void deliver(SigevNotify notify) {
        switch (notify) {
            case SigevNotify.SigevNone none -> {
            }
            case SigevNotify.SigevSignal s -> {
                int r = Libc.sigqueueSelf(s.signal().number(), s.value());
                if (r < 0) {
                    LOG.log(System.Logger.Level.WARNING, "jaio posix: sigqueue(" + s.signal() + ") failed: "
                            + Failures.text(-r) + "; the notification is lost");
                }
            }
            case SigevNotify.SigevThread t -> Thread.ofPlatform().daemon().name("jaio-posix-notify")
                    .start(() -> Callbacks.run(t.callback(), t.value()));
        }
    }
}
