/**
 * What several test suites share: the engines they run on, and small C programs that check jaio's
 * values against the C headers.
 *
 * <ul>
 *   <li>{@link dev.jaio.testing.EngineUnderTest} names each engine once, with the options it is
 *       opened with and what it can do where engines differ. A concrete test class of a contract
 *       suite says {@link dev.jaio.testing.OnEngine @OnEngine(EngineUnderTest.X)}; the extension
 *       {@link dev.jaio.testing.OneEnginePerClass}, registered by the abstract suite, opens that
 *       engine for the class (and its {@code @Nested} groups) and closes it after them, handing it
 *       out as a {@link dev.jaio.testing.TestedEngine}.</li>
 *   <li>{@link dev.jaio.testing.CProbe} compiles and runs C for a {@link dev.jaio.testing.CTarget}
 *       (the machine's architecture, the other one under qemu, musl).</li>
 *   <li>{@link dev.jaio.testing.NativeAccessChild} is the child JVM of {@code NativeAccessRequiredTest}.</li>
 * </ul>
 *
 * <p>Layer: tests. It may depend on {@code dev.jaio} (the public API, and {@code dev.jaio.internal.ffi}
 * for the C probes), JUnit Jupiter and the JDK.
 */
package dev.jaio.testing;
