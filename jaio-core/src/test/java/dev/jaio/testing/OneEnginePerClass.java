package dev.jaio.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The per-engine plumbing of the contract suites, once: before the first test of a class annotated
 * {@link OnEngine}, opens that engine; hands it to any test or lifecycle method of the class or of
 * its {@code @Nested} groups that takes a {@link TestedEngine} parameter; closes it when the class
 * is over (JUnit closes the {@code AutoCloseable} values of a class's store after its
 * {@code @AfterAll} methods). The abstract suite registers this extension and takes the engine in
 * a {@code @BeforeEach} method; a concrete class only says {@code @OnEngine(...)}.
 *
 * <p>A {@code @Nested} class inherited from the abstract suite runs once per concrete class, and
 * its tests find the engine of the class they run in: the store of a nested class's context falls
 * back to that of its enclosing class.
 *
 * <p>JUnit calls it on its own threads, one class at a time per context.
 */
public final class OneEnginePerClass implements BeforeAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(OneEnginePerClass.class);

    /** For JUnit ({@code @ExtendWith}). */
    public OneEnginePerClass() {
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        // Called for the annotated class and again for each of its @Nested groups; only the
        // annotated class opens an engine, the groups use that one.
        AnnotationSupport.findAnnotation(context.getRequiredTestClass(), OnEngine.class).ifPresent(on ->
                context.getStore(NAMESPACE).put(TestedEngine.class, new TestedEngine(on.value(), on.value().open())));
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestedEngine.class;
    }

    @Override
    public TestedEngine resolveParameter(ParameterContext parameter, ExtensionContext context) {
        TestedEngine tested = context.getStore(NAMESPACE).get(TestedEngine.class, TestedEngine.class);
        if (tested == null) {
            String testClass = context.getTestInstances()
                    .map(instances -> instances.getAllInstances().getFirst().getClass().getName())
                    .orElse(context.getRequiredTestClass().getName());
            throw new ParameterResolutionException(testClass + " does not say which engine it tests: annotate it"
                    + " with @OnEngine(EngineUnderTest.POSIX), THREADS or IO_URING");
        }
        return tested;
    }
}
