package dev.jaio;

import java.util.Arrays;

/**
 * An error number ({@code errno}): the small positive integer by which the C library and the
 * Linux kernel say why a call failed, with the C library's text for it.
 *
 * <p>In C a failing call returns {@code -1} and leaves the reason in the thread-local variable
 * {@code errno}; the kernel's own interfaces, io_uring completions among them, return the
 * negated number instead. The asynchronous I/O functions add a twist that jaio keeps:
 * {@code aio_error} <em>returns</em> an errno for a given operation rather than setting one.
 * So {@link Aio#error()} answers with a constant of this enum:
 * <ul>
 *   <li>{@link #EINPROGRESS} while the operation is still pending;</li>
 *   <li>{@link #SUCCESS} (code 0, which is not an error but what C reports as "no error") once
 *       it has completed successfully;</li>
 *   <li>anything else once it has failed, such as {@link #ECANCELED} after
 *       {@link Aio#cancel()} stopped it or {@link #EBADF} for a descriptor not open for the
 *       operation.</li>
 * </ul>
 * {@link AioException#errno()} carries the constant of a failed call.
 *
 * {@snippet class=dev.jaio.examples.ProtocolExample region=poll-and-reuse}
 *
 * <p>The constants are those of Linux, with the numbers Linux uses on x86_64 and aarch64 (the
 * generic numbering, shared by most architectures; MIPS, SPARC, Alpha and PA-RISC differ), in
 * numerical order, named as in {@code <errno.h>}, and described with glibc's {@code strerror}
 * texts, on musl too (whose own texts differ, such as "I/O error" for {@link #EIO}). jaio's
 * engines run only on Linux and refuse other platforms, so an {@code Errno} always
 * means what Linux means by it. Names that Linux defines as aliases of another number are not
 * separate constants: {@code EWOULDBLOCK} is {@link #EAGAIN}, {@code EDEADLOCK} is
 * {@link #EDEADLK} and {@code ENOTSUP} is {@link #EOPNOTSUPP}. A code this enum does not know
 * (the unused numbers 41 and 58, or one that a newer kernel invents) maps to {@link #UNKNOWN}.
 * The numbers from {@code 1} to {@code 133} have been stable Linux ABI for years; a test holds
 * this list against the C headers of glibc on x86_64 and aarch64 and of musl on x86_64.
 *
 * <p>{@code toString()} is the constant's name ({@code "ENOENT"}), as for any enum, so messages
 * show the name a C programmer would search for; {@link #description()} gives the text.
 *
 * <p>Immutable and safe to use from any thread.
 *
 * @see <a href="https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/errno.h.html">POSIX
 *      {@code <errno.h>}</a>
 * @see <a href="https://man7.org/linux/man-pages/man3/errno.3.html">errno(3)</a>
 */
public enum Errno {
    /** No error: {@code errno} 0, what {@link Aio#error()} reports for a successful operation. */
    SUCCESS(0, "Success"),
    // Generated from glibc 2.36's <errno.h> and strerror on Linux x86_64; checked by
    // ErrnoMatchesCTest, which prints the C side when this list falls out of date.
    /** Operation not permitted. */
    EPERM(1, "Operation not permitted"),
    /** No such file or directory. */
    ENOENT(2, "No such file or directory"),
    /** No such process. */
    ESRCH(3, "No such process"),
    /**
     * Interrupted system call. {@link Aio#aioSuspend} and {@link Aio#lioListio} in
     * {@code LIO_WAIT} mode end with this when the waiting thread is interrupted; the operations
     * go on.
     */
    EINTR(4, "Interrupted system call"),
    /** Input/output error. */
    EIO(5, "Input/output error"),
    /** No such device or address. */
    ENXIO(6, "No such device or address"),
    /** Argument list too long. */
    E2BIG(7, "Argument list too long"),
    /** Exec format error. */
    ENOEXEC(8, "Exec format error"),
    /**
     * Bad file descriptor: the descriptor is not open, or not open for the requested direction.
     * Depending on the platform an asynchronous operation reports it at submit or later through
     * {@link Aio#error()}.
     */
    EBADF(9, "Bad file descriptor"),
    /** No child processes. */
    ECHILD(10, "No child processes"),
    /**
     * Resource temporarily unavailable. Also stands for {@code EWOULDBLOCK}, which Linux defines
     * as the same number. For asynchronous I/O it means the request was not queued for lack of
     * resources (a full queue): try again once some operations have completed.
     */
    EAGAIN(11, "Resource temporarily unavailable"),
    /** Cannot allocate memory. */
    ENOMEM(12, "Cannot allocate memory"),
    /** Permission denied. */
    EACCES(13, "Permission denied"),
    /** Bad address. */
    EFAULT(14, "Bad address"),
    /** Block device required. */
    ENOTBLK(15, "Block device required"),
    /** Device or resource busy. */
    EBUSY(16, "Device or resource busy"),
    /** File exists. */
    EEXIST(17, "File exists"),
    /** Invalid cross-device link. */
    EXDEV(18, "Invalid cross-device link"),
    /** No such device. */
    ENODEV(19, "No such device"),
    /** Not a directory. */
    ENOTDIR(20, "Not a directory"),
    /** Is a directory. */
    EISDIR(21, "Is a directory"),
    /**
     * Invalid argument: for example a priority outside {@code 0..AIO_PRIO_DELTA_MAX}, a negative
     * offset, or a misaligned {@code O_DIRECT} buffer.
     */
    EINVAL(22, "Invalid argument"),
    /** Too many open files in system. */
    ENFILE(23, "Too many open files in system"),
    /** Too many open files. */
    EMFILE(24, "Too many open files"),
    /** Inappropriate ioctl for device. */
    ENOTTY(25, "Inappropriate ioctl for device"),
    /** Text file busy. */
    ETXTBSY(26, "Text file busy"),
    /** File too large. */
    EFBIG(27, "File too large"),
    /** No space left on device. */
    ENOSPC(28, "No space left on device"),
    /** Illegal seek. */
    ESPIPE(29, "Illegal seek"),
    /** Read-only file system. */
    EROFS(30, "Read-only file system"),
    /** Too many links. */
    EMLINK(31, "Too many links"),
    /** Broken pipe. */
    EPIPE(32, "Broken pipe"),
    /** Numerical argument out of domain. */
    EDOM(33, "Numerical argument out of domain"),
    /** Numerical result out of range. */
    ERANGE(34, "Numerical result out of range"),
    /**
     * Resource deadlock avoided. Also stands for {@code EDEADLOCK}, the same number on Linux
     * x86_64 and aarch64.
     */
    EDEADLK(35, "Resource deadlock avoided"),
    /** File name too long. */
    ENAMETOOLONG(36, "File name too long"),
    /** No locks available. */
    ENOLCK(37, "No locks available"),
    /** Function not implemented. */
    ENOSYS(38, "Function not implemented"),
    /** Directory not empty. */
    ENOTEMPTY(39, "Directory not empty"),
    /** Too many levels of symbolic links. */
    ELOOP(40, "Too many levels of symbolic links"),
    /** No message of desired type. */
    ENOMSG(42, "No message of desired type"),
    /** Identifier removed. */
    EIDRM(43, "Identifier removed"),
    /** Channel number out of range. */
    ECHRNG(44, "Channel number out of range"),
    /** Level 2 not synchronized. */
    EL2NSYNC(45, "Level 2 not synchronized"),
    /** Level 3 halted. */
    EL3HLT(46, "Level 3 halted"),
    /** Level 3 reset. */
    EL3RST(47, "Level 3 reset"),
    /** Link number out of range. */
    ELNRNG(48, "Link number out of range"),
    /** Protocol driver not attached. */
    EUNATCH(49, "Protocol driver not attached"),
    /** No CSI structure available. */
    ENOCSI(50, "No CSI structure available"),
    /** Level 2 halted. */
    EL2HLT(51, "Level 2 halted"),
    /** Invalid exchange. */
    EBADE(52, "Invalid exchange"),
    /** Invalid request descriptor. */
    EBADR(53, "Invalid request descriptor"),
    /** Exchange full. */
    EXFULL(54, "Exchange full"),
    /** No anode. */
    ENOANO(55, "No anode"),
    /** Invalid request code. */
    EBADRQC(56, "Invalid request code"),
    /** Invalid slot. */
    EBADSLT(57, "Invalid slot"),
    /** Bad font file format. */
    EBFONT(59, "Bad font file format"),
    /** Device not a stream. */
    ENOSTR(60, "Device not a stream"),
    /** No data available. */
    ENODATA(61, "No data available"),
    /** Timer expired. */
    ETIME(62, "Timer expired"),
    /** Out of streams resources. */
    ENOSR(63, "Out of streams resources"),
    /** Machine is not on the network. */
    ENONET(64, "Machine is not on the network"),
    /** Package not installed. */
    ENOPKG(65, "Package not installed"),
    /** Object is remote. */
    EREMOTE(66, "Object is remote"),
    /** Link has been severed. */
    ENOLINK(67, "Link has been severed"),
    /** Advertise error. */
    EADV(68, "Advertise error"),
    /** Srmount error. */
    ESRMNT(69, "Srmount error"),
    /** Communication error on send. */
    ECOMM(70, "Communication error on send"),
    /** Protocol error. */
    EPROTO(71, "Protocol error"),
    /** Multihop attempted. */
    EMULTIHOP(72, "Multihop attempted"),
    /** RFS specific error. */
    EDOTDOT(73, "RFS specific error"),
    /** Bad message. */
    EBADMSG(74, "Bad message"),
    /** Value too large for defined data type. */
    EOVERFLOW(75, "Value too large for defined data type"),
    /** Name not unique on network. */
    ENOTUNIQ(76, "Name not unique on network"),
    /** File descriptor in bad state. */
    EBADFD(77, "File descriptor in bad state"),
    /** Remote address changed. */
    EREMCHG(78, "Remote address changed"),
    /** Can not access a needed shared library. */
    ELIBACC(79, "Can not access a needed shared library"),
    /** Accessing a corrupted shared library. */
    ELIBBAD(80, "Accessing a corrupted shared library"),
    /** .lib section in a.out corrupted. */
    ELIBSCN(81, ".lib section in a.out corrupted"),
    /** Attempting to link in too many shared libraries. */
    ELIBMAX(82, "Attempting to link in too many shared libraries"),
    /** Cannot exec a shared library directly. */
    ELIBEXEC(83, "Cannot exec a shared library directly"),
    /** Invalid or incomplete multibyte or wide character. */
    EILSEQ(84, "Invalid or incomplete multibyte or wide character"),
    /** Interrupted system call should be restarted. */
    ERESTART(85, "Interrupted system call should be restarted"),
    /** Streams pipe error. */
    ESTRPIPE(86, "Streams pipe error"),
    /** Too many users. */
    EUSERS(87, "Too many users"),
    /** Socket operation on non-socket. */
    ENOTSOCK(88, "Socket operation on non-socket"),
    /** Destination address required. */
    EDESTADDRREQ(89, "Destination address required"),
    /** Message too long. */
    EMSGSIZE(90, "Message too long"),
    /** Protocol wrong type for socket. */
    EPROTOTYPE(91, "Protocol wrong type for socket"),
    /** Protocol not available. */
    ENOPROTOOPT(92, "Protocol not available"),
    /** Protocol not supported. */
    EPROTONOSUPPORT(93, "Protocol not supported"),
    /** Socket type not supported. */
    ESOCKTNOSUPPORT(94, "Socket type not supported"),
    /** Operation not supported. Also stands for {@code ENOTSUP}, the same number on Linux. */
    EOPNOTSUPP(95, "Operation not supported"),
    /** Protocol family not supported. */
    EPFNOSUPPORT(96, "Protocol family not supported"),
    /** Address family not supported by protocol. */
    EAFNOSUPPORT(97, "Address family not supported by protocol"),
    /** Address already in use. */
    EADDRINUSE(98, "Address already in use"),
    /** Cannot assign requested address. */
    EADDRNOTAVAIL(99, "Cannot assign requested address"),
    /** Network is down. */
    ENETDOWN(100, "Network is down"),
    /** Network is unreachable. */
    ENETUNREACH(101, "Network is unreachable"),
    /** Network dropped connection on reset. */
    ENETRESET(102, "Network dropped connection on reset"),
    /** Software caused connection abort. */
    ECONNABORTED(103, "Software caused connection abort"),
    /** Connection reset by peer. */
    ECONNRESET(104, "Connection reset by peer"),
    /** No buffer space available. */
    ENOBUFS(105, "No buffer space available"),
    /** Transport endpoint is already connected. */
    EISCONN(106, "Transport endpoint is already connected"),
    /** Transport endpoint is not connected. */
    ENOTCONN(107, "Transport endpoint is not connected"),
    /** Cannot send after transport endpoint shutdown. */
    ESHUTDOWN(108, "Cannot send after transport endpoint shutdown"),
    /** Too many references: cannot splice. */
    ETOOMANYREFS(109, "Too many references: cannot splice"),
    /** Connection timed out. */
    ETIMEDOUT(110, "Connection timed out"),
    /** Connection refused. */
    ECONNREFUSED(111, "Connection refused"),
    /** Host is down. */
    EHOSTDOWN(112, "Host is down"),
    /** No route to host. */
    EHOSTUNREACH(113, "No route to host"),
    /** Operation already in progress. */
    EALREADY(114, "Operation already in progress"),
    /**
     * Operation now in progress: what {@link Aio#error()} reports while an asynchronous operation
     * has not completed yet. Not a failure; call {@link Aio#aioReturn()} only once {@code error()}
     * says something else.
     */
    EINPROGRESS(115, "Operation now in progress"),
    /** Stale file handle. */
    ESTALE(116, "Stale file handle"),
    /** Structure needs cleaning. */
    EUCLEAN(117, "Structure needs cleaning"),
    /** Not a XENIX named type file. */
    ENOTNAM(118, "Not a XENIX named type file"),
    /** No XENIX semaphores available. */
    ENAVAIL(119, "No XENIX semaphores available"),
    /** Is a named type file. */
    EISNAM(120, "Is a named type file"),
    /** Remote I/O error. */
    EREMOTEIO(121, "Remote I/O error"),
    /** Disk quota exceeded. */
    EDQUOT(122, "Disk quota exceeded"),
    /** No medium found. */
    ENOMEDIUM(123, "No medium found"),
    /** Wrong medium type. */
    EMEDIUMTYPE(124, "Wrong medium type"),
    /**
     * Operation canceled: what {@link Aio#error()} reports for an operation that
     * {@link Aio#cancel()} stopped before it completed.
     */
    ECANCELED(125, "Operation canceled"),
    /** Required key not available. */
    ENOKEY(126, "Required key not available"),
    /** Key has expired. */
    EKEYEXPIRED(127, "Key has expired"),
    /** Key has been revoked. */
    EKEYREVOKED(128, "Key has been revoked"),
    /** Key was rejected by service. */
    EKEYREJECTED(129, "Key was rejected by service"),
    /** Owner died. */
    EOWNERDEAD(130, "Owner died"),
    /** State not recoverable. */
    ENOTRECOVERABLE(131, "State not recoverable"),
    /** Operation not possible due to RF-kill. */
    ERFKILL(132, "Operation not possible due to RF-kill"),
    /** Memory page has hardware error. */
    EHWPOISON(133, "Memory page has hardware error"),
    /**
     * A code that this enum does not know, as {@link #of(int)} reports it. Its code, {@code -1},
     * is no real errno; it comes last so that the constants above stay in numerical order.
     */
    UNKNOWN(-1, "Unknown error");

    /**
     * Constants by code, for {@link #of(int)}: one array load, no search and no allocation,
     * since errno lookups sit on the completion path of every failed operation. Holes (41, 58)
     * hold {@link #UNKNOWN} so that a lookup needs no null check.
     */
    private static final Errno[] BY_CODE;

    static {
        int max = 0;
        for (Errno e : values()) {
            max = Math.max(max, e.code);
        }
        Errno[] byCode = new Errno[max + 1];
        Arrays.fill(byCode, UNKNOWN);
        for (Errno e : values()) {
            if (e != UNKNOWN) {
                byCode[e.code] = e;
            }
        }
        BY_CODE = byCode;
    }

    private final int code;
    private final String description;

    Errno(int code, String description) {
        this.code = code;
        this.description = description;
    }

    /**
     * The number C uses, as in {@code errno == EAGAIN}.
     *
     * @return the Linux errno value; {@code 0} for {@link #SUCCESS}, {@code -1} for
     *         {@link #UNKNOWN}
     */
    public int code() {
        return code;
    }

    /**
     * The C library's message for this errno, as glibc's {@code strerror} gives it in the
     * {@code C} locale, for example {@code "No such file or directory"} for {@link #ENOENT}.
     * Other C libraries word some messages differently (musl says {@code "Not a tty"} for
     * {@link #ENOTTY}); jaio keeps glibc's so that its messages read the same everywhere.
     *
     * @return the message, never {@code null}; {@code "Unknown error"} for {@link #UNKNOWN}
     */
    public String description() {
        return description;
    }

    /**
     * The constant for an errno number, as {@code aio_error}, {@code errno} or a negated io_uring
     * result gives it. Runs in constant time without allocating or throwing, so it is fit for hot
     * completion paths.
     *
     * @param code an errno value; {@code 0} gives {@link #SUCCESS}. Negate a kernel-style
     *             {@code -errno} result first.
     * @return the constant with that code, or {@link #UNKNOWN} when there is none (negative
     *         codes, gaps, codes above the last known one)
     */
    public static Errno of(int code) {
        Errno[] byCode = BY_CODE;
        // One unsigned comparison rejects both negative codes and codes past the end.
        return Integer.compareUnsigned(code, byCode.length) < 0 ? byCode[code] : UNKNOWN;
    }
}
