package dev.kiln.data.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonTest {
    @TempDir
    Path dir;

    @Test
    void parsesEveryKindOfValue() throws IOException {
        Object v = Json.parse(" {\"a\": [1, -2.5e1, 0.125, 12345678901234567890, true, false, null],"
                + " \"s\": \"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\", \"o\": {}, \"l\": []} ", "x");
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("a", Arrays.asList(1L, -25.0, 0.125, 1.2345678901234567e19, true, false, null));
        expected.put("s", "q\"\\/\b\f\n\r\té😀");
        expected.put("o", Map.of());
        expected.put("l", List.of());
        assertEquals(expected, v);
        assertEquals(List.of("a", "s", "o", "l"), List.copyOf(((Map<?, ?>) v).keySet()), "key order kept");
    }

    @Test
    void writeThenParseRoundTrips() throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "x\n\"y\"\u0001");
        m.put("n", 3L);
        m.put("d", 0.5);
        m.put("list", Arrays.asList(1L, null, Map.of("k", false)));
        assertEquals(m, Json.parse(Json.write(m), "w"));
        assertEquals(m, Json.parse(Json.writePretty(m), "p"));
        assertTrue(Json.writePretty(m).contains("\n  \"n\": 3"), Json.writePretty(m));
    }

    @Test
    void strictErrorsNameLineAndColumn() {
        assertError("{\"a\": 1,}", "x:1:9: unexpected '}', expected a string key");
        assertError("[1, 2,\n 3,]", "x:2:4: unexpected ']', expected a value");
        assertError("{\"a\": 01}", "leading zero");
        assertError("{'a': 1}", "expected a string key");
        assertError("[NaN]", "x:1:2: unexpected 'N', expected a value");
        assertError("\"tab\there\"", "raw control character U+0009");
        assertError("{\"a\": 1, \"a\": 2}", "duplicate key \"a\"");
        assertError("[1] [2]", "after the value");
        assertError("\"open", "x:1:1: unterminated string");
        assertError("[".repeat(600) + "]".repeat(600), "nesting deeper than 512");
        assertError("1.", "after a decimal point");
        assertError("", "unexpected end of input");
    }

    @Test
    void jsonLinesSkipBlankLinesAndNameTheBadLine() throws IOException {
        Path f = dir.resolve("d.jsonl");
        Files.writeString(f, "{\"i\": 1}\r\n{\"i\": 2}\n\n");
        assertEquals(List.of(Map.of("i", 1L), Map.of("i", 2L)), Json.readLines(f));
        Files.writeString(f, "{\"i\": 1}\n{\"i\": }\n");
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> Json.readLines(f));
        assertTrue(e.getMessage().startsWith(f + ":2:1:7"), e.getMessage());
    }

    private static void assertError(String text, String expected) {
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> Json.parse(text, "x"));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
