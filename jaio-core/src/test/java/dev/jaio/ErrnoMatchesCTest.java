package dev.jaio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.testing.CProbe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Holds {@link Errno} against this machine's {@code <errno.h>} and {@code strerror}, so the enum
 * can neither miss an errno nor carry a wrong number or text.
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

    /** Primary errno macros by name, with their values as C computes them. */
    private static final Map<String, Integer> primaries = new TreeMap<>();
    /** Alias macros by name, with the primary name they stand for. */
    private static final Map<String, String> aliases = new TreeMap<>();
    /** strerror(code), from a little below 0 to PAST_END above the highest errno. */
    private static final Map<Integer, String> strerror = new TreeMap<>();

    @BeforeAll
    static void probeC() {
        Map<String, String> macros = CProbe.macros("errno.h");
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
                + " errno macros found in <errno.h>, is this Linux? " + primaries.keySet());

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
        Map<String, String> out = CProbe.runText(c.toString());

        for (String name : primaries.keySet()) {
            primaries.put(name, Integer.parseInt(out.get("const." + name)));
        }
        for (Map.Entry<String, String> e : out.entrySet()) {
            if (e.getKey().startsWith("strerror.")) {
                strerror.put(Integer.parseInt(e.getKey().substring("strerror.".length())), e.getValue());
            }
        }
        for (String alias : aliases.keySet()) {
            String target = aliases.get(alias);
            assertEquals(primaries.get(target), Integer.valueOf(out.get("const." + alias)),
                    alias + " should have the value of " + target);
        }
    }

    /** C statements that leave the largest of the given macros in {@code max}. */
    private static String maxOf(Iterable<String> names) {
        StringBuilder b = new StringBuilder();
        for (String name : names) {
            b.append("    if (").append(name).append(" > max) max = ").append(name).append(";\n");
        }
        return b.toString();
    }

    @Test
    void everyPrimaryErrnoOfCIsAConstantWithItsCode() {
        List<String> differences = new ArrayList<>();
        for (Map.Entry<String, Integer> c : primaries.entrySet()) {
            Errno e = constantNamed(c.getKey());
            if (e == null) {
                differences.add(c.getKey() + " (" + c.getValue() + ") is missing from Errno");
            } else if (e.code() != c.getValue()) {
                differences.add(c.getKey() + ": C says " + c.getValue() + ", Errno says " + e.code());
            }
        }
        assertTrue(differences.isEmpty(), report(differences, true));
    }

    @Test
    void everyConstantExistsInCWithItsCode() {
        List<String> differences = new ArrayList<>();
        for (Errno e : Errno.values()) {
            if (e == Errno.SUCCESS || e == Errno.UNKNOWN) {
                continue;
            }
            Integer c = primaries.get(e.name());
            if (aliases.containsKey(e.name())) {
                differences.add(e + " is an alias of " + aliases.get(e.name())
                        + " in C and must not be a constant of its own");
            } else if (c == null) {
                differences.add(e + " (" + e.code() + ") is not an errno of <errno.h>");
            } else if (c != e.code()) {
                differences.add(e + ": Errno says " + e.code() + ", C says " + c);
            }
        }
        assertTrue(differences.isEmpty(), report(differences, false));
    }

    @Test
    void aliasesAreNotConstantsButFindTheirPrimary() {
        assertTrue(aliases.keySet().containsAll(List.of("EWOULDBLOCK", "EDEADLOCK", "ENOTSUP")),
                "glibc's aliases changed: " + aliases);
        for (Map.Entry<String, String> alias : aliases.entrySet()) {
            assertSame(null, constantNamed(alias.getKey()), alias.getKey() + " must not be a constant");
            assertSame(Errno.valueOf(alias.getValue()), Errno.of(primaries.get(alias.getValue())),
                    alias.getKey() + " should map to " + alias.getValue());
        }
    }

    @Test
    void descriptionsAreGlibcStrerrorTexts() {
        List<String> differences = new ArrayList<>();
        for (Errno e : Errno.values()) {
            if (e == Errno.UNKNOWN) {
                continue;
            }
            String c = strerror.get(e.code());
            if (!e.description().equals(c)) {
                differences.add(e + ": Errno says \"" + e.description() + "\", strerror says \"" + c + "\"");
            }
        }
        assertTrue(differences.isEmpty(), report(differences, false));
    }

    @Test
    void unknownDescriptionIsStrerrorsTextForUnknownCodesWithoutTheNumber() {
        // glibc says "Unknown error 41"; the enum cannot carry the number of a code it does not
        // know, so UNKNOWN's text is that message's fixed part.
        for (Map.Entry<Integer, String> c : strerror.entrySet()) {
            if (!primaries.containsValue(c.getKey()) && c.getKey() != 0) {
                assertEquals(Errno.UNKNOWN.description() + " " + c.getKey(), c.getValue(),
                        "strerror(" + c.getKey() + ")");
            }
        }
    }

    @Test
    void ofRoundTripsEveryConstantAndMapsEverythingElseToUnknown() {
        for (Errno e : Errno.values()) {
            assertSame(e, Errno.of(e.code()), "of(" + e.code() + ")");
        }
        int max = primaries.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        for (int code = -5; code <= max + PAST_END; code++) {
            Errno expected = code == 0 ? Errno.SUCCESS
                    : primaries.containsValue(code) ? Errno.of(code) : Errno.UNKNOWN;
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
    private static String report(List<String> differences, boolean withList) {
        StringBuilder b = new StringBuilder("Errno differs from this machine's C library:\n");
        differences.forEach(d -> b.append("  ").append(d).append('\n'));
        if (!withList) {
            return b.toString();
        }
        b.append("Constants as C sees them (glibc strerror texts):\n");
        primaries.entrySet().stream()
                .sorted(Map.Entry.comparingByValue())
                .forEach(p -> b.append("    ").append(p.getKey()).append('(').append(p.getValue())
                        .append(", \"").append(strerror.get(p.getValue())).append("\"),\n"));
        return b.toString();
    }
}
