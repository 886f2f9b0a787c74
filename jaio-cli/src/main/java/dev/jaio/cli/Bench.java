package dev.jaio.cli;

import dev.jaio.AioProbe;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code jaio bench}: a small fio for jaio. Measures each engine (and two JDK baselines) on a
 * file of this machine with fio's vocabulary, checks every byte it reads, and prints IOPS,
 * throughput, completion latency percentiles, CPU cost and the ratio to the first contender; or
 * JSON; or, with {@code --compare}, a sweep of depths and an SVG chart.
 *
 * <p>The flow: {@link BenchOptions} parses, {@link BenchFile} prepares the file, one {@link Run}
 * per contender (and depth) measures with {@link Job}s ({@link JaioJob}, {@link ChannelJob},
 * {@link AsyncChannelJob}), and this class prints.
 *
 * <p>Runs on the caller's thread (the jobs have their own). Keeps no state between runs.
 */
final class Bench implements Command {

    /**
     * A test seam: called with the buffer of every completed read before its bytes are checked,
     * so that a test can play an engine that returns wrong bytes. Any thread.
     */
    @FunctionalInterface
    interface ReadTamper {
        void afterRead(String contender, MemorySegment buffer, long offset);
    }

    private final ReadTamper tamper;
    /** Where {@code --fio} looks for fio: the {@code PATH} of the process, or a test's. */
    private final String fioSearchPath;

    Bench() {
        this(null);
    }

    /** A bench whose reads pass through {@code tamper} (tests only). */
    Bench(ReadTamper tamper) {
        this(tamper, System.getenv("PATH"));
    }

    /** A bench whose reads pass through {@code tamper} and that looks for fio in {@code fioSearchPath} (tests only). */
    Bench(ReadTamper tamper, String fioSearchPath) {
        this.tamper = tamper;
        this.fioSearchPath = fioSearchPath;
    }

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "measure the engines like fio (IOPS, latency, CPU) beside the JDK's file channels";
    }

    @Override
    public String usage() {
        return """
                usage: jaio bench [OPTIONS]

                Measures jaio's engines on a file of this machine, with fio's vocabulary, beside two
                JDK baselines; checks every byte it reads. Without options: 4 KiB random reads at
                depth 32 from a 256 MiB temporary file, with O_DIRECT where its file system has it
                (else from the page cache), 3 s (after 1 s of ramp) per engine, every engine that
                works here, then filechannel and afc.

                  --rw read|write|randread|randwrite|randrw    access pattern (randread)
                  --rwmixread PERCENT     reads among randrw operations (50)
                  --bs SIZE               block size: bytes or 4k, 64k, 1m (4k)
                  --iodepth N             operations in flight per job (32)
                  --iodepth-batch N       operations per lio_listio list (the depth: one list,
                                          LIO_WAIT; fewer: LIO_NOWAIT, refilled as they complete)
                  --size SIZE             bytes of the file to use: k, m, g, t (256m)
                  --runtime TIME          measured time per engine: seconds, or 500ms, 2s, 1m (3)
                  --ramp TIME             unmeasured warm-up before it (1)
                  --numjobs N             jobs: threads, each with its own descriptor (1)
                  --direct 0|1            O_DIRECT, bypassing the page cache (default: 1 where the
                                          file system supports it, as jaio probe tells, else 0)
                  --fsync N               an AioFsync after every N writes of a job (0: none)
                  --filename FILE         the file: created and filled if missing, kept (default: a
                                          temporary file in java.io.tmpdir, removed at the end)
                  --engine LIST           comma-separated: io_uring, posix, threads, and the JDK
                                          baselines filechannel (positional FileChannel reads on
                                          each job's thread, no depth) and afc
                                          (AsynchronousFileChannel, --iodepth outstanding per job)
                  --seed N                seed of the offsets and of the data pattern (1)
                  --json                  print JSON instead of the table
                  --compare               run each engine at each of --depths and draw an SVG chart
                  --depths LIST           the depths --compare sweeps (1,8,32,128)
                  --chart FILE            where --compare writes the chart (jaio-compare.svg)
                  --fio                   also run fio's equivalent of each run (its io_uring
                                          engine, same job and lists, on a file of its own) in
                                          turn with the engines, and print jaio's ratio to it
                  --rounds N              measure everything N times in turns and show the
                                          median run of each (1)
                  --registerfiles 0|1     io_uring: a registered-file table (and fio's, with --fio)
                  --fixedbufs 0|1         io_uring: the jobs' buffers registered with the kernel,
                                          reads and writes as READ_FIXED/WRITE_FIXED (fio's too)
                  --sqpoll 0|1            io_uring: a kernel thread polls the submission queue
                                          (fio's --sqthread_poll=1 with --fio); it needs a spare core
                  --api API               how jaio engines run the job: lists (lio_listio, the
                                          default), channel (AioFileChannel, handlers, as afc),
                                          futures (AioFileChannel, --iodepth futures on the job's
                                          thread; afc too), vthreads (--iodepth virtual threads
                                          per job reading with read(buf, pos).join(); filechannel
                                          too, with FileChannel.read); reports platform threads

                Options take their value after a space or an '=' (--bs=4k), as in fio.

                Every read is compared word for word with the pattern bench wrote into the file, and
                after a run that wrote, the file is read back: a wrong byte fails the run (exit
                status 1) and names its offset. Bad options end with one line and exit status 2.

                examples:
                  ./jaio bench
                  ./jaio bench --rw randwrite --fsync 32 --engine io_uring,posix
                  ./jaio bench --direct 1 --filename /data/jaio.dat --size 4g --numjobs 2
                  ./jaio bench --compare --runtime 2 --chart /tmp/engines.svg
                  ./jaio bench --engine io_uring,threads --numjobs 2 --direct 0 --fio --rounds 3
                  ./jaio bench --engine io_uring --registerfiles 1 --fixedbufs 1 --fio --rounds 3""";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) throws UsageException {
        BenchOptions given = BenchOptions.parse(args);
        DirectIoDefault.Choice directChoice = given.directGiven() ? null : DirectIoDefault.choose(given);
        BenchOptions o = directChoice == null ? given : given.withDirect(directChoice.direct());
        Progress progress = new Progress(out, Progress.detect(o.json()));
        Path chart = o.compare() ? o.chart().toAbsolutePath() : null;
        if (chart != null) {
            Path dir = chart.getParent();
            if (dir == null || !Files.isDirectory(dir)) {
                throw new UsageException("cannot write --chart " + o.chart() + ": its directory " + dir + " does not exist");
            }
            if (Files.isDirectory(chart) || !Files.isWritable(dir) && !Files.isWritable(chart)) {
                throw new UsageException("cannot write --chart " + o.chart() + ": "
                        + (Files.isDirectory(chart) ? "it is a directory" : "permission denied"));
            }
        }
        Optional<Path> fio = o.fio() ? FioRun.locate(fioSearchPath) : Optional.empty();

        Rounds rounds = new Rounds();
        String explicitFailure = null;
        String where;
        Machine machine;
        List<String[]> skipped = new ArrayList<>();
        String fioCommand = null;
        try (BenchFile file = BenchFile.prepare(o)) {
            // The file first: a bad --filename is a usage error before anything is printed.
            machine = Machine.detect();
            List<String> contenders = new ArrayList<>();
            boolean explicit = !o.engines().isEmpty();
            if (explicit) {
                contenders.addAll(o.engines());
            } else {
                try {
                    for (AioProbe.EngineStatus s : AioProbe.engines()) {
                        if (s.works()) {
                            contenders.add(s.name());
                        } else {
                            skipped.add(new String[] {s.name(), s.reason()});
                        }
                    }
                } catch (RuntimeException | LinkageError e) {
                    skipped.add(new String[] {"jaio", "cannot ask which engines work: " + e});
                }
                contenders.addAll(BenchOptions.BASELINES);
            }
            where = file.temporary ? "temporary file in " + file.path.getParent() : file.path.toString();
            if (!o.json()) {
                header(out, o, directChoice, machine, where);
                skippedLines(out, skipped);
                if (o.fio() && fio.isEmpty()) {
                    out.println(FioRun.NOT_INSTALLED);
                }
            }
            file.fill((done, total) -> progress.step("filling the file", done, total));
            List<Integer> fioDepths = o.compare() ? o.depths() : List.of(o.iodepth());
            try (FioRun fioRun = fio.isPresent() ? new FioRun(fio.get(), o, file.path.toAbsolutePath().getParent())
                    : null) {
                if (fioRun != null) {
                    fioCommand = fioRun.commandLine(fioDepths.getLast());
                }
                for (int round = 1; round <= o.rounds(); round++) {
                    for (String contender : contenders) {
                        if (rounds.skipped(contender)) {
                            continue;
                        }
                        List<Integer> depths = !o.compare() ? List.of(o.iodepth())
                                : blocking(contender, o) ? List.of(1) : o.depths();
                        for (int depth : depths) {
                            Run run = new Run(contender, o, blocking(contender, o) ? 1 : depth, file,
                                    tamper);
                            try {
                                rounds.add(run.execute(progress, label(o, run.label(), round)));
                            } catch (UnsupportedOperationException | IllegalCallerException refused) {
                                String why = refused.getMessage();
                                skipped.add(new String[] {contender, why});
                                rounds.skip(contender);
                                progress.note("skipped " + contender + ": " + why);
                                if (explicit && explicitFailure == null) {
                                    explicitFailure = contender + " cannot run here: " + why;
                                }
                                break;
                            } catch (Run.Failure f) {
                                progress.done();
                                out.flush();
                                err.println("jaio bench: " + f.getMessage());
                                debugTrace(run, err);
                                return Main.EXIT_FAILED;
                            }
                        }
                    }
                    if (fioRun != null) {
                        for (int depth : fioDepths) {
                            progress.note("  " + label(o, "fio io_uring" + (o.compare() ? " depth " + depth : ""), round)
                                    + ": running fio (its own file, " + fioRun.file().getFileName() + ")");
                            try {
                                rounds.addFio(fioRun.measure(depth));
                            } catch (FioRun.Failure f) {
                                out.flush();
                                err.println("jaio bench: --fio: " + f.getMessage());
                                return Main.EXIT_FAILED;
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            progress.done();
            out.flush();
            err.println("jaio bench: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            return Main.EXIT_FAILED;
        }
        List<Run.Result> results = rounds.medians();
        List<FioRun.Result> fioResults = rounds.fioMedians();
        if (results.isEmpty()) {
            out.flush();
            err.println("jaio bench: nothing could run here" + (skipped.isEmpty() ? "" : " (" + skipped.getFirst()[0]
                    + ": " + skipped.getFirst()[1] + ")"));
            return Main.EXIT_FAILED;
        }
        if (chart != null) {
            try {
                String subtitle = BenchOptions.seconds(o.runtimeNanos()) + " per point after "
                        + BenchOptions.seconds(o.rampNanos()) + " of ramp; " + machine.oneLine();
                Files.writeString(chart, CompareChart.svg(results, o.depths(), chartTitle(o), subtitle),
                        StandardCharsets.UTF_8);
            } catch (IOException e) {
                err.println("jaio bench: cannot write the chart " + chart + ": " + e.getMessage());
                return Main.EXIT_FAILED;
            }
        }
        if (o.json()) {
            out.println(json(o, directChoice, machine, where, skipped, results, fioResults, fioCommand, rounds,
                    chart));
        } else {
            table(out, o, results, fioResults);
            dataCheckLine(out, o, rounds);
            if (fioCommand != null) {
                out.println("fio, as run: " + fioCommand);
            } else {
                out.println("fio beside it: " + fioCommand(o) + (o.fio() ? "" : " (or run bench with --fio)"));
            }
            if (chart != null) {
                out.println("chart: " + chart + " (IOPS against depth; open it in a browser)");
            }
        }
        if (explicitFailure != null) {
            out.flush();
            err.println("jaio bench: " + explicitFailure);
            return Main.EXIT_FAILED;
        }
        return Main.EXIT_OK;
    }

    /** How the progress line names a run: with its round when there are several. */
    private static String label(BenchOptions o, String run, int round) {
        return o.rounds() == 1 ? run : run + " (round " + round + "/" + o.rounds() + ")";
    }

    /** One line per reason: "skipped io_uring, posix: why". */
    private static void skippedLines(PrintStream out, List<String[]> skipped) {
        Map<String, List<String>> byReason = new LinkedHashMap<>();
        for (String[] s : skipped) {
            byReason.computeIfAbsent(s[1], k -> new ArrayList<>()).add(s[0]);
        }
        byReason.forEach((why, names) -> out.println("skipped " + String.join(", ", names) + ": " + why));
    }

    /** filechannel blocks its job's thread, depth 1; with --api vthreads it has --iodepth virtual threads. */
    private static boolean blocking(String contender, BenchOptions o) {
        return contender.equals(BenchOptions.FILECHANNEL) && !o.api().equals(BenchOptions.API_VTHREADS);
    }

    private static void debugTrace(Run run, PrintStream err) {
        if (System.getenv("JAIO_DEBUG") != null && run.failureCause() != null) {
            run.failureCause().printStackTrace(err);
        }
    }

    // ------------------------------------------------------------------ the machine

    /** Facts about this machine that go with every result. */
    record Machine(String kernel, int cpus, String defaultEngine, String libc, String java) {
        static Machine detect() {
            String def;
            try {
                def = AioProbe.defaultEngineName();
            } catch (RuntimeException | LinkageError e) {
                def = null;
            }
            String libc;
            try {
                libc = AioProbe.libc();
            } catch (RuntimeException | LinkageError e) {
                libc = null;
            }
            return new Machine(AioProbe.kernelRelease(), Runtime.getRuntime().availableProcessors(), def, libc,
                    Runtime.version().toString());
        }

        String oneLine() {
            return "kernel " + kernel + ", " + cpus + " CPU" + (cpus == 1 ? "" : "s")
                    + (libc == null ? "" : ", " + libc) + ", Java " + Runtime.version().feature()
                    + (defaultEngine == null ? "" : ", default engine " + defaultEngine);
        }
    }

    // ------------------------------------------------------------------ text output

    private static String describeJob(BenchOptions o) {
        String rw = o.rw().fio() + (o.rw() == BenchOptions.Rw.RANDRW ? " (" + o.rwmixread() + "% reads)" : "");
        return rw + ", bs " + BenchOptions.bytes(o.bs()) + ", " + BenchOptions.bytes(o.size()) + " file, "
                + (o.direct() ? "O_DIRECT" : "buffered") + ", " + o.numjobs() + (o.numjobs() == 1 ? " job" : " jobs")
                + o.ring().describe();
    }

    private static void header(PrintStream out, BenchOptions o, DirectIoDefault.Choice choice, Machine m,
                               String where) {
        out.println("jaio bench: " + describeJob(o) + (o.fsync() > 0 && o.rw().writes ? ", fsync every " + o.fsync()
                + " writes" : "") + (o.rounds() > 1 ? ", median of " + o.rounds() + " rounds" : ""));
        String depth = o.compare() ? "iodepth " + o.depths() : "iodepth " + o.iodepth() + " (lists of "
                + o.batchAt(o.iodepth()) + ", " + (o.batchAt(o.iodepth()) == o.iodepth() ? "LIO_WAIT" : "LIO_NOWAIT") + ")";
        out.println("  " + depth + ", " + BenchOptions.seconds(o.runtimeNanos()) + " per run after "
                + BenchOptions.seconds(o.rampNanos()) + " of ramp, seed " + o.seed() + ", " + where);
        out.println("  " + m.oneLine());
        out.println("  " + meaning(o, choice));
    }

    /**
     * One line that says what the numbers mean: where the data comes from (and why the default
     * chose it), and so what the table can show.
     */
    static String meaning(BenchOptions o, DirectIoDefault.Choice choice) {
        String how = choice == null ? (o.direct() ? "O_DIRECT (--direct 1)" : "page cache (--direct 0)")
                : (o.direct() ? "O_DIRECT" : "page cache") + " (the default: " + choice.why() + ")";
        if (o.direct()) {
            return how + ": every operation waits for the device, so the depth pays: jaio keeps " + o.iodepth()
                    + " in flight per job, filechannel has one at a time";
        }
        return how + ": reads are memory copies, which filechannel does as fast as any engine from one thread;"
                + " async I/O pays with a device to wait for (--direct 1) or many threads";
    }

    private static void table(PrintStream out, BenchOptions o, List<Run.Result> results, List<FioRun.Result> fio) {
        String us = "UTF-8".equalsIgnoreCase(System.getProperty("stdout.encoding")) ? "µs" : "us";
        Run.Result first = results.getFirst();
        String vs = "vs " + first.contender();
        StringBuilder h = new StringBuilder();
        h.append(String.format(Locale.ROOT, "%-12s", "engine"));
        if (o.compare()) {
            h.append(String.format(Locale.ROOT, "%6s", "depth"));
        }
        String ratioColumn = "%" + Math.max(12, vs.length() + 2) + "s";
        h.append(String.format(Locale.ROOT, "%11s%10s%10s%10s%10s%10s%7s" + ratioColumn, "IOPS", "MiB/s",
                "p50 " + us, "p99 " + us, "p99.9 " + us, "max " + us, "CPU", vs));
        if (!fio.isEmpty()) {
            h.append(String.format(Locale.ROOT, "%9s", "vs fio"));
        }
        out.println();
        out.println(h);
        for (Run.Result r : results) {
            StringBuilder s = new StringBuilder();
            s.append(String.format(Locale.ROOT, "%-12s", r.contender()));
            if (o.compare()) {
                s.append(String.format(Locale.ROOT, "%6d", r.depth()));
            }
            s.append(String.format(Locale.ROOT, "%11s%10.1f%10s%10s%10s%10s%7s" + ratioColumn, count(Math.round(r.iops())),
                    r.mibPerSecond(), micros(r.latencyMicros(50)), micros(r.latencyMicros(99)),
                    micros(r.latencyMicros(99.9)), micros(r.maxLatencyMicros()),
                    Double.isNaN(r.cpuCores()) ? "-" : String.format(Locale.ROOT, "%.2f", r.cpuCores()),
                    ratioText(ratio(r, results))));
            if (!fio.isEmpty()) {
                s.append(String.format(Locale.ROOT, "%9s", ratioText(fioRatio(r, fio))));
            }
            out.println(s);
        }
        for (FioRun.Result f : fio) {
            StringBuilder s = new StringBuilder();
            s.append(String.format(Locale.ROOT, "%-12s", "fio"));
            if (o.compare()) {
                s.append(String.format(Locale.ROOT, "%6d", f.depth()));
            }
            Run.Result base = results.stream().filter(r -> r.contender().equals(first.contender())
                    && (!o.compare() || r.depth() == f.depth())).findFirst().orElse(null);
            s.append(String.format(Locale.ROOT, "%11s%10.1f%10s%10s%10s%10s%7s" + ratioColumn + "%9s",
                    count(Math.round(f.iops())), f.mibPerSecond(), micros(f.p50Micros()), micros(f.p99Micros()),
                    micros(f.p999Micros()), micros(f.maxMicros()), String.format(Locale.ROOT, "%.2f", f.cpuCores()),
                    ratioText(base == null ? Double.NaN : f.iops() / base.iops()), "1.00x"));
            out.println(s);
        }
        out.println();
        out.println("CPU: cores the whole process used while measuring (CPU time / elapsed; "
                + Runtime.getRuntime().availableProcessors() + " = every CPU). Latency: submit to seen complete.");
        if (results.stream().anyMatch(r -> r.contender().equals(BenchOptions.FILECHANNEL))) {
            out.println("No depth for filechannel: one operation at a time on each job's thread.");
        }
        if (!fio.isEmpty()) {
            out.println("fio: fio's io_uring engine on its own file, same job and lists, run in turn with the"
                    + " engines; its CPU is its jobs' only.");
        }
    }

    private static void dataCheckLine(PrintStream out, BenchOptions o, Rounds rounds) {
        long reads = rounds.all().stream().mapToLong(Run.Result::readsChecked).sum();
        long written = rounds.all().stream().mapToLong(Run.Result::blocksWritten).sum();
        StringBuilder s = new StringBuilder("data check: ");
        if (reads > 0) {
            s.append(count(reads)).append(" reads compared word for word with the file's pattern");
        }
        if (o.rw().writes) {
            s.append(reads > 0 ? "; " : "").append("file read back after each run, ").append(count(written))
                    .append(" written blocks as written");
        }
        out.println(s.append(": all correct"));
    }

    /** The IOPS of {@code r} over those of the first contender at the same depth (NaN if none). */
    static double ratio(Run.Result r, List<Run.Result> results) {
        String first = results.getFirst().contender();
        List<Run.Result> base = results.stream().filter(b -> b.contender().equals(first)).toList();
        Run.Result b = base.size() == 1 ? base.getFirst()
                : base.stream().filter(x -> x.depth() == r.depth()).findFirst().orElse(null);
        return b == null || !(b.iops() > 0) ? Double.NaN : r.iops() / b.iops();
    }

    /** The IOPS of {@code r} over fio's at the same depth (any depth for filechannel; NaN if none). */
    static double fioRatio(Run.Result r, List<FioRun.Result> fio) {
        FioRun.Result f = fio.size() == 1 ? fio.getFirst()
                : fio.stream().filter(x -> x.depth() == r.depth()).findFirst().orElse(null);
        return f == null || !(f.iops() > 0) ? Double.NaN : r.iops() / f.iops();
    }

    private static String ratioText(double ratio) {
        return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.2fx", ratio);
    }

    /** 1234567 as {@code 1,234,567}. */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** 312400 as {@code 312k}, 1500000 as {@code 1.5M}, for axis labels. */
    static String shortCount(double v) {
        if (v >= 1e6) {
            return trim(String.format(Locale.ROOT, "%.2f", v / 1e6)) + "M";
        }
        if (v >= 1e3) {
            return trim(String.format(Locale.ROOT, "%.1f", v / 1e3)) + "k";
        }
        return trim(String.format(Locale.ROOT, "%.1f", v));
    }

    private static String trim(String s) {
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    /** Microseconds with one decimal below 1000, whole above. */
    static String micros(double us) {
        return us < 1000 ? String.format(Locale.ROOT, "%.1f", us) : String.format(Locale.ROOT, "%,d", Math.round(us));
    }

    /**
     * The fio command that measures what the io_uring run measured (fio lays out its own file
     * when there is none), so that the two can be run side by side.
     */
    static String fioCommand(BenchOptions o) {
        int depth = o.compare() ? o.depths().getLast() : o.iodepth();
        int batch = o.batchAt(depth);
        // fio's own file beside bench's: fio fills it with its own data, which bench would refuse.
        Path dir = o.filename() == null ? Path.of(System.getProperty("java.io.tmpdir"))
                : o.filename().toAbsolutePath().getParent();
        StringBuilder s = new StringBuilder("fio --name=jaio --filename=")
                .append(dir.resolve("jaio-fio.dat"))
                .append(" --size=").append(o.blocks() * o.bs())
                .append(" --rw=").append(o.rw().fio());
        if (o.rw() == BenchOptions.Rw.RANDRW) {
            s.append(" --rwmixread=").append(o.rwmixread());
        }
        s.append(" --bs=").append(o.bs())
                .append(" --direct=").append(o.direct() ? 1 : 0);
        if (!o.direct()) {
            s.append(" --invalidate=0");
        }
        s.append(" --ioengine=io_uring --iodepth=").append(depth)
                .append(" --iodepth_batch_submit=").append(batch)
                .append(" --iodepth_batch_complete_min=").append(batch == depth ? batch : 1);
        o.ring().fioFlags().forEach(flag -> s.append(' ').append(flag));
        if (o.fsync() > 0 && o.rw().writes) {
            s.append(" --fsync=").append(o.fsync());
        }
        s.append(" --numjobs=").append(o.numjobs())
                .append(" --time_based --runtime=").append(fioSeconds(o.runtimeNanos()))
                .append(" --ramp_time=").append(fioSeconds(o.rampNanos()))
                .append(" --norandommap --randrepeat=0 --group_reporting");
        return s.toString();
    }

    private static String fioSeconds(long nanos) {
        return nanos % 1_000_000_000L == 0 ? String.valueOf(nanos / 1_000_000_000L) : nanos / 1_000_000L + "ms";
    }

    private static String chartTitle(BenchOptions o) {
        return "jaio bench --compare: " + describeJob(o);
    }

    // ------------------------------------------------------------------ JSON

    private static String json(BenchOptions o, DirectIoDefault.Choice choice, Machine m, String where,
                               List<String[]> skipped, List<Run.Result> results, List<FioRun.Result> fio,
                               String fioCommand, Rounds rounds, Path chart) {
        Json j = new Json().beginObject();
        j.member("command", "bench");
        j.name("machine").beginObject()
                .member("kernel", m.kernel())
                .member("cpus", m.cpus())
                .member("default_engine", m.defaultEngine())
                .member("libc", m.libc())
                .member("java", m.java())
                .endObject();
        j.name("job").beginObject()
                .member("rw", o.rw().fio())
                .member("rwmixread", o.rwmixread())
                .member("bs", o.bs())
                .member("iodepth", o.iodepth())
                .member("iodepth_batch", o.batchAt(o.iodepth()))
                .member("size", o.blocks() * o.bs())
                .member("runtime_s", o.runtimeNanos() / 1e9)
                .member("ramp_s", o.rampNanos() / 1e9)
                .member("numjobs", o.numjobs())
                .member("direct", o.direct() ? 1 : 0)
                .member("direct_chosen_by", choice == null ? "--direct" : "default: " + choice.why())
                .member("fsync", o.fsync())
                .member("filename", o.filename() == null ? null : o.filename().toString())
                .member("file", where)
                .member("seed", o.seed())
                .member("compare", o.compare())
                .member("rounds", o.rounds());
        if (o.compare()) {
            j.name("depths").beginArray();
            for (int d : o.depths()) {
                j.value(d);
            }
            j.endArray();
        }
        j.endObject();
        j.name("skipped").beginArray();
        for (String[] s : skipped) {
            j.beginObject().member("engine", s[0]).member("reason", s[1]).endObject();
        }
        j.endArray();
        j.name("results").beginArray();
        for (Run.Result r : results) {
            boolean jaio = !BenchOptions.BASELINES.contains(r.contender());
            j.beginObject()
                    .member("engine", r.contender())
                    .member("iodepth", r.depth())
                    .member("iodepth_batch", jaio ? r.batch() : r.depth())
                    .member("lio_mode", jaio ? (r.batch() == r.depth() ? "LIO_WAIT" : "LIO_NOWAIT") : null)
                    .member("ios", r.ios())
                    .member("seconds", r.seconds())
                    .member("iops", r.iops())
                    .member("mib_s", r.mibPerSecond())
                    .member("lat_p50_us", r.latencyMicros(50))
                    .member("lat_p99_us", r.latencyMicros(99))
                    .member("lat_p99_9_us", r.latencyMicros(99.9))
                    .member("lat_max_us", r.maxLatencyMicros())
                    .member("cpu_cores", r.cpuCores())
                    .member("ratio", ratio(r, results));
            if (!fio.isEmpty()) {
                j.member("fio_ratio", fioRatio(r, fio));
            }
            j
                    .member("fsyncs", r.fsyncs())
                    .member("reads_checked", r.readsChecked())
                    .member("blocks_written", r.blocksWritten())
                    .endObject();
        }
        j.endArray();
        j.member("data_check", "ok");
        j.member("reads_checked", rounds.all().stream().mapToLong(Run.Result::readsChecked).sum());
        if (o.fio()) {
            j.name("fio").beginObject().member("installed", fioCommand != null).member("command", fioCommand);
            j.name("results").beginArray();
            for (FioRun.Result f : fio) {
                j.beginObject().member("iodepth", f.depth()).member("iops", f.iops()).member("mib_s", f.mibPerSecond())
                        .member("lat_p50_us", f.p50Micros()).member("lat_p99_us", f.p99Micros())
                        .member("lat_p99_9_us", f.p999Micros()).member("lat_max_us", f.maxMicros())
                        .member("cpu_cores", f.cpuCores()).endObject();
            }
            j.endArray().endObject();
        }
        j.member("fio_command", fioCommand != null ? fioCommand : fioCommand(o));
        if (chart != null) {
            j.member("chart", chart.toString());
        }
        return j.endObject().toString();
    }
}
