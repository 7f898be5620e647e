package dev.kiln.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The header JSON parser and string writer. */
class JsonTest {

    @Test
    void parsesNestingEscapesAndUnicode() throws Exception {
        Object v = Json.parse(" {\"a\":\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\\b\\f\\r\\t x\u00e9\",\"b\":[1,-2,3.5e1,0,true,"
                + "false,null,{\"c\":{}},[]]} \n");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals("\u00e9\ud83d\ude00\n\"\\/\b\f\r\t x\u00e9", m.get("a"));
        List<?> b = (List<?>) m.get("b");
        assertEquals(List.of(1L, -2L, 35.0, 0L, true, false, Json.NULL, Map.of("c", Map.of()), List.of()), b);
        assertEquals(List.of("a", "b"), List.copyOf(m.keySet()));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
    }

    @Test
    void rejectsMalformedInput() {
        String[][] cases = {
            {"{\"a\":1,}", "expected a string key"},
            {"[1,]", "expected a value"},
            {"01", "after the top-level value"},
            {"{\"a\" 1}", "expected ':'"},
            {"\"ab", "unterminated string"},
            {"\"a\u0001\"", "unescaped control character U+0001"},
            {"\"\\x\"", "invalid escape \\x"},
            {"\"\\ud800\"", "not followed by a low surrogate"},
            {"\"\\udc00\"", "lone low surrogate"},
            {"\"\\u12g4\"", "invalid hex digit"},
            {"9223372036854775808", "does not fit in 64 bits"},
            {"1.", "expected a digit after '.'"},
            {"-", "expected a digit"},
            {"tru", "expected a value"},
            {"{\"a\":1,\"a\":2}", "duplicate key \"a\""},
            {"{} {}", "after the top-level value"},
            {"[".repeat(200) + "]".repeat(200), "nesting deeper than 128"},
            {"", "unexpected end of input"},
        };
        for (String[] c : cases) {
            Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), "'" + c[0] + "': expected '" + c[1] + "' in: " + e.getMessage());
        }
    }

    @Test
    void writesStringsLikeSerdeJson() {
        StringBuilder sb = new StringBuilder();
        Json.writeString(sb, "q\" b\\ /\b\t\n\f\r\u0000\u001f\u007f\u00e9\u2028\ud83d\ude00");
        assertEquals("\"q\\\" b\\\\ /\\b\\t\\n\\f\\r\\u0000\\u001f\u007f\u00e9\u2028\ud83d\ude00\"", sb.toString());
    }
}
