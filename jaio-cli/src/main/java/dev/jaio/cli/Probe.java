package dev.jaio.cli;

import dev.jaio.AioProbe;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code jaio probe [PATH] [--json]}: what this machine offers jaio, from {@link AioProbe}: which
 * engines work and why the others do not, the kernel's io_uring opcodes, the O_DIRECT alignment of
 * the file system holding PATH ({@code java.io.tmpdir} by default), the C library,
 * {@code AIO_PRIO_DELTA_MAX}, the kernel release and native access.
 *
 * <p>Each fact that cannot be learned (native access disabled, an old kernel) is reported as
 * such; the command itself fails only for a bad command line.
 */
final class Probe implements Command {

    @Override
    public String name() {
        return "probe";
    }

    @Override
    public String summary() {
        return "show which engines work here and why not, io_uring opcodes and options, O_DIRECT alignment, libc";
    }

    @Override
    public String usage() {
        return """
                usage: jaio probe [PATH] [--json]

                Shows what this machine offers jaio: the engines that work and why the others do
                not (such as the io_uring call that was refused and its errno, or native access
                being disabled and the flag that enables it), the io_uring opcodes of this kernel,
                whether an io_uring engine opens with each of its options (registered files,
                registered buffers, SQPOLL: tried for real, with the refusal's reason, such as the
                locked-memory limit), the O_DIRECT alignment of the file system that holds PATH
                (default: java.io.tmpdir), the C library, AIO_PRIO_DELTA_MAX, the kernel release
                and native access.

                  --json    print JSON instead of text""";
    }

    /** One fact, or why it is unknown. */
    private record Fact<T>(T value, String unknown) {
        static <T> Fact<T> of(Supplier<T> s) {
            try {
                return new Fact<>(s.get(), null);
            } catch (IllegalCallerException e) {
                return new Fact<>(null, "native access is disabled (see the last line)");
            } catch (RuntimeException | LinkageError e) {
                return new Fact<>(null, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            }
        }
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) throws UsageException {
        boolean json = false;
        Path path = null;
        for (String a : args) {
            if (a.equals("--json")) {
                json = true;
            } else if (a.startsWith("-")) {
                throw new UsageException("probe: unknown option '" + a + "' (try 'jaio help probe')");
            } else if (path != null) {
                throw new UsageException("probe takes at most one PATH, got '" + path + "' and '" + a + "'");
            } else {
                path = Path.of(a);
            }
        }
        if (path == null) {
            path = Path.of(System.getProperty("java.io.tmpdir"));
        } else if (!Files.exists(path)) {
            throw new UsageException("probe: no such file or directory: " + path);
        }

        boolean nativeAccess = AioProbe.nativeAccessEnabled();
        String flag = AioProbe.nativeAccessFlag();
        Fact<List<AioProbe.EngineStatus>> engines = Fact.of(AioProbe::engines);
        Fact<String> defaultEngine = Fact.of(AioProbe::defaultEngineName);
        Fact<List<String>> opcodes = Fact.of(AioProbe::ioUringOpcodes);
        Fact<Optional<String>> refusal = Fact.of(AioProbe::ioUringRefusal);
        Fact<String> libc = Fact.of(AioProbe::libc);
        Fact<Long> prio = Fact.of(AioProbe::aioPrioDeltaMax);
        boolean uringWorks = engines.value() != null
                && engines.value().stream().anyMatch(s -> s.name().equals("io_uring") && s.works());
        List<RingOptionsProbe.Option> ringOptions = uringWorks ? RingOptionsProbe.options() : List.of();
        Path where = path;
        Optional<AioProbe.DirectIoAlignment> dio = Optional.empty();
        String dioUnknown = null;
        try {
            dio = AioProbe.directIoAlignment(where);
            if (dio.isEmpty()) {
                dioUnknown = "not told (statx STATX_DIOALIGN needs Linux 6.1 and a file system that answers it)";
            }
        } catch (IllegalCallerException e) {
            dioUnknown = "unknown: native access is disabled (see the last line)";
        } catch (IOException | RuntimeException | LinkageError e) {
            dioUnknown = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        String fsType = fsType(where);

        if (json) {
            Json j = new Json().beginObject().member("command", "probe");
            j.member("kernel", AioProbe.kernelRelease());
            j.member("cpus", Runtime.getRuntime().availableProcessors());
            j.name("native_access").beginObject().member("enabled", nativeAccess).member("flag", flag).endObject();
            j.member("default_engine", defaultEngine.value());
            j.name("engines").beginArray();
            if (engines.value() != null) {
                for (AioProbe.EngineStatus s : engines.value()) {
                    j.beginObject().member("name", s.name()).member("works", s.works())
                            .member("reason", s.works() ? null : s.reason()).endObject();
                }
            }
            j.endArray();
            j.member("io_uring_refusal", refusal.value() == null ? refusal.unknown() : refusal.value().orElse(null));
            j.name("io_uring_opcodes").beginArray();
            if (opcodes.value() != null) {
                for (String op : opcodes.value()) {
                    j.value(op);
                }
            }
            j.endArray();
            j.name("io_uring_options").beginArray();
            for (RingOptionsProbe.Option o : ringOptions) {
                j.beginObject().member("name", o.name()).member("bench_flag", o.benchFlag()).member("works", o.works())
                        .member("reason", o.reason()).endObject();
            }
            j.endArray();
            j.name("direct_io").beginObject().member("path", where.toString()).member("filesystem", fsType);
            if (dio.isPresent()) {
                j.member("supported", dio.get().offsetAlignment() != 0)
                        .member("memory_alignment", dio.get().memoryAlignment())
                        .member("offset_alignment", dio.get().offsetAlignment());
            } else {
                j.member("supported", (String) null).member("unknown", dioUnknown);
            }
            j.endObject();
            j.member("libc", libc.value());
            j.name("aio_prio_delta_max");
            if (prio.value() != null) {
                j.value(prio.value());
            } else {
                j.value((String) null);
            }
            out.println(j.endObject());
            return Main.EXIT_OK;
        }

        out.println("jaio probe: what this machine offers jaio");
        out.println();
        out.println("engines, in the default engine's order of preference:");
        if (engines.value() != null) {
            int w = engines.value().stream().mapToInt(s -> s.name().length()).max().orElse(8);
            for (AioProbe.EngineStatus s : engines.value()) {
                out.printf("  %-" + w + "s  %s%n", s.name(), s.works() ? "works" : "refused: " + s.reason());
            }
        } else {
            out.println("  unknown: " + engines.unknown());
        }
        out.println("default engine: " + or(defaultEngine));
        if (opcodes.value() != null && !opcodes.value().isEmpty()) {
            out.println("io_uring opcodes of this kernel (" + opcodes.value().size() + "):");
            for (String l : wrap(opcodes.value(), 88)) {
                out.println("  " + l);
            }
        } else if (opcodes.value() != null) {
            out.println("io_uring opcodes: none" + (refusal.value() != null && refusal.value().isPresent()
                    ? " (io_uring refused: " + refusal.value().get() + ")" : ""));
        } else {
            out.println("io_uring opcodes: unknown: " + opcodes.unknown());
        }
        if (!ringOptions.isEmpty()) {
            out.println("io_uring options (AioEngineOptions; jaio bench flag):");
            for (RingOptionsProbe.Option o : ringOptions) {
                out.printf("  %-18s  %-17s  %s%n", o.name(), o.benchFlag(), o.works() ? "works" : "refused: " + o.reason());
            }
        }
        String on = "O_DIRECT on " + where + (fsType == null ? "" : " (" + fsType + ")") + ": ";
        if (dio.isPresent()) {
            AioProbe.DirectIoAlignment a = dio.get();
            out.println(on + (a.offsetAlignment() == 0 ? "not supported by this file system"
                    : "buffers aligned to " + a.memoryAlignment() + " bytes, offsets and lengths to "
                    + a.offsetAlignment() + " bytes"));
        } else {
            out.println(on + dioUnknown);
        }
        out.println("libc: " + or(libc));
        out.println("AIO_PRIO_DELTA_MAX: " + (prio.value() == null ? "unknown: " + prio.unknown()
                : prio.value() + " (aio_reqprio from 0 to " + prio.value() + ")"));
        out.println("kernel: " + AioProbe.kernelRelease() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
        out.println("native access: " + (nativeAccess ? "enabled (" + flag + ")"
                : "disabled: pass " + flag + " to java"));
        return Main.EXIT_OK;
    }

    private static String or(Fact<String> f) {
        return f.value() != null ? f.value() : "unknown: " + f.unknown();
    }

    private static String fsType(Path p) {
        try {
            return Files.getFileStore(p).type();
        } catch (IOException e) {
            return null;
        }
    }

    /** Words joined by spaces into lines of at most {@code width} characters. */
    static List<String> wrap(List<String> words, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder l = new StringBuilder();
        for (String w : words) {
            if (!l.isEmpty() && l.length() + 1 + w.length() > width) {
                lines.add(l.toString());
                l.setLength(0);
            }
            l.append(l.isEmpty() ? "" : " ").append(w);
        }
        if (!l.isEmpty()) {
            lines.add(l.toString());
        }
        return lines;
    }
}
