package dev.jaio.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code jaio bench --fio}: runs fio's equivalent of bench's job (same pattern, block size, file
 * size, depth, list size, jobs, O_DIRECT, fsync, ramp and run time) with fio's io_uring engine
 * in batches as large as bench's lists, and reads its JSON report.
 *
 * <p>fio works on a file of its own, in a directory this class creates beside bench's file (the
 * same file system) and removes on {@link #close}: it never sees bench's file, whose bytes every
 * read of bench is checked against, nor any file bench did not create.
 *
 * <p>Called by the coordinating thread only.
 */
final class FioRun implements AutoCloseable {
    /**
     * Where fio is, looked for as a shell would in {@code path} (the value of {@code PATH}); an
     * empty optional when it is not installed.
     */
    static Optional<Path> locate(String path) {
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator, -1)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path fio = Path.of(dir, "fio");
            if (Files.isRegularFile(fio) && Files.isExecutable(fio)) {
                return Optional.of(fio);
            }
        }
        return Optional.empty();
    }

    /** The line bench prints when {@code --fio} is asked for and fio is not installed. */
    static final String NOT_INSTALLED = "fio is not installed, so --fio has nothing to run: install it"
            + " (apt-get install fio, dnf install fio, or https://github.com/axboe/fio) and run again";

    /**
     * What one fio run measured, for the whole group of jobs.
     *
     * @param cpuCores cores fio's jobs used (its user and system CPU over the run time)
     */
    record Result(int depth, double iops, double mibPerSecond, double p50Micros, double p99Micros,
                  double p999Micros, double maxMicros, double cpuCores) {
    }

    /** fio failed, or said something this class cannot read. The message is one line. */
    static final class Failure extends Exception {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message, null, false, false);
        }
    }

    private final Path fio;
    private final BenchOptions options;
    private final Path dir;
    private final Path file;
    /** Whether fio has laid out {@link #file}: until then, no file may be there. */
    private boolean laidOut;

    /**
     * Makes the directory for fio's file in {@code beside} (the directory of bench's file).
     *
     * @param fio the fio program
     */
    FioRun(Path fio, BenchOptions options, Path beside) throws IOException {
        this.fio = fio;
        this.options = options;
        this.dir = Files.createTempDirectory(beside, "jaio-bench-fio-");
        this.file = dir.resolve("fio.dat");
    }

    /** The file fio reads and writes (it lays it out itself, on its first run). */
    Path file() {
        return file;
    }

    /** The fio command as bench runs it at {@code depth} (for the output, one line). */
    String commandLine(int depth) {
        return String.join(" ", command(fio.toString(), options, depth, file, dir.resolve("fio.json")));
    }

    /**
     * The arguments of fio's equivalent of bench's job at {@code depth}: fio's io_uring engine,
     * submitting lists of bench's size ({@code --iodepth_batch_submit}) and, like bench's
     * {@code LIO_WAIT} lists, waiting for the whole list when a list holds the whole depth
     * ({@code --iodepth_batch_complete_min}). Latency percentiles are of the whole latency,
     * submission to completion, as bench's are.
     *
     * @param file fio's own file; it must not exist yet or be one this run made
     * @param output where fio writes its JSON report
     */
    static List<String> command(String fio, BenchOptions o, int depth, Path file, Path output) {
        int batch = o.batchAt(depth);
        List<String> c = new ArrayList<>(List.of(fio, "--name=jaio", "--filename=" + file,
                "--size=" + o.blocks() * o.bs(), "--rw=" + o.rw().fio()));
        if (o.rw() == BenchOptions.Rw.RANDRW) {
            c.add("--rwmixread=" + o.rwmixread());
        }
        c.add("--bs=" + o.bs());
        c.add("--direct=" + (o.direct() ? 1 : 0));
        if (!o.direct()) {
            c.add("--invalidate=0");
        }
        c.addAll(List.of("--ioengine=io_uring", "--iodepth=" + depth, "--iodepth_batch_submit=" + batch,
                "--iodepth_batch_complete_min=" + (batch == depth ? batch : 1)));
        c.addAll(o.ring().fioFlags());
        if (o.fsync() > 0 && o.rw().writes) {
            c.add("--fsync=" + o.fsync());
        }
        c.addAll(List.of("--numjobs=" + o.numjobs(), "--time_based", "--runtime=" + seconds(o.runtimeNanos()),
                "--ramp_time=" + seconds(o.rampNanos()), "--norandommap", "--randrepeat=0", "--group_reporting",
                "--lat_percentiles=1", "--output-format=json", "--output=" + output));
        return c;
    }

    private static String seconds(long nanos) {
        return nanos % 1_000_000_000L == 0 ? String.valueOf(nanos / 1_000_000_000L) : nanos / 1_000_000L + "ms";
    }

    /**
     * Runs fio at {@code depth} and reads its report.
     *
     * @throws Failure if fio fails, takes far longer than the run should, or reports nothing
     *         readable
     */
    Result measure(int depth) throws Failure, IOException {
        Path output = dir.resolve("fio.json");
        Path errors = dir.resolve("fio.err");
        if (!laidOut && Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new Failure("refusing to run fio: its file " + file + " exists, and bench did not make it (fio"
                    + " would overwrite it)");
        }
        Files.deleteIfExists(output);
        List<String> cmd = command(fio.toString(), options, depth, file, output);
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(errors.toFile()).start();
        // Laying out the file on the first run takes time too: a minute for it, then the run.
        long patience = TimeUnit.NANOSECONDS.toSeconds(2 * (options.rampNanos() + options.runtimeNanos())) + 60;
        try {
            if (!p.waitFor(patience, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor();
                throw new Failure("fio did not finish within " + patience + " s: " + String.join(" ", cmd));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new Failure("interrupted while fio ran");
        }
        laidOut = true;
        if (p.exitValue() != 0) {
            throw new Failure("fio failed (exit status " + p.exitValue() + "): " + lastLine(errors) + "; the command: "
                    + String.join(" ", cmd));
        }
        if (!Files.exists(output)) {
            throw new Failure("fio wrote no report to " + output + ": " + lastLine(errors));
        }
        return parse(Files.readString(output, StandardCharsets.UTF_8), depth, options.numjobs());
    }

    private static String lastLine(Path errors) {
        try {
            List<String> lines = Files.readAllLines(errors, StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank()).toList();
            return lines.isEmpty() ? "it said nothing" : lines.getLast().strip();
        } catch (IOException e) {
            return "its messages cannot be read: " + e.getMessage();
        }
    }

    /**
     * Reads fio's JSON report ({@code --output-format=json --group_reporting}): the reads' and
     * writes' IOPS and bandwidth added, the latency percentiles of the reads (of the writes in a
     * run without reads), the highest latency of both.
     *
     * @param numjobs the jobs of the run (fio gives CPU per job)
     * @throws Failure if the text is not such a report
     */
    static Result parse(String json, int depth, int numjobs) throws Failure {
        Object doc;
        try {
            doc = JsonReader.parse(json);
        } catch (IllegalArgumentException e) {
            throw new Failure("fio's report is not JSON: " + e.getMessage());
        }
        try {
            Map<?, ?> job = (Map<?, ?>) ((List<?>) ((Map<?, ?>) doc).get("jobs")).getFirst();
            Object error = job.get("error");
            if (error instanceof Double d && d != 0) {
                throw new Failure("fio's job failed with error " + d.intValue());
            }
            Map<?, ?> read = (Map<?, ?>) job.get("read");
            Map<?, ?> write = (Map<?, ?>) job.get("write");
            double iops = number(read, "iops") + number(write, "iops");
            if (!(iops > 0)) {
                throw new Failure("fio's report has no I/O in it");
            }
            double bytesPerSecond = number(read, "bw_bytes") + number(write, "bw_bytes");
            Map<?, ?> latencies = (Map<?, ?>) (number(read, "total_ios") > 0 ? read : write).get("lat_ns");
            Map<?, ?> percentiles = (Map<?, ?>) latencies.get("percentile");
            if (percentiles == null) {
                throw new Failure("fio's report has no latency percentiles (it needs --lat_percentiles=1)");
            }
            double max = Math.max(number((Map<?, ?>) read.get("lat_ns"), "max"),
                    number((Map<?, ?>) write.get("lat_ns"), "max"));
            double cpu = (number(job, "usr_cpu") + number(job, "sys_cpu")) / 100 * numjobs;
            return new Result(depth, iops, bytesPerSecond / (1 << 20), percentile(percentiles, 50) / 1000,
                    percentile(percentiles, 99) / 1000, percentile(percentiles, 99.9) / 1000, max / 1000, cpu);
        } catch (ClassCastException | NullPointerException | java.util.NoSuchElementException e) {
            throw new Failure("fio's report does not have the shape of fio 3's JSON (jobs[0].read.iops ...): " + e);
        }
    }

    private static double number(Map<?, ?> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Double d)) {
            throw new NullPointerException(key + " missing");
        }
        return d;
    }

    private static double percentile(Map<?, ?> percentiles, double p) {
        return number(percentiles, String.format(Locale.ROOT, "%.6f", p));
    }

    /**
     * Removes what this run made: fio's file (once fio laid it out), its report, its messages,
     * and the directory when nothing else is left in it.
     */
    @Override
    public void close() throws IOException {
        if (laidOut) {
            Files.deleteIfExists(file);
        }
        Files.deleteIfExists(dir.resolve("fio.json"));
        Files.deleteIfExists(dir.resolve("fio.err"));
        try (Stream<Path> left = Files.list(dir)) {
            if (left.findAny().isPresent()) {
                return;
            }
        }
        Files.deleteIfExists(dir);
    }
}
