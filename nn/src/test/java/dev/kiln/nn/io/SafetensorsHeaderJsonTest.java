package dev.kiln.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The JSON side of the header: strings escaped exactly as serde_json escapes them (the expected
 * bytes are written out by hand from serde_json's rules) and the strict reading the reference does.
 */
class SafetensorsHeaderJsonTest {

    @Test
    void namesAndMetadataAreEscapedLikeSerdeJson() {
        String name = "q\" b\\ /\b\t\n\f\r\u0000\u001f\u007f\u00e9\u2028\ud83d\ude00";
        byte[] header = SafetensorsHeader.encode(List.of(new SafetensorsHeader.Entry(name, DType.F32, new int[] {1}, 0, 4)),
                Map.of("k", "v\u0001"));
        String expectedName = "\"q\\\" b\\\\ /\\b\\t\\n\\f\\r\\u0000\\u001f\u007f\u00e9\u2028\ud83d\ude00\"";
        String expected = "{\"__metadata__\":{\"k\":\"v\\u0001\"}," + expectedName
                + ":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        byte[] json = expected.getBytes(StandardCharsets.UTF_8);
        assertEquals(0, header.length % 8);
        assertEquals(expected, new String(header, StandardCharsets.UTF_8).stripTrailing());
        assertEquals(json.length + (8 - json.length % 8) % 8, header.length, "padded with spaces to 8 bytes");
    }

    @Test
    void decodesEscapesAndKeepsFileOrderOfMetadata() throws Exception {
        String text = "{\"__metadata__\":{\"z\":\"\\u00e9\\ud83d\\ude00\",\"a\":\"\\/\"},"
                + "\"t\\n\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}";
        SafetensorsHeader.Parsed p = SafetensorsHeader.decode(text.getBytes(StandardCharsets.UTF_8), 2, "f");
        assertEquals(List.of("z", "a"), List.copyOf(p.metadata().keySet()));
        assertEquals("\u00e9\ud83d\ude00", p.metadata().get("z"));
        assertEquals("/", p.metadata().get("a"));
        assertEquals("t\n", p.entries().getFirst().name());
    }

    @Test
    void rejectsWhatSerdeJsonRejects() {
        String tensor = "{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}";
        String[][] cases = {
            {"{\"a\":" + tensor + ",}", "not valid JSON"},
            {"{\"a\" " + tensor + "}", "not valid JSON"},
            {"{\"a\":" + tensor + "} {}", "not valid JSON"},
            {"{\"a\\ud800\":" + tensor + "}", "surrogate"},
            {"{\"__metadata__\":{\"k\":\"\\udc00\"},\"a\":" + tensor + "}", "surrogate"},
            {"{\"a\":{\"dtype\":\"I8\",\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}", "not valid JSON"},
            {"{\"a\":{\"dtype\":\"I8\",\"shape\":[9223372036854775808],\"data_offsets\":[0,2]}}", "non-negative integers"},
            {"{\"a\":{\"dtype\":\"I8\",\"shape\":[2.0],\"data_offsets\":[0,2]}}", "non-negative integers"},
            {"{\"a\":{\"dtype\":\"I8\",\"shape\":[02],\"data_offsets\":[0,2]}}", "not valid JSON"},
            {"{\"a\":{\"x\":" + "[".repeat(200) + "]".repeat(200) + "}}", "not valid JSON"},
        };
        for (String[] c : cases) {
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                    () -> SafetensorsHeader.decode(c[0].getBytes(StandardCharsets.UTF_8), 2, "f"), c[0]);
            assertTrue(e.getMessage().contains(c[1]), "'" + c[0] + "': expected '" + c[1] + "' in: " + e.getMessage());
        }
    }
}
