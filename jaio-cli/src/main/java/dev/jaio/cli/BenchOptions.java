package dev.jaio.cli;

import dev.jaio.AioEngine;
import dev.jaio.AioEngineOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The options of {@code jaio bench}, parsed and checked: fio's vocabulary ({@code --rw},
 * {@code --bs}, {@code --iodepth}, ...) with fio's suffixes. Every value is final once
 * {@link #parse} returns; what can be checked without touching the file system is checked there
 * (the file itself is checked by {@link BenchFile}).
 *
 * <p>Immutable.
 *
 * @param engines the contenders in the order asked, or empty for the default (every jaio engine
 *        that works here, then the two JDK baselines)
 * @param iodepthBatch operations per {@code lio_listio} list; 0 means "the depth"
 * @param direct whether to open the file with O_DIRECT; when not {@code directGiven}, the
 *        default, until {@link DirectIoDefault} chooses for the file system at hand
 *        ({@link #withDirect})
 * @param directGiven whether {@code --direct} was on the command line
 * @param filename the file to use, or null for a temporary file
 * @param depths the depths {@code --compare} sweeps, ascending
 * @param fio whether to run fio's equivalent of each run beside it ({@code --fio})
 * @param rounds how many times every run is measured, in turns ({@code --rounds}); the table
 *        shows the median
 * @param api how the jaio engines (and afc, filechannel where the shape applies) are driven:
 *        {@link #API_LISTS} and the others, see {@code jaio help bench}
 * @param ring io_uring's registered files, registered buffers and SQPOLL, for jaio's engine
 *        and fio alike
 */
record BenchOptions(Rw rw, int rwmixread, int bs, int iodepth, int iodepthBatch, long size, long runtimeNanos,
                    long rampNanos, int numjobs, boolean direct, boolean directGiven, int fsync, Path filename,
                    List<String> engines, long seed, boolean json, boolean compare, List<Integer> depths, Path chart,
                    boolean fio, int rounds, String api, RingOptions ring) {

    /**
     * {@code --registerfiles}, {@code --fixedbufs} and {@code --sqpoll}: io_uring options, asked
     * of jaio's io_uring engine ({@link AioEngineOptions}) and of fio ({@code --fio}) alike.
     * Other engines ignore them.
     *
     * @param registerFiles a registered-file table, as fio's {@code --registerfiles=1}
     * @param fixedBufs every job's buffers registered with the kernel, as fio's {@code --fixedbufs=1}
     * @param sqPoll a kernel poller thread, as fio's {@code --sqthread_poll=1}
     */
    record RingOptions(boolean registerFiles, boolean fixedBufs, boolean sqPoll) {
        static final RingOptions NONE = new RingOptions(false, false, false);
        /** fio leaves {@code sq_thread_idle} at 0, the kernel's default of one second: the same here. */
        static final int SQPOLL_IDLE_MILLIS = 1000;

        /** The engine options for {@code jobs} jobs of {@code depth} buffers of {@code bs} bytes each. */
        AioEngineOptions engineOptions(int jobs, int depth, int bs) {
            AioEngineOptions o = AioEngineOptions.defaults();
            if (registerFiles) {
                o = o.withRegisteredFiles(jobs + 8); // each job's descriptor, on whichever ring it uses
            }
            if (fixedBufs) {
                o = o.withFixedBuffers(jobs * depth, bs);
            }
            if (sqPoll) {
                o = o.withSqPoll(SQPOLL_IDLE_MILLIS);
            }
            return o;
        }

        /** fio's spelling of the same options. */
        List<String> fioFlags() {
            List<String> flags = new ArrayList<>(3);
            if (registerFiles) {
                flags.add("--registerfiles=1");
            }
            if (fixedBufs) {
                flags.add("--fixedbufs=1");
            }
            if (sqPoll) {
                flags.add("--sqthread_poll=1");
            }
            return flags;
        }

        /** ", registered files, fixed buffers, SQPOLL" for the header, or "" for none. */
        String describe() {
            return (registerFiles ? ", registered files" : "") + (fixedBufs ? ", fixed buffers" : "")
                    + (sqPoll ? ", SQPOLL" : "");
        }
    }

    /** {@code --api}: lio_listio lists (the default), AioFileChannel handlers, futures on one thread, virtual threads. */
    static final String API_LISTS = "lists", API_CHANNEL = "channel", API_FUTURES = "futures", API_VTHREADS = "vthreads";

    /** {@code --rw}: the access pattern, as fio names it. */
    enum Rw {
        READ(false, false), WRITE(false, true), RANDREAD(true, false), RANDWRITE(true, true), RANDRW(true, true);

        final boolean random;
        /** Whether the run writes at all (and so needs the file open for writing and checked after). */
        final boolean writes;

        Rw(boolean random, boolean writes) {
            this.random = random;
            this.writes = writes;
        }

        /** The fio spelling: {@code randread}. */
        String fio() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Whether the run reads at all. */
        boolean reads() {
            return this == READ || this == RANDREAD || this == RANDRW;
        }
    }

    /** The JDK baseline with positional {@code FileChannel} reads and writes, one per job thread. */
    static final String FILECHANNEL = "filechannel";
    /** The JDK baseline with {@code AsynchronousFileChannel}, {@code --iodepth} outstanding per job. */
    static final String AFC = "afc";
    static final List<String> BASELINES = List.of(FILECHANNEL, AFC);

    static final int DEFAULT_BS = 4096;
    static final int DEFAULT_DEPTH = 32;
    static final long DEFAULT_SIZE = 256L << 20;
    static final long DEFAULT_RUNTIME = TimeUnit.SECONDS.toNanos(3);
    static final long DEFAULT_RAMP = TimeUnit.SECONDS.toNanos(1);
    static final long DEFAULT_SEED = 1;
    static final List<Integer> DEFAULT_DEPTHS = List.of(1, 8, 32, 128);
    static final Path DEFAULT_CHART = Path.of("jaio-compare.svg");
    /** Limits that keep a typo from asking for a million threads or a 2 GiB buffer per block. */
    static final int MAX_BS = 64 << 20;
    static final int MAX_DEPTH = 4096;
    static final int MAX_JOBS = 256;
    static final int MAX_ROUNDS = 99;

    private static final Pattern SIZE = Pattern.compile("(\\d+)([kmgt]?)(i?b)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?", Pattern.CASE_INSENSITIVE);

    /** The options with every default, as {@code jaio bench} alone runs. */
    static BenchOptions defaults() {
        try {
            return parse(List.of());
        } catch (UsageException e) {
            throw new AssertionError(e);
        }
    }

    /** These options with O_DIRECT on or off (the default's choice, see {@link DirectIoDefault}). */
    BenchOptions withDirect(boolean on) {
        return new BenchOptions(rw, rwmixread, bs, iodepth, iodepthBatch, size, runtimeNanos, rampNanos, numjobs, on,
                directGiven, fsync, filename, engines, seed, json, compare, depths, chart, fio, rounds, api, ring);
    }

    /** Whether {@code --bs} can be read and written with O_DIRECT (a power of two, at least a sector). */
    static boolean directBlockSize(int bs) {
        return Integer.bitCount(bs) == 1 && bs >= 512;
    }

    /** The batch actually used at {@code depth}: the one asked for, at most the depth. */
    int batchAt(int depth) {
        return iodepthBatch == 0 ? depth : Math.min(iodepthBatch, depth);
    }

    /** The number of blocks of {@link #bs} the run spreads over. */
    long blocks() {
        return size / bs;
    }

    /** Parses the arguments after {@code bench}. */
    static BenchOptions parse(List<String> args) throws UsageException {
        Rw rw = Rw.RANDREAD;
        int rwmixread = 50;
        int bs = DEFAULT_BS;
        int iodepth = DEFAULT_DEPTH;
        int batch = 0;
        long size = DEFAULT_SIZE;
        long runtime = DEFAULT_RUNTIME;
        long ramp = DEFAULT_RAMP;
        int numjobs = 1;
        boolean registerFiles = false;
        boolean fixedBufs = false;
        boolean sqPoll = false;
        boolean direct = false;
        boolean directGiven = false;
        int fsync = 0;
        Path filename = null;
        List<String> engines = List.of();
        long seed = DEFAULT_SEED;
        boolean json = false;
        boolean compare = false;
        List<Integer> depths = null;
        Path chart = null;
        boolean fio = false;
        int rounds = 1;
        String api = API_LISTS;

        for (int i = 0; i < args.size(); i++) {
            String word = args.get(i);
            if (!word.startsWith("--")) {
                throw new UsageException("bench takes options only, got '" + word + "' (try 'jaio help bench')");
            }
            String name = word.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            name = name.replace('_', '-');
            if (FLAGS.contains(name)) {
                if (value != null) {
                    throw new UsageException("--" + name + " takes no value, got '" + word + "'");
                }
                switch (name) {
                    case "json" -> json = true;
                    case "compare" -> compare = true;
                    case "fio" -> fio = true;
                    default -> throw new AssertionError(name);
                }
                continue;
            }
            if (!KNOWN.contains(name)) {
                throw new UsageException("bench: unknown option '--" + name + "' (try 'jaio help bench')");
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new UsageException("option --" + name + " needs a value (try 'jaio help bench')");
                }
                value = args.get(++i);
            }
            String opt = "--" + name;
            switch (name) {
                case "rw" -> rw = parseRw(value);
                case "rwmixread" -> rwmixread = intIn(opt, value, 0, 100);
                case "bs" -> bs = (int) sizeIn(opt, value, 1, MAX_BS);
                case "iodepth" -> iodepth = intIn(opt, value, 1, MAX_DEPTH);
                case "iodepth-batch" -> batch = intIn(opt, value, 1, MAX_DEPTH);
                case "size" -> size = sizeIn(opt, value, 1, Long.MAX_VALUE);
                case "runtime" -> runtime = duration(opt, value, false);
                case "ramp" -> ramp = duration(opt, value, true);
                case "numjobs" -> numjobs = intIn(opt, value, 1, MAX_JOBS);
                case "direct" -> {
                    direct = intIn(opt, value, 0, 1) == 1;
                    directGiven = true;
                }
                case "fsync" -> fsync = intIn(opt, value, 0, Integer.MAX_VALUE);
                case "filename" -> filename = path(opt, value);
                case "engine" -> engines = engines(value);
                case "seed" -> seed = longValue(opt, value);
                case "depths" -> depths = depths(value);
                case "chart" -> chart = path(opt, value);
                case "rounds" -> rounds = intIn(opt, value, 1, MAX_ROUNDS);
                case "api" -> api = api(value);
                case "registerfiles" -> registerFiles = intIn(opt, value, 0, 1) == 1;
                case "fixedbufs" -> fixedBufs = intIn(opt, value, 0, 1) == 1;
                case "sqpoll" -> sqPoll = intIn(opt, value, 0, 1) == 1;
                default -> throw new AssertionError(name);
            }
        }

        if (!compare && depths != null) {
            throw new UsageException("--depths goes with --compare (the sweep of depths); for one run use --iodepth");
        }
        if (!compare && chart != null) {
            throw new UsageException("--chart goes with --compare, which draws the chart");
        }
        if (bs % 8 != 0) {
            throw new UsageException("--bs " + bs + " is not a multiple of 8 bytes (the data check compares 64-bit"
                    + " words); try 4k");
        }
        if (direct && !directBlockSize(bs)) {
            throw new UsageException("--bs " + bs + " with --direct 1 must be a power of two of at least 512"
                    + " (O_DIRECT transfers whole aligned sectors); try 4k");
        }
        if (size < bs) {
            throw new UsageException("--size " + size + " is smaller than one block (--bs " + bs + "): give a size"
                    + " of at least " + bs);
        }
        if (size / bs > Integer.MAX_VALUE) {
            throw new UsageException("--size " + size + " holds more than 2^31 blocks of " + bs + " bytes: use a"
                    + " larger --bs or a smaller --size");
        }
        if (!compare && batch > iodepth) {
            throw new UsageException("--iodepth-batch " + batch + " is larger than --iodepth " + iodepth
                    + ": a list holds at most the operations in flight");
        }
        return new BenchOptions(rw, rwmixread, bs, iodepth, batch, size, runtime, ramp, numjobs, direct, directGiven,
                fsync, filename, engines, seed, json, compare, depths == null ? DEFAULT_DEPTHS : depths,
                chart == null ? DEFAULT_CHART : chart, fio, rounds, api,
                new RingOptions(registerFiles, fixedBufs, sqPoll));
    }

    private static String api(String value) throws UsageException {
        if (List.of(API_LISTS, API_CHANNEL, API_FUTURES, API_VTHREADS).contains(value)) {
            return value;
        }
        throw new UsageException("bad --api '" + value + "': use lists, channel, futures or vthreads");
    }

    /** The options that take no value. */
    private static final List<String> FLAGS = List.of("json", "compare", "fio");
    private static final List<String> KNOWN = List.of("rw", "rwmixread", "bs", "iodepth", "iodepth-batch", "size",
            "runtime", "ramp", "numjobs", "direct", "fsync", "filename", "engine", "seed", "depths", "chart",
            "rounds", "api", "registerfiles", "fixedbufs", "sqpoll");

    private static Rw parseRw(String value) throws UsageException {
        for (Rw rw : Rw.values()) {
            if (rw.fio().equals(value)) {
                return rw;
            }
        }
        throw new UsageException("bad --rw '" + value + "': use read, write, randread, randwrite or randrw");
    }

    private static List<String> engines(String value) throws UsageException {
        List<String> known = new ArrayList<>(AioEngine.names());
        known.addAll(BASELINES);
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (String name : value.split(",", -1)) {
            String n = name.strip();
            if (!known.contains(n)) {
                throw new UsageException("unknown engine '" + n + "' in --engine: use " + String.join(", ", known));
            }
            out.add(n);
        }
        return List.copyOf(out);
    }

    private static List<Integer> depths(String value) throws UsageException {
        TreeSet<Integer> out = new TreeSet<>();
        for (String d : value.split(",", -1)) {
            out.add(intIn("--depths", d.strip(), 1, MAX_DEPTH));
        }
        return List.copyOf(out);
    }

    private static Path path(String opt, String value) throws UsageException {
        if (value.isEmpty()) {
            throw new UsageException(opt + " needs a file name, got an empty one");
        }
        try {
            return Path.of(value);
        } catch (java.nio.file.InvalidPathException e) {
            throw new UsageException("bad " + opt + " '" + value + "': " + e.getReason());
        }
    }

    static int intIn(String opt, String value, int min, int max) throws UsageException {
        long v;
        try {
            v = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new UsageException("bad number '" + value + "' for " + opt + " (a whole number is needed)");
        }
        if (v < min || v > max) {
            throw new UsageException(opt + " must be " + range(min, max) + ", got " + v);
        }
        return (int) v;
    }

    private static String range(long min, long max) {
        return max == Integer.MAX_VALUE || max == Long.MAX_VALUE ? "at least " + min : "from " + min + " to " + max;
    }

    private static long longValue(String opt, String value) throws UsageException {
        String v = value.strip();
        try {
            if (v.startsWith("0x") || v.startsWith("0X")) {
                return Long.parseUnsignedLong(v.substring(2), 16);
            }
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException("bad number '" + value + "' for " + opt + " (a whole number, or hex as 0x...)");
        }
    }

    /** A byte count with an optional k, m, g or t suffix (powers of 1024, as fio reads them). */
    static long sizeIn(String opt, String value, long min, long max) throws UsageException {
        Matcher m = SIZE.matcher(value.strip());
        if (!m.matches()) {
            throw new UsageException("bad size '" + value + "' for " + opt + ": use bytes or a k, m, g or t suffix,"
                    + " such as 4k or 256m");
        }
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        long v;
        try {
            v = Math.multiplyExact(Long.parseLong(m.group(1)), 1L << shift);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new UsageException("size '" + value + "' for " + opt + " is too large");
        }
        if (v < min || v > max) {
            throw new UsageException(opt + " must be " + (max == Long.MAX_VALUE ? "at least " + min + " bytes"
                    : "from " + min + " to " + max + " bytes") + ", got " + value);
        }
        return v;
    }

    /** Seconds, or a number with ms, s, m or h; in nanoseconds. */
    static long duration(String opt, String value, boolean zeroAllowed) throws UsageException {
        Matcher m = DURATION.matcher(value.strip());
        if (!m.matches()) {
            throw new UsageException("bad duration '" + value + "' for " + opt + ": use seconds, or ms, s, m or h,"
                    + " such as 3, 500ms or 1m");
        }
        double unit = switch (m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT)) {
            case "ms" -> 1e6;
            case "m" -> 60e9;
            case "h" -> 3600e9;
            default -> 1e9;
        };
        double nanos = Double.parseDouble(m.group(1)) * unit;
        if (nanos > TimeUnit.DAYS.toNanos(1)) {
            throw new UsageException(opt + " " + value + " is longer than a day");
        }
        long v = Math.round(nanos);
        if (v < (zeroAllowed ? 0 : TimeUnit.MILLISECONDS.toNanos(1))) {
            throw new UsageException(opt + " must be " + (zeroAllowed ? "0 or more" : "at least 1ms") + ", got " + value);
        }
        return v;
    }

    /** The human form of a byte count: 4 KiB, 256 MiB, 1.5 GiB, 100 B. */
    static String bytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        double v = n;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.1f", v)) + " " + units[u];
    }

    /** The human form of a duration: 3 s, 500 ms, 1.5 s. */
    static String seconds(long nanos) {
        if (nanos < 1_000_000_000L && nanos % 1_000_000L == 0) {
            return nanos / 1_000_000L + " ms";
        }
        double s = nanos / 1e9;
        return (s == Math.rint(s) ? String.valueOf((long) s) : String.format(Locale.ROOT, "%.2f", s)
                .replaceAll("0+$", "")) + " s";
    }
}
