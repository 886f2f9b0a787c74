package dev.jaio.cli;

import java.util.Locale;

/**
 * Writes JSON by hand, compactly indented: objects and arrays nest, {@link #name} comes before
 * each member's value, commas are placed by the writer. Strings are escaped as RFC 8259 asks;
 * numbers that are not finite become {@code null}.
 *
 * <p>Not thread-safe; one document per instance.
 */
final class Json {
    private final StringBuilder s = new StringBuilder();
    /** Per nesting level: whether the next value needs a comma before it. */
    private final boolean[] comma = new boolean[32];
    private int depth;
    private boolean afterName;

    Json beginObject() {
        return open('{');
    }

    Json endObject() {
        return close('}');
    }

    Json beginArray() {
        return open('[');
    }

    Json endArray() {
        return close(']');
    }

    Json name(String name) {
        separate();
        string(name);
        s.append(": ");
        afterName = true;
        return this;
    }

    Json value(String v) {
        separate();
        if (v == null) {
            s.append("null");
        } else {
            string(v);
        }
        return this;
    }

    Json value(long v) {
        separate();
        s.append(v);
        return this;
    }

    Json value(double v) {
        separate();
        if (Double.isFinite(v)) {
            s.append(v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v)
                    : String.format(Locale.ROOT, "%.3f", v).replaceAll("0+$", "").replaceAll("\\.$", ""));
        } else {
            s.append("null");
        }
        return this;
    }

    Json value(boolean v) {
        separate();
        s.append(v);
        return this;
    }

    Json member(String name, String v) {
        return name(name).value(v);
    }

    Json member(String name, long v) {
        return name(name).value(v);
    }

    Json member(String name, double v) {
        return name(name).value(v);
    }

    Json member(String name, boolean v) {
        return name(name).value(v);
    }

    @Override
    public String toString() {
        return s.toString();
    }

    private Json open(char c) {
        separate();
        s.append(c);
        comma[++depth] = false;
        return this;
    }

    private Json close(char c) {
        boolean any = comma[depth];
        depth--;
        if (any) {
            newline();
        }
        s.append(c);
        return this;
    }

    private void separate() {
        if (afterName) {
            afterName = false;
            return;
        }
        if (depth > 0) {
            if (comma[depth]) {
                s.append(',');
            }
            comma[depth] = true;
            newline();
        }
    }

    private void newline() {
        s.append('\n').append("  ".repeat(depth));
    }

    private void string(String v) {
        s.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                case '\b' -> s.append("\\b");
                case '\f' -> s.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        s.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        s.append('"');
    }
}
