package dev.jaio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The hand-written JSON: valid, escaped, and read back as written. */
class JsonTest {

    @Test
    void nestedDocumentsRoundTrip() {
        String nasty = "quote \" backslash \\ newline \n tab \t bell \u0007 unicode µ \u2028";
        String text = new Json().beginObject()
                .member("s", nasty)
                .member("n", 42)
                .member("d", 1.5)
                .member("nan", Double.NaN)
                .member("b", true)
                .member("null", (String) null)
                .name("empty").beginArray().endArray()
                .name("list").beginArray().value(1).beginObject().member("k", "v").endObject().endArray()
                .endObject().toString();
        Map<?, ?> doc = (Map<?, ?>) JsonReader.parse(text);
        assertEquals(nasty, doc.get("s"));
        assertEquals(42.0, doc.get("n"));
        assertEquals(1.5, doc.get("d"));
        assertEquals(null, doc.get("nan"));
        assertEquals(true, doc.get("b"));
        assertEquals(true, doc.containsKey("null"));
        assertEquals(List.of(), doc.get("empty"));
        assertEquals(List.of(1.0, Map.of("k", "v")), doc.get("list"));
    }
}
