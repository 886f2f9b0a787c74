package dev.jaio.contract;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * {@code sun.misc.Signal.handle(new sun.misc.Signal(name), handler)}, the way jaio's users catch
 * a notification signal, called reflectively.
 *
 * <p>Why not directly: the test sources are compiled into module {@code dev.jaio}, which does not
 * read {@code jdk.unsupported} (javac says "package sun.misc is not visible"). At run time the
 * tests sit on the class path, where {@code sun.misc} is readable as for any user, so this
 * performs exactly the call a user writes. To write it directly, the build would compile the
 * tests with {@code --add-modules jdk.unsupported --add-reads dev.jaio=jdk.unsupported}.
 *
 * <p>Thread safety: as {@code sun.misc.Signal.handle}; the handler runs on the JVM's signal
 * dispatch thread.
 */
public final class SunMiscSignal {
    private SunMiscSignal() {
    }

    /**
     * Installs {@code handler} for the signal called {@code name} ({@code "USR2"}), replacing
     * the previous handler.
     */
    public static void handle(String name, Runnable handler) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerInterface = Class.forName("sun.misc.SignalHandler");
            Object signal = signalClass.getConstructor(String.class).newInstance(name);
            Object proxy = Proxy.newProxyInstance(SunMiscSignal.class.getClassLoader(),
                    new Class<?>[] {handlerInterface}, (self, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            handler.run();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(self);
                        case "equals" -> self == args[0];
                        case "toString" -> "SunMiscSignal handler for SIG" + name;
                        default -> throw new UnsupportedOperationException(method.toString());
                    });
            Method handle = signalClass.getMethod("handle", signalClass, handlerInterface);
            handle.invoke(null, signal, proxy);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r; // e.g. IllegalArgumentException: signal already used by the VM
            }
            throw new IllegalStateException("sun.misc.Signal.handle(SIG" + name + ") failed", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("sun.misc.Signal is not available in this JVM", e);
        }
    }
}
