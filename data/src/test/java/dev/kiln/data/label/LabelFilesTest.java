package dev.kiln.data.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelFilesTest {
    @TempDir
    Path dir;

    @Test
    void csvAndJsonlReadInFileOrder() throws IOException {
        Path csv = dir.resolve("labels.csv");
        Files.writeString(csv, "id,text,label\nb7,\"hello, world\",spam\na1,x, ham \n");
        assertEquals(List.of(Map.entry("b7", "spam"), Map.entry("a1", "ham")), List.copyOf(LabelFiles.read(csv).entrySet()));

        Path jsonl = dir.resolve("labels.jsonl");
        Files.writeString(jsonl, "{\"id\": 3, \"label\": \"pos\", \"extra\": [1]}\r\n\n{\"id\": \"x\", \"label\": \"neg\"}\n");
        assertEquals(Map.of("3", "pos", "x", "neg"), LabelFiles.read(jsonl));

        Path custom = dir.resolve("custom.jsonl");
        Files.writeString(custom, "{\"doc\": \"d1\", \"y\": 1}\n");
        assertEquals(Map.of("d1", "1"), LabelFiles.read(custom, "doc", "y"));
    }

    private void assertBad(String name, String content, String message) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        IOException e = assertThrows(MalformedDataException.class, () -> LabelFiles.read(f));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    }

    @Test
    void errorsNameTheFileAndLine() throws IOException {
        assertBad("dup.csv", "id,label\na,1\nb,2\na,3\n", ":4: id 'a' appears again (first at line 2)");
        assertBad("nolabel.csv", "id,class\na,1\n", "no column 'label' in the header, columns are [id, class]");
        assertBad("empty.csv", "id,label\n,1\n", ":2: empty id");
        assertBad("dup.jsonl", "{\"id\":\"a\",\"label\":\"x\"}\n{\"id\":\"a\",\"label\":\"y\"}\n",
                ":2: id 'a' appears again (first at line 1)");
        assertBad("missing.jsonl", "{\"id\":\"a\"}\n", ":1: no field 'label', fields are [id]");
        assertBad("null.jsonl", "{\"id\":\"a\",\"label\":null}\n", ":1: field 'label' is null");
        assertBad("array.jsonl", "[1,2]\n", ":1: expected a JSON object");
        assertBad("broken.jsonl", "{\"id\":\"a\",\"label\":\"x\"}\n{\"id\":\n", ":2:");
        Path binary = dir.resolve("binary.csv");
        Files.write(binary, new byte[] {'i', 'd', ',', 'l', 'a', 'b', 'e', 'l', '\n', 'a', ',', (byte) 0xC3, '\n'});
        IOException e = assertThrows(MalformedDataException.class, () -> LabelFiles.read(binary));
        assertTrue(e.getMessage().contains("line 2, byte offset 11: malformed UTF-8"), e.getMessage());
        Path unknown = dir.resolve("labels.txt");
        Files.writeString(unknown, "");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LabelFiles.read(unknown)).getMessage()
                .contains("expected a name ending in .csv or .jsonl"));
    }

    @Test
    void requireAllListsMissingIds() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LabelFiles.requireAll(List.of("a", "b", "c"), Map.of("b", "x"), "labels.csv"));
        assertEquals("labels.csv: 2 of 3 ids have no label, e.g. [a, c]", e.getMessage());
        LabelFiles.requireAll(List.of("b"), Map.of("b", "x"), "labels.csv");
    }

    @Test
    void writeRoundTripsBothFormatsAtomically() throws IOException {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("z", "needs, quoting");
        labels.put("a", "say \"hi\"");
        labels.put("m", "plain");
        for (String name : List.of("out.csv", "out.jsonl")) {
            Path f = dir.resolve("w").resolve(name);
            LabelFiles.write(f, labels);
            assertEquals(List.copyOf(labels.entrySet()), List.copyOf(LabelFiles.read(f).entrySet()), name);
        }
        try (var files = Files.list(dir.resolve("w"))) {
            assertEquals(2, files.count()); // no temporary files left
        }
    }
}
