package dev.jaio.internal.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.testing.CProbe;
import dev.jaio.testing.CTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every C function jaio binds exists in each C library it loads on: the test reads the
 * {@code downcall("name", ...)} calls of jaio's main sources and links a program that takes the
 * address of each with the target's compiler ({@code -static}, so the linker, not a run-time
 * loader, says what is missing). On musl that is what lets the io_uring and threads engines
 * load ({@link Platform}): all they call is there. Left out on musl, and refused there: the
 * posix engine's {@code aio_*} and {@code lio_listio} (the functions {@link PosixAio} binds),
 * and glibc's {@code gnu_get_libc_version}, which {@link SystemInfo} asks only on glibc.
 */
class CLibrarySymbolsTest {
    private static final Pattern DOWNCALL = Pattern.compile("downcall\\(\\s*\"([A-Za-z_][A-Za-z0-9_]*)\"");
    private static final Path MAIN_SOURCES = Path.of("src", "main", "java", "dev", "jaio");

    /** Every symbol jaio binds, with the source file that binds it. */
    private static Map<String, String> boundSymbols() throws IOException {
        Map<String, String> symbols = new TreeMap<>();
        try (Stream<Path> files = Files.walk(MAIN_SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = DOWNCALL.matcher(Files.readString(file));
                while (m.find()) {
                    symbols.putIfAbsent(m.group(1), file.getFileName().toString());
                }
            }
        }
        return symbols;
    }

    /** The symbols jaio needs of {@code target}'s C library when it runs there. */
    private static Set<String> needed(CTarget target) throws IOException {
        Set<String> needed = new TreeSet<>();
        boundSymbols().forEach((symbol, file) -> {
            boolean posixEngine = file.equals("PosixAio.java");
            boolean glibcOnly = symbol.equals("gnu_get_libc_version");
            if (target.library() == CLibrary.GLIBC || !(posixEngine || glibcOnly)) {
                needed.add(symbol);
            }
        });
        return needed;
    }

    @ParameterizedTest
    @EnumSource(CTarget.class)
    void everyFunctionJaioCallsThereLinks(CTarget target) throws IOException {
        Set<String> needed = needed(target);
        assertTrue(needed.containsAll(Set.of("syscall", "pread", "pwrite", "mmap", "eventfd", "fsync")),
                "the scan of " + MAIN_SOURCES.toAbsolutePath() + " found only " + needed);
        StringBuilder src = new StringBuilder("#include <stddef.h>\n#include <stdio.h>\n");
        // Declared as data, not functions: no prototype to disagree with the headers', and taking
        // an address is all the linker needs to resolve the name.
        for (String s : needed) {
            src.append("extern char ").append(s).append("[];\n");
        }
        // Kept in a volatile table: "symbol != 0" alone is folded to 1 by the compiler (an
        // array's address is never null) and would reference nothing.
        src.append("void *volatile addresses[] = {\n");
        for (String s : needed) {
            src.append("    ").append(s).append(",\n");
        }
        src.append("};\nconst char *names[] = {\n");
        for (String s : needed) {
            src.append("    \"").append(s).append("\",\n");
        }
        src.append("""
                };
                int main(void) {
                    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
                        printf("symbol.%s %d\\n", names[i], addresses[i] != 0);
                    }
                    return 0;
                }
                """);
        Map<String, Long> linked = CProbe.run(target, src.toString());
        assertEquals(needed.size(), linked.size(), "one line per symbol from " + target);
        linked.forEach((key, present) -> assertEquals(1L, present, key + " on " + target));
    }

    @ParameterizedTest
    @EnumSource(value = CTarget.class, names = "MUSL_X86_64")
    void onMuslOnlyThePosixEngineAndTheGlibcVersionAreLeftOut(CTarget target) throws IOException {
        Set<String> leftOut = new TreeSet<>(boundSymbols().keySet());
        leftOut.removeAll(needed(target));
        assertEquals(Set.of("aio_cancel", "aio_error", "aio_fsync", "aio_read", "aio_return", "aio_suspend",
                "aio_write", "gnu_get_libc_version", "lio_listio"), leftOut);
    }
}
