package dev.jaio.internal.posix;

import dev.jaio.SigevNotify;

/**
 * A {@code LIO_NOWAIT} list's notification that the posix engine delivers itself, because some
 * of the list's operations waited in its {@link DescriptorQueues} and glibc never saw them as
 * one list: it fires once, when every member has finished (completed, been canceled, or turned
 * out not to be queued). Used under the engine's submit lock only.
 */
final class ListNotice {
    private final SigevNotify notify;
    private int remaining;

    /** A notice for {@code members} operations; each reports once through {@link #memberDone()}. */
    ListNotice(int members, SigevNotify notify) {
        this.remaining = members;
        this.notify = notify;
    }

    /** One member is over (completed, canceled, or never queued); the last one fires the notification. */
    void memberDone() {
        if (remaining <= 0) {
            throw new IllegalStateException("a list notification was counted down more often than it has members");
        }
        if (--remaining == 0) {
            OwnNotifications.deliver(notify);
        }
    }
}
