package dev.jaio.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Says which engine a concrete test class of a contract suite runs on, for example
 * {@code @OnEngine(EngineUnderTest.IO_URING) class UringEngineContractTest extends AioEngineContract}.
 * {@link OneEnginePerClass} (which the suite's abstract class registers) opens that engine once
 * for the class and its {@code @Nested} groups and closes it after them.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface OnEngine {
    /**
     * The engine.
     *
     * @return the engine every test of the class runs on
     */
    EngineUnderTest value();
}
