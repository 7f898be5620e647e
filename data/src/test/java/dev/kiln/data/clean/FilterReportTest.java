package dev.kiln.data.clean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.JsonFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilterReportTest {
    @TempDir
    Path dir;

    private static FilterReport sample() {
        FilterReport r = new FilterReport();
        FilterReport.Stage words = r.stage("word-count");
        FilterReport.Stage norm = r.stage("nfkc");
        IntStream.range(0, 1000).parallel().forEach(i -> {
            norm.countSeen();
            if (i % 10 == 0) {
                norm.countModified();
            }
            words.countSeen();
            if (i % 7 == 0) {
                words.countRemoved(i % 2 == 0 ? "fewer than 50 words" : "more than 100000 words");
            }
        });
        return r;
    }

    @Test
    void countsAreExactUnderConcurrencyAndReasonsSortByCount() {
        FilterReport r = sample();
        assertEquals(1000, r.input());
        // multiples of 7 below 1000: 143, of which even (multiples of 14): 72
        assertEquals(1000 - 143, r.output());
        FilterReport.Stage words = r.stages().getFirst();
        assertEquals("word-count", words.name());
        assertEquals(143, words.removed());
        assertEquals(Map.of("fewer than 50 words", 72L, "more than 100000 words", 71L), words.removedByReason());
        assertEquals(List.of("fewer than 50 words", "more than 100000 words"), List.copyOf(words.removedByReason().keySet()));
        assertEquals(100, r.stages().get(1).modified());
    }

    @Test
    void tableListsStagesReasonsAndTotals() {
        String table = sample().table();
        String[] lines = table.split("\n");
        assertTrue(lines[0].matches("stage\\s+seen\\s+removed\\s+modified"), lines[0]);
        assertTrue(lines[2].matches("word-count\\s+1,000\\s+143\\s+0"), lines[2]);
        assertTrue(lines[3].matches(" {4}fewer than 50 words\\s+72\\s*"), lines[3]);
        assertTrue(lines[4].matches(" {4}more than 100000 words\\s+71\\s*"), lines[4]);
        assertTrue(lines[5].matches("nfkc\\s+1,000\\s+0\\s+100"), lines[5]);
        assertEquals("input 1,000, output 857, removed 143 (14.30%)", lines[7]);
    }

    @Test
    void jsonIsWrittenAtomicallyAndReadsBack() throws IOException {
        Path file = dir.resolve("sub/report.json");
        sample().writeJson(file);
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) JsonFiles.read(file);
        assertEquals(1000L, json.get("input"));
        assertEquals(857L, json.get("output"));
        @SuppressWarnings("unchecked")
        Map<String, Object> first = ((List<Map<String, Object>>) json.get("stages")).getFirst();
        assertEquals("word-count", first.get("name"));
        assertEquals(Map.of("fewer than 50 words", 72L, "more than 100000 words", 71L), first.get("reasons"));
        try (var files = Files.list(file.getParent())) {
            assertEquals(List.of(file), files.toList()); // no temporary file left behind
        }
    }
}
