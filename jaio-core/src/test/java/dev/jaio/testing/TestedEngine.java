package dev.jaio.testing;

import dev.jaio.AioEngine;

/**
 * The engine a test class runs on: which one it is, with its capabilities, and the instance
 * {@link OneEnginePerClass} opened for the class. Closing it closes the engine.
 *
 * @param kind the engine and what it can do
 * @param engine the private instance every test of the class uses
 */
public record TestedEngine(EngineUnderTest kind, AioEngine engine) implements AutoCloseable {
    @Override
    public void close() {
        engine.close();
    }
}
