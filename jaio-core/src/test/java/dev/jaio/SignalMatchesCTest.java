package dev.jaio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jaio.testing.CProbe;
import dev.jaio.testing.CTarget;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Holds {@link Signal} against {@code <signal.h>} of each {@link CTarget} (glibc x86_64, glibc
 * aarch64 under qemu-user, musl x86_64) and against the names the running JVM's
 * {@code sun.misc.Signal} accepts.
 *
 * <p>As for errno, {@code gcc -E -dM} lists the {@code SIG*} macros and a probe prints their
 * values. Macros whose value lies outside {@code 1..31} are not standard signals and are left
 * out: {@code SIGSTKSZ} is a stack size, and {@code SIGRTMIN}/{@code SIGRTMAX} are function calls
 * with no literal text. glibc and the kernel disagree on which of {@code SIGIO} and
 * {@code SIGPOLL} is the alias, so the test asks only that each number's constant bear one of
 * the names C gives that number.
 */
class SignalMatchesCTest {

    private static final Pattern SIGNAL_NAME = Pattern.compile("SIG[A-Z0-9]+");
    private static final Pattern DECIMAL = Pattern.compile("[0-9]+");
    private static final int LAST_STANDARD_SIGNAL = 31;

    /**
     * What one C library's {@code <signal.h>} says: every C name of each standard signal number
     * (primaries and aliases together), and each name's number.
     */
    private record CSignals(Map<Integer, Set<String>> namesByNumber, Map<String, Integer> numberByName) {
    }

    private static final Map<CTarget, CSignals> C = new ConcurrentHashMap<>();

    /** One probe per target, compiled once for the class. */
    private static CSignals c(CTarget target) {
        return C.computeIfAbsent(target, SignalMatchesCTest::probeC);
    }

    private static CSignals probeC(CTarget target) {
        Map<Integer, Set<String>> namesByNumber = new TreeMap<>();
        Map<String, Integer> numberByName = new TreeMap<>();
        Map<String, String> macros = CProbe.macros(target, "signal.h");
        Set<String> candidates = new TreeSet<>();
        for (Map.Entry<String, String> m : macros.entrySet()) {
            if (SIGNAL_NAME.matcher(m.getKey()).matches() && DECIMAL.matcher(m.getValue()).matches()) {
                candidates.add(m.getKey());
            }
        }
        // Aliases name another candidate (SIGIOT -> SIGABRT); one more pass catches an alias of
        // an alias, should a C library ever write one.
        for (int pass = 0; pass < 2; pass++) {
            for (Map.Entry<String, String> m : macros.entrySet()) {
                if (SIGNAL_NAME.matcher(m.getKey()).matches() && candidates.contains(m.getValue())) {
                    candidates.add(m.getKey());
                }
            }
        }
        StringBuilder c = new StringBuilder(CProbe.header("signal.h")).append("int main(void) {\n");
        for (String name : candidates) {
            c.append("    CONST(").append(name).append(");\n");
        }
        c.append("    return 0;\n}\n");
        for (Map.Entry<String, Long> e : CProbe.run(target, c.toString()).entrySet()) {
            String name = e.getKey().substring("const.".length());
            int number = Math.toIntExact(e.getValue());
            if (number >= 1 && number <= LAST_STANDARD_SIGNAL) {
                numberByName.put(name, number);
                namesByNumber.computeIfAbsent(number, n -> new TreeSet<>()).add(name);
            }
        }
        return new CSignals(namesByNumber, numberByName);
    }

    @ParameterizedTest
    @EnumSource(CTarget.class)
    void everyStandardSignalNumberOfCIsAConstantNamedAsInC(CTarget target) {
        Map<Integer, Set<String>> namesByNumber = c(target).namesByNumber();
        List<String> differences = new ArrayList<>();
        for (int n = 1; n <= LAST_STANDARD_SIGNAL; n++) {
            Set<String> cNames = namesByNumber.get(n);
            if (cNames == null) {
                differences.add(n + ": no signal of <signal.h> has this number");
                continue;
            }
            Signal s = Signal.of(n);
            if (!cNames.contains(s.name())) {
                differences.add(n + ": Signal says " + s + ", C says " + cNames);
            }
        }
        assertTrue(differences.isEmpty(), "Signal differs from <signal.h> of " + target + ":\n  "
                + String.join("\n  ", differences) + "\nC: " + namesByNumber);
    }

    @ParameterizedTest
    @EnumSource(CTarget.class)
    void everyConstantHasItsCNumber(CTarget target) {
        CSignals c = c(target);
        List<String> differences = new ArrayList<>();
        for (Signal s : Signal.values()) {
            Integer number = c.numberByName().get(s.name());
            if (number == null) {
                differences.add(s + " (" + s.number() + ") is not a signal of <signal.h>");
            } else if (number != s.number()) {
                differences.add(s + ": Signal says " + s.number() + ", C says " + number);
            }
        }
        assertTrue(differences.isEmpty(), "Signal differs from <signal.h> of " + target + ":\n  "
                + String.join("\n  ", differences) + "\nC: " + c.namesByNumber());
        assertEquals(LAST_STANDARD_SIGNAL, Signal.values().length, "one constant per number");
    }

    @Test
    void ofRoundTripsAndRefusesWhatIsNoStandardSignal() {
        for (Signal s : Signal.values()) {
            assertEquals(s, Signal.of(s.number()));
        }
        for (int n : new int[] {0, -1, LAST_STANDARD_SIGNAL + 1, 34, 64, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Signal.of(n));
            assertTrue(e.getMessage().contains(Integer.toString(n)), e.getMessage());
        }
    }

    @Test
    void javaNameIsAcceptedBySunMiscSignalWithTheSameNumber() throws Throwable {
        List<String> differences = new ArrayList<>();
        for (Signal s : Signal.values()) {
            try {
                int javaNumber = sunMiscSignalNumber(s.javaName());
                if (javaNumber != s.number()) {
                    differences.add(s + ": sun.misc.Signal(\"" + s.javaName() + "\") is number "
                            + javaNumber + ", Signal says " + s.number());
                }
            } catch (IllegalArgumentException e) {
                differences.add(s + ": sun.misc.Signal refuses \"" + s.javaName() + "\": " + e.getMessage());
            }
        }
        assertTrue(differences.isEmpty(), String.join("\n", differences));
        assertEquals("USR2", Signal.SIGUSR2.javaName());
    }

    /**
     * {@code new sun.misc.Signal(name).getNumber()}, called reflectively: the test sources are
     * compiled into module {@code dev.jaio}, which does not read {@code jdk.unsupported}, while at
     * run time they sit on the class path, where {@code sun.misc} is readable as for any user.
     */
    private static int sunMiscSignalNumber(String javaName) throws Throwable {
        Class<?> signalClass = Class.forName("sun.misc.Signal");
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        // A method handle rethrows the constructor's IllegalArgumentException unwrapped.
        Object signal = lookup.findConstructor(signalClass, MethodType.methodType(void.class, String.class))
                .invoke(javaName);
        return (int) lookup.findVirtual(signalClass, "getNumber", MethodType.methodType(int.class))
                .invoke(signal);
    }

    @Test
    void numbersAreRefusedWhereTheLinuxNumberingDoesNotHold() {
        assertNull(Signal.unsupportedPlatform("Linux", "amd64"));
        assertNull(Signal.unsupportedPlatform("Linux", "aarch64"));
        assertNull(Signal.unsupportedPlatform("Linux", "riscv64"));
        String mac = Signal.unsupportedPlatform("Mac OS X", "aarch64");
        assertNotNull(mac);
        assertTrue(mac.contains("Mac OS X"), mac);
        String freebsd = Signal.unsupportedPlatform("FreeBSD", "amd64");
        assertNotNull(freebsd);
        assertTrue(freebsd.contains("FreeBSD"), freebsd);
        String mips = Signal.unsupportedPlatform("Linux", "mips64el");
        assertNotNull(mips);
        assertTrue(mips.contains("mips64el"), mips);
    }
}
