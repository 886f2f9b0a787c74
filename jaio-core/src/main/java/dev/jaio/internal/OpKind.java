package dev.jaio.internal;

/** What a control block asks for, with the POSIX function that names it in messages. */
public enum OpKind {
    READ("aio_read"),
    WRITE("aio_write"),
    FSYNC("aio_fsync"),
    READV("aio_readv"),
    WRITEV("aio_writev");

    private final String cName;

    OpKind(String cName) {
        this.cName = cName;
    }

    /** The C function, such as {@code "aio_read"}. */
    public String cName() {
        return cName;
    }

    /** Reads and writes, plain or vectored: the kinds that carry an offset and buffers. */
    public boolean transfers() {
        return this != FSYNC;
    }

    /** Vectored kinds. */
    public boolean vectored() {
        return this == READV || this == WRITEV;
    }
}
