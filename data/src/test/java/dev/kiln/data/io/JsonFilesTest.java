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

class JsonFilesTest {
    @TempDir
    Path dir;

    @Test
    void parsesEveryKindOfValue() throws IOException {
        Object v = JsonFiles.parse(" {\"a\": [1, -2.5e1, 0.125, 12345678901234567890, true, false, null],"
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
        assertEquals(m, JsonFiles.parse(JsonFiles.write(m), "w"));
        assertEquals(m, JsonFiles.parse(JsonFiles.writePretty(m), "p"));
        assertTrue(JsonFiles.writePretty(m).contains("\n  \"n\": 3"), JsonFiles.writePretty(m));
    }

    @Test
    void strictErrorsNameLineAndColumn() {
        assertError("{\"a\": 1,}", "x:1:9: Unexpected character ('}' (code 125)): was expecting double-quote to start field name");
        assertError("[1, 2,\n 3,]", "x:2:4: Unexpected character (']'");
        assertError("{\"a\": 01}", "Leading zeroes not allowed");
        assertError("{'a': 1}", "x:1:2: Unexpected character");
        assertError("[NaN]", "x:1:5: Non-standard token 'NaN'");
        assertError("\"tab\there\"", "x:1:5: Illegal unquoted character ((CTRL-CHAR, code 9))");
        assertError("{\"a\": 1, \"a\": 2}", "x:1:13: Duplicate field 'a'");
        assertError("[1] [2]", "x:1:5: Trailing token (of type START_ARRAY) found after value");
        assertError("\"open", "x:1:6: Unexpected end-of-input: was expecting closing quote");
        assertError("[".repeat(600) + "]".repeat(600), "x: Document nesting depth (513) exceeds the maximum allowed (512)");
        assertError("1.", "Decimal point not followed by a digit");
        assertError("", "unexpected end of input");
    }

    @Test
    void prettyFormIsTwoSpaceIndentWithKeyColonSpace() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 1L);
        m.put("b", List.of(1.5, "x"));
        m.put("e", Map.of());
        m.put("f", List.of());
        m.put("p", Path.of("runs", "r1"));
        assertEquals("{\n  \"a\": 1,\n  \"b\": [\n    1.5,\n    \"x\"\n  ],\n  \"e\": {},\n  \"f\": [],\n  \"p\": \""
                + Path.of("runs", "r1") + "\"\n}", JsonFiles.writePretty(m));
        assertEquals("{\"a\":1,\"b\":[1.5,\"x\"],\"e\":{},\"f\":[],\"p\":\"" + Path.of("runs", "r1") + "\"}",
                JsonFiles.write(m));
    }

    @Test
    void numbersStayExactAndNonFiniteOnesAreRefused() throws IOException {
        java.util.Random r = new java.util.Random(13);
        for (int i = 0; i < 1000; i++) {
            double d = Double.longBitsToDouble(r.nextLong());
            long n = r.nextLong();
            if (Double.isFinite(d)) {
                assertEquals(d, JsonFiles.parse(JsonFiles.write(d), "d"), "double " + d);
            }
            assertEquals(n, JsonFiles.parse(JsonFiles.write(n), "n"), "long " + n);
            float f = r.nextFloat() * 1e-3f;
            assertEquals(Float.toString(f), JsonFiles.write(f), "float written as Float.toString");
        }
        assertEquals(Long.MIN_VALUE, JsonFiles.parse(Long.toString(Long.MIN_VALUE), "min"));
        for (Object bad : new Object[] {Double.NaN, Double.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonFiles.write(Map.of("x", bad)));
            assertTrue(e.getMessage().contains("is not JSON"), e.getMessage());
        }
    }

    @Test
    void jsonLinesSkipBlankLinesAndNameTheBadLine() throws IOException {
        Path f = dir.resolve("d.jsonl");
        Files.writeString(f, "{\"i\": 1}\r\n{\"i\": 2}\n\n");
        assertEquals(List.of(Map.of("i", 1L), Map.of("i", 2L)), JsonFiles.readLines(f));
        Files.writeString(f, "{\"i\": 1}\n{\"i\": }\n");
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> JsonFiles.readLines(f));
        assertTrue(e.getMessage().startsWith(f + ":2:1:7"), e.getMessage());
    }

    private static void assertError(String text, String expected) {
        MalformedDataException e = assertThrows(MalformedDataException.class, () -> JsonFiles.parse(text, "x"));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(!e.getMessage().contains("`") && !e.getMessage().contains("\n"), () -> "Jackson internals leak: " + e.getMessage());
    }
}
