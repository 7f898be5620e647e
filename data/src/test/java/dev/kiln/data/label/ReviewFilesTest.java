package dev.kiln.data.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.io.MalformedDataException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReviewFilesTest {
    @TempDir
    Path dir;

    private static final List<String> IDS = List.of("d0", "d1", "d2", "d3");
    private static final List<String> TEXTS = List.of("sure thing", "maybe \"quoted\"\nline two", "coin flip", "fairly sure");
    private static final double[][] PROBS = {{0.95, 0.05}, {0.45, 0.55}, {0.5, 0.5}, {0.2, 0.8}};
    private static final List<String> CLASSES = List.of("ham", "spam");

    @Test
    void exportWritesTheLeastConfidentFirst() throws IOException {
        Path file = dir.resolve("review/queue.jsonl");
        int n = ReviewFiles.export(file, IDS, TEXTS, PROBS, CLASSES, 2, UncertaintySampling.Strategy.LEAST_CONFIDENCE);
        assertEquals(2, n);
        List<Object> lines = JsonFiles.readLines(file);
        assertEquals(2, lines.size());
        Map<?, ?> first = (Map<?, ?>) lines.get(0);
        assertEquals("d2", first.get("id"));
        assertEquals("ham", first.get("predicted")); // tie: the first class
        assertEquals(0.5, first.get("confidence"));
        assertTrue(first.containsKey("label") && first.get("label") == null);
        Map<?, ?> second = (Map<?, ?>) lines.get(1);
        assertEquals("d1", second.get("id"));
        assertEquals("maybe \"quoted\"\nline two", second.get("text"));
        assertEquals("spam", second.get("predicted"));
        assertEquals(0.55, second.get("confidence"));
        try (var files = Files.list(file.getParent())) {
            assertEquals(1, files.count()); // no temporary file left
        }
    }

    @Test
    void mergeAppliesReviewedLabelsAndCounts() throws IOException {
        Path queue = dir.resolve("queue.jsonl");
        ReviewFiles.export(queue, IDS, TEXTS, PROBS, CLASSES, 4, UncertaintySampling.Strategy.MARGIN);
        // the reviewer labels d2 as spam (new), d1 as spam (confirms), leaves d3 alone, and adds an unknown id
        List<String> edited = new ArrayList<>();
        for (String line : Files.readAllLines(queue)) {
            Map<?, ?> m = (Map<?, ?>) JsonFiles.parse(line, "queue");
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put((String) k, v));
            switch ((String) m.get("id")) {
                case "d2", "d1" -> out.put("label", "spam");
                case "d0" -> out.put("label", "spam"); // overrides ham
                default -> { }
            }
            edited.add(JsonFiles.write(out));
        }
        edited.add("{\"id\": \"stranger\", \"label\": \"ham\"}");
        Files.write(queue, edited);

        Map<String, String> current = new LinkedHashMap<>();
        current.put("d0", "ham");
        current.put("d1", "spam");
        current.put("d2", null); // unlabeled so far
        current.put("d3", "spam");
        ReviewFiles.MergeResult r = ReviewFiles.merge(queue, current);
        assertEquals(2, r.changed()); // d0 ham -> spam, d2 none -> spam
        assertEquals(1, r.confirmed()); // d1
        assertEquals(1, r.unreviewed()); // d3
        assertEquals(List.of("stranger"), r.unknownIds());
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("d0", "spam");
        expected.put("d1", "spam");
        expected.put("d2", "spam");
        expected.put("d3", "spam");
        assertEquals(expected, r.labels());
        assertEquals("ham", current.get("d0")); // the input map is left alone
    }

    @Test
    void malformedReviewFilesNameTheLine() throws IOException {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"id\": \"a\", \"label\": \"x\"}\n{\"id\": \"a\", \"label\": \"y\"}\n");
        assertTrue(assertThrows(MalformedDataException.class, () -> ReviewFiles.merge(f, Map.of("a", "x"))).getMessage()
                .contains("bad.jsonl:2: id 'a' reviewed again (first at line 1)"));
        Files.writeString(f, "{\"label\": \"x\"}\n");
        assertTrue(assertThrows(MalformedDataException.class, () -> ReviewFiles.merge(f, Map.of())).getMessage()
                .contains("bad.jsonl:1: no string or integer field 'id'"));
        Files.writeString(f, "{\"id\": \"a\", \"label\": [1]}\n");
        assertTrue(assertThrows(MalformedDataException.class, () -> ReviewFiles.merge(f, Map.of("a", "x"))).getMessage()
                .contains("field 'label' of id 'a' is not a string"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ReviewFiles.export(f, List.of("a", "a"), List.of("t", "u"),
                new double[][] {{1, 0}, {0, 1}}, CLASSES, 1, UncertaintySampling.Strategy.ENTROPY)).getMessage()
                .contains("id 'a' is used by examples 0 and 1"));
    }
}
