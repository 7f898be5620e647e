package dev.kiln.data.stream;

import static dev.kiln.data.stream.StreamTestFiles.concat;
import static dev.kiln.data.stream.StreamTestFiles.gzip;
import static dev.kiln.data.stream.StreamTestFiles.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlReaderTest {
    @TempDir
    Path dir;

    @Test
    void objectsAreReadAndBadLinesAreCountedSkipsNamingTheLine() throws IOException {
        byte[] content = concat(utf8("{\"text\": \"one\", \"n\": 1}\n"
                        + "\n"
                        + "{\"text\": \"two\", \"n\": 2,}\n" // trailing comma
                        + "[1, 2]\n"
                        + "{\"text\": \"caf"),
                new byte[] {(byte) 0xe9},
                utf8("\"}\n{\"text\": \"three\", \"nested\": {\"a\": [true, null]}}\r\n{\"text\": 5}\n"));
        Path f = dir.resolve("d.jsonl.gz");
        Files.write(f, gzip(content));
        List<Map<String, Object>> got = new ArrayList<>();
        try (JsonlReader r = JsonlReader.open(f)) {
            Map<String, Object> o;
            List<String> where = new ArrayList<>();
            while ((o = r.read()) != null) {
                got.add(o);
                where.add(r.location());
            }
            assertEquals(List.of(f + ":1", f + ":6", f + ":7"), where);
            SkipReport skips = r.skips();
            assertEquals(3, skips.total());
            SkipReport.Skip bad = skips.examples(SkipReason.MALFORMED_JSON).getFirst();
            assertEquals(f + ":3", bad.location());
            assertEquals("column 24: Unexpected character ('}' (code 125)): was expecting double-quote to start field name", bad.detail());
            assertEquals("a JSON array, expected an object", skips.examples(SkipReason.NOT_A_JSON_OBJECT).getFirst().detail());
            assertEquals(f + ":5", skips.examples(SkipReason.INVALID_UTF8).getFirst().location());
        }
        assertEquals(3, got.size());
        assertEquals("one", got.get(0).get("text"));
        assertEquals(1L, got.get(0).get("n"));
        assertEquals(Map.of("a", Arrays.asList(true, null)), got.get(1).get("nested"));
        assertEquals(5L, got.get(2).get("text"));
    }

    @Test
    void textFieldPicksStringsAndCountsTheRest() throws IOException {
        Path f = dir.resolve("t.jsonl");
        Files.writeString(f, "{\"text\": \"a\"}\n{\"body\": \"b\"}\n{\"text\": null}\n{\"text\": \"c\"}\n");
        try (RecordReader<String> r = JsonlReader.textField(f, "text")) {
            assertEquals("a", r.read());
            assertEquals("c", r.read());
            assertEquals(f + ":4", r.location());
            assertNull(r.read());
            assertEquals(2, r.skips().count(SkipReason.MALFORMED_JSON));
            assertEquals("no field 'text' (fields: [body])", r.skips().examples(SkipReason.MALFORMED_JSON).get(0).detail());
            assertEquals("field 'text' is null, not a string", r.skips().examples(SkipReason.MALFORMED_JSON).get(1).detail());
        }
    }

    @Test
    void truncatedGzipIsAnErrorAfterTheCompleteLines() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            sb.append("{\"i\": ").append(i).append("}\n");
        }
        byte[] gz = gzip(sb.toString());
        Path f = dir.resolve("cut.jsonl.gz");
        Files.write(f, Arrays.copyOf(gz, gz.length / 2));
        int n = 0;
        try (JsonlReader r = JsonlReader.open(f)) {
            MalformedDataException e = null;
            try {
                while (r.read() != null) {
                    n++;
                }
            } catch (MalformedDataException x) {
                e = x;
            }
            assertTrue(e != null && e.getMessage().contains("the file ends inside the member"), String.valueOf(e));
            assertTrue(e.getMessage().endsWith("(after line " + n + ")"), e.getMessage());
            assertEquals(0, r.skips().total()); // the partial last line is not parsed as a bad record
        }
        assertTrue(n > 0 && n < 3000, "read " + n);
        assertThrows(java.nio.file.NoSuchFileException.class, () -> JsonlReader.open(dir.resolve("missing.jsonl")));
    }
}
