/**
 * The reliability and safety suite (issue 6; RELIABILITY.md at the repository root): faults,
 * misuse and load on every engine, through the public API only.
 *
 * <p>Layer: tests. It may depend on {@code dev.jaio} (the public API), JUnit Jupiter, jqwik and
 * the JDK; never on {@code dev.jaio.internal}. Where a test needs something of the operating
 * system that jaio does not offer (a small tmpfs, a loop device that fails, the C heap's
 * statistics) it calls the C library through {@link dev.jaio.reliability.LinuxCalls}.
 *
 * <p>Rules:
 * <ul>
 *   <li>Every test runs on every engine ({@code io_uring}, {@code posix}, {@code threads}), each
 *       opened privately with {@link dev.jaio.reliability.EngineUnderTest}; an engine that cannot
 *       open here, or a facility that is missing (root, loop devices, tmpfs), is an aborted test
 *       with the reason printed, never a failure.</li>
 *   <li>Every wait is bounded; a hang fails the test and prints every thread's stack
 *       ({@link dev.jaio.reliability.ThreadDump}).</li>
 *   <li>Whatever can crash the JVM runs in a child JVM ({@link dev.jaio.reliability.ChildJvm}),
 *       whose exit status and missing {@code hs_err_pid*.log} are the verdict.</li>
 *   <li>Randomized runs print their seed and take {@code -Djaio.test.seed=} to repeat one.</li>
 *   <li>Sizes come from system properties set in {@code jaio-core/pom.xml}: short in the default
 *       build, long with {@code -Psoak}.</li>
 * </ul>
 */
package dev.jaio.reliability;
