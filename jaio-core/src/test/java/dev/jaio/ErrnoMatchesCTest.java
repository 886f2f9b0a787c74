package dev.jaio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.internal.ffi.CLibrary;
import dev.jaio.testing.CProbe;
import dev.jaio.testing.CTarget;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Holds {@link Errno} against {@code <errno.h>} and {@code strerror} of each {@link CTarget}
 * (glibc x86_64, glibc aarch64 under qemu-user, musl x86_64), so the enum can neither miss an
 * errno nor carry a wrong number or text. Numbers are held on every target; texts on glibc's.
 *
 * <p>C cannot list its own macros, so the test asks {@code gcc -E -dM} for every {@code E*}
 * macro of {@code <errno.h>}, then compiles a program that prints each macro's value and
 * {@code strerror} of every code around the known range. A macro whose text is a number is a
 * primary errno; one whose text is another errno's name ({@code EWOULDBLOCK} -> {@code EAGAIN})
 * is an alias, which the enum must not repeat. On failure the messages list every differing
 * entry and the Java constant lines the C library would have produced, ready to paste.
 */
class ErrnoMatchesCTest {

    private static final Pattern ERRNO_NAME = Pattern.compile("E[A-Z0-9]+");
    private static final Pattern DECIMAL = Pattern.compile("[0-9]+");

    /** How far past the highest known code strerror is sampled, to see "Unknown error" texts. */
    private static final int PAST_END = 10;

    /** What one C library says about errno: its macros and strerror texts. */
    private record CErrnos(
            /* Primary errno macros by name, with their values as C computes them. */
            Map<String, Integer> primaries,
            /* Alias macros by name, with the primary name they stand for. */
            Map<String, String> aliases,
            /* strerror(code), from a little below 0 to PAST_END above the highest errno. */
            Map<Integer, String> strerror) {
    }

    private static final Map<CTarget, CErrnos> C = new ConcurrentHashMap<>();

    /** One probe per target, compiled once for the class. */
    private static CErrnos c(CTarget target) {
        return C.computeIfAbsent(target, ErrnoMatchesCTest::probeC);
    }

    private static CErrnos probeC(CTarget target) {
        Map<String, Integer> primaries = new TreeMap<>();
        Map<String, String> aliases = new TreeMap<>();
        Map<Integer, String> strerror = new TreeMap<>();
        Map<String, String> macros = CProbe.macros(target, "errno.h");
        // stdio.h comes along with every probe and defines EOF as (-1): the DECIMAL test drops
        // it, as it drops anything else that is not an errno.
        for (Map.Entry<String, String> m : macros.entrySet()) {
            if (ERRNO_NAME.matcher(m.getKey()).matches() && DECIMAL.matcher(m.getValue()).matches()) {
                primaries.put(m.getKey(), null);
            }
        }
        for (Map.Entry<String, String> m : macros.entrySet()) {
            if (ERRNO_NAME.matcher(m.getKey()).matches() && primaries.containsKey(m.getValue())) {
                aliases.put(m.getKey(), m.getValue());
            }
        }
        assertTrue(primaries.size() > 100, "only " + primaries.size()
                + " errno macros found in <errno.h> of " + target + ", is this Linux? " + primaries.keySet());

        StringBuilder c = new StringBuilder(CProbe.header("errno.h", "string.h"));
        c.append("int main(void) {\n");
        for (String name : primaries.keySet()) {
            c.append("    CONST(").append(name).append(");\n");
        }
        for (String name : aliases.keySet()) {
            c.append("    CONST(").append(name).append(");\n");
        }
        // One printf per strerror call: for unknown codes glibc formats "Unknown error N" into
        // a buffer that the next call overwrites.
        c.append("""
                    int max = 0;
                %s
                    for (int code = -5; code <= max + %d; code++) {
                        printf("strerror.%%d %%s\\n", code, strerror(code));
                    }
                    return 0;
                }
                """.formatted(maxOf(primaries.keySet()), PAST_END));
        Map<String, String> out = CProbe.runText(target, c.toString());

        for (String name : primaries.keySet()) {
            primaries.put(name, Integer.parseInt(out.get("const." + name)));
        }
        for (Map.Entry<String, String> e : out.entrySet()) {
            if (e.getKey().startsWith("strerror.")) {
                strerror.put(Integer.parseInt(e.getKey().substring("strerror.".length())), e.getValue());
            }
        }
        for (String alias : aliases.keySet()) {
            String aliasTarget = aliases.get(alias);
            assertEquals(primaries.get(aliasTarget), Integer.valueOf(out.get("const." + alias)),
                    alias + " should have the value of " + aliasTarget + " on " + target);
        }
        return new CErrnos(primaries, aliases, strerror);
    }

    /** C statements that leave the largest of the given macros in {@code max}. */
    private static String maxOf(Iterable<String> names) {
        StringBuilder b = new StringBuilder();
        for (String name : names) {
            b.append("    if (").append(name).append(" > max) max = ").append(name).append(";\n");
        }
        return b.toString();
    }

    @ParameterizedTest
    @EnumSource(CTarget.class)
    void everyPrimaryErrnoOfCIsAConstantWithItsCode(CTarget target) {
        CErrnos c = c(target);
        List<String> differences = new ArrayList<>();
        for (Map.Entry<String, Integer> p : c.primaries().entrySet()) {
            Errno e = constantNamed(p.getKey());
            if (e == null) {
                differences.add(p.getKey() + " (" + p.getValue() + ") is missing from Errno");
            } else if (e.code() != p.getValue()) {
                differences.add(p.getKey() + ": C says " + p.getValue() + ", Errno says " + e.code());
            }
        }
        assertTrue(differences.isEmpty(), report(target, differences, true));
    }

    @ParameterizedTest
    @EnumSource(CTarget.class)
    void everyConstantExistsInCWithItsCode(CTarget target) {
        CErrnos c = c(target);
        List<String> differences = new ArrayList<>();
        for (Errno e : Errno.values()) {
            if (e == Errno.SUCCESS || e == Errno.UNKNOWN) {
                continue;
            }
            Integer code = c.primaries().get(e.name());
            if (c.aliases().containsKey(e.name())) {
                differences.add(e + " is an alias of " + c.aliases().get(e.name())
                        + " in C and must not be a constant of its own");
            } else if (code == null) {
                differences.add(e + " (" + e.code() + ") is not an errno of <errno.h>");
            } else if (code != e.code()) {
                differences.add(e + ": Errno says " + e.code() + ", C says " + code);
            }
        }
        assertTrue(differences.isEmpty(), report(target, differences, false));
    }

    @ParameterizedTest
    @EnumSource(CTarget.class)
    void aliasesAreNotConstantsButFindTheirPrimary(CTarget target) {
        CErrnos c = c(target);
        assertTrue(c.aliases().keySet().containsAll(List.of("EWOULDBLOCK", "EDEADLOCK", "ENOTSUP")),
                target + "'s aliases changed: " + c.aliases());
        for (Map.Entry<String, String> alias : c.aliases().entrySet()) {
            assertSame(null, constantNamed(alias.getKey()), alias.getKey() + " must not be a constant");
            assertSame(Errno.valueOf(alias.getValue()), Errno.of(c.primaries().get(alias.getValue())),
                    alias.getKey() + " should map to " + alias.getValue());
        }
    }

    /**
     * Errno's texts are glibc's {@code strerror}, on both architectures. jaio uses them whatever
     * the C library, so on musl, whose texts are its own ("No error information" for an unknown
     * code, "I/O error" for EIO), the differences are printed, not held.
     */
    @ParameterizedTest
    @EnumSource(CTarget.class)
    void descriptionsAreGlibcStrerrorTexts(CTarget target) {
        CErrnos c = c(target);
        List<String> differences = new ArrayList<>();
        for (Errno e : Errno.values()) {
            if (e == Errno.UNKNOWN) {
                continue;
            }
            String text = c.strerror().get(e.code());
            if (!e.description().equals(text)) {
                differences.add(e + ": Errno says \"" + e.description() + "\", strerror says \"" + text + "\"");
            }
        }
        if (target.library() != CLibrary.GLIBC) {
            System.out.println(target + ": " + differences.size() + " of " + (Errno.values().length - 1)
                    + " strerror texts differ from glibc's, which jaio uses everywhere; first: "
                    + differences.stream().limit(3).toList());
            return;
        }
        assertTrue(differences.isEmpty(), report(target, differences, false));
    }

    @ParameterizedTest
    @EnumSource(value = CTarget.class, names = {"GLIBC_X86_64", "GLIBC_AARCH64"})
    void unknownDescriptionIsStrerrorsTextForUnknownCodesWithoutTheNumber(CTarget target) {
        // glibc says "Unknown error 41"; the enum cannot carry the number of a code it does not
        // know, so UNKNOWN's text is that message's fixed part.
        CErrnos c = c(target);
        for (Map.Entry<Integer, String> text : c.strerror().entrySet()) {
            if (!c.primaries().containsValue(text.getKey()) && text.getKey() != 0) {
                assertEquals(Errno.UNKNOWN.description() + " " + text.getKey(), text.getValue(),
                        "strerror(" + text.getKey() + ") on " + target);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CTarget.class)
    void ofRoundTripsEveryConstantAndMapsEverythingElseToUnknown(CTarget target) {
        CErrnos c = c(target);
        for (Errno e : Errno.values()) {
            assertSame(e, Errno.of(e.code()), "of(" + e.code() + ")");
        }
        int max = c.primaries().values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        for (int code = -5; code <= max + PAST_END; code++) {
            Errno expected = code == 0 ? Errno.SUCCESS
                    : c.primaries().containsValue(code) ? Errno.of(code) : Errno.UNKNOWN;
            assertSame(expected, Errno.of(code), "of(" + code + ")");
            if (expected != Errno.UNKNOWN) {
                assertEquals(code, expected.code());
            }
        }
        assertSame(Errno.UNKNOWN, Errno.of(99999));
        assertSame(Errno.UNKNOWN, Errno.of(-5));
        assertSame(Errno.UNKNOWN, Errno.of(Integer.MIN_VALUE));
        assertSame(Errno.UNKNOWN, Errno.of(Integer.MAX_VALUE));
    }

    @Test
    void constantsAreInCodeOrderFromSuccessToUnknown() {
        Errno[] all = Errno.values();
        assertSame(Errno.SUCCESS, all[0]);
        assertEquals(0, Errno.SUCCESS.code());
        assertEquals("Success", Errno.SUCCESS.description());
        assertSame(Errno.UNKNOWN, all[all.length - 1]);
        assertEquals(-1, Errno.UNKNOWN.code());
        for (int i = 1; i < all.length - 1; i++) {
            assertTrue(all[i - 1].code() < all[i].code(),
                    all[i - 1] + " (" + all[i - 1].code() + ") before " + all[i] + " (" + all[i].code() + ")");
        }
        assertEquals("EINPROGRESS", Errno.EINPROGRESS.toString());
    }

    private static Errno constantNamed(String name) {
        return Arrays.stream(Errno.values()).filter(e -> e.name().equals(name)).findFirst().orElse(null);
    }

    /**
     * The differences, then, if {@code withList}, the whole constant list as C sees it in the form
     * Errno.java uses, ready to paste: the checker doubles as the generator.
     */
    private static String report(CTarget target, List<String> differences, boolean withList) {
        StringBuilder b = new StringBuilder("Errno differs from " + target + ":\n");
        differences.forEach(d -> b.append("  ").append(d).append('\n'));
        if (!withList) {
            return b.toString();
        }
        b.append("Constants as C sees them (" + target + " strerror texts):\n");
        CErrnos c = c(target);
        c.primaries().entrySet().stream()
                .sorted(Map.Entry.comparingByValue())
                .forEach(p -> b.append("    ").append(p.getKey()).append('(').append(p.getValue())
                        .append(", \"").append(c.strerror().get(p.getValue())).append("\"),\n"));
        return b.toString();
    }
}
