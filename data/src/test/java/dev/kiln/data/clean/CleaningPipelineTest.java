package dev.kiln.data.clean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.parallel.CloseableIterator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CleaningPipelineTest {
    static final String[] VOCAB = buildVocab(3000, 1);

    static String[] buildVocab(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        String[] out = new String[n];
        for (int i = 0; i < n; i++) {
            int len = rng.nextInt(3, 9);
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < len; k++) {
                sb.append((char) ('a' + rng.nextInt(26)));
            }
            out[i] = sb.toString();
        }
        return out;
    }

    /** Prose-like text: random words, a few sentences per line, lines in paragraphs. */
    static String prose(SplittableRandom rng, int words) {
        StringBuilder sb = new StringBuilder();
        for (int w = 0; w < words; w++) {
            if (w > 0) {
                sb.append(w % 40 == 0 ? "\n\n" : w % 12 == 0 ? "\n" : " ");
            }
            sb.append(VOCAB[rng.nextInt(VOCAB.length)]);
            if (w % 9 == 8) {
                sb.append('.');
            }
        }
        return sb.toString();
    }

    /** Words separated by single spaces. */
    static String sentence(SplittableRandom rng, int words) {
        StringBuilder sb = new StringBuilder();
        for (int w = 0; w < words; w++) {
            sb.append(w == 0 ? "" : " ").append(VOCAB[rng.nextInt(VOCAB.length)]);
        }
        return sb.toString();
    }

    private static String lines(SplittableRandom rng, int count, int words, String prefix, String suffix) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            sb.append(prefix).append(sentence(rng, words)).append(suffix).append('\n');
        }
        return sb.toString();
    }

    /** A mixed corpus: good prose, prose with noise to normalise, and documents each filter should drop. */
    static List<String> corpus(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String doc = switch (rng.nextInt(12)) {
                case 0 -> prose(rng, rng.nextInt(5, 40)); // too short
                case 1 -> lines(rng, 20, 6, "\u2022 ", ""); // bullets
                case 2 -> String.join(" ", java.util.Collections.nCopies(80, "#tag " + VOCAB[rng.nextInt(50)])); // hashtags
                case 3 -> "\uFF21\u200B" + prose(rng, 120).replace(" ", "\u00A0 \t") + "\r\n\r\n\r\n"; // needs normalising
                case 4 -> {
                    String repeated = lines(rng, 2, 4, "", "");
                    yield lines(rng, 12, 30, "", "") + "\n" + repeated + "\n" + repeated; // a repeated paragraph
                }
                case 5 -> {
                    StringBuilder sb = new StringBuilder(); // 30% of words without a letter
                    for (int w = 0; w < 100; w++) {
                        sb.append(w % 10 < 3 ? Integer.toString(1000 + rng.nextInt(9000)) : VOCAB[rng.nextInt(VOCAB.length)]).append(' ');
                    }
                    yield sb.toString();
                }
                case 6 -> lines(rng, 5, 8, "", "...") + lines(rng, 5, 8, "", "."); // half the lines trail off
                case 7 -> "ab cd ef gh ".repeat(20); // short words
                case 8 -> (sentence(rng, 8) + "\n").repeat(10); // the same line over and over
                default -> prose(rng, rng.nextInt(60, 400));
            };
            out.add(doc);
        }
        return out;
    }

    private static List<String> drain(CloseableIterator<String> it) {
        List<String> out = new ArrayList<>();
        try (it) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void processNormalisesThenFiltersAndNamesTheFirstDroppingStage() {
        CleaningPipeline p = CleaningPipeline.standard();
        FilterReport r = new FilterReport();
        SplittableRandom rng = new SplittableRandom(3);
        String body = prose(rng, 80);
        CleaningPipeline.Outcome kept = p.process("\uFEFF\uFF21\u00AD" + body.replace("\n", "  \r\n") + "\n\n\n", r);
        assertTrue(kept.kept());
        assertEquals("A" + body, kept.text());

        CleaningPipeline.Outcome dropped = p.process("too short", r);
        assertNull(dropped.text());
        assertEquals("word-count", dropped.droppedBy());
        assertEquals(Decision.drop("fewer than 50 words"), dropped.decision());
        assertEquals(2, r.input());
        assertEquals(1, r.output());
        assertEquals(1, r.stage("mean-word-length").seen()); // the short document stopped before it
    }

    @Test
    void parallelRunEqualsSequentialRunInOutputAndReport() {
        List<String> docs = corpus(1500, 11);
        CleaningPipeline p = CleaningPipeline.standard();

        FilterReport sequentialReport = new FilterReport();
        List<String> sequential = new ArrayList<>();
        for (String d : docs) {
            CleaningPipeline.Outcome o = p.process(d, sequentialReport);
            if (o.kept()) {
                sequential.add(o.text());
            }
        }
        assertTrue(sequential.size() > 300 && sequential.size() < 1000, "kept " + sequential.size());
        for (String stage : List.of("word-count", "mean-word-length", "symbol-ratio", "bullet-lines", "ellipsis-lines",
                "alphabetic-words", "duplicate-lines", "duplicate-paragraphs")) {
            assertTrue(sequentialReport.stage(stage).removed() > 0, stage + " removed nothing:\n" + sequentialReport.table());
        }
        String expectedReport = JsonFiles.write(sequentialReport.toJson());

        for (int threads : new int[] {1, 2, 4}) {
            for (int batch : new int[] {1, 7, 32}) {
                FilterReport report = new FilterReport();
                List<String> got = drain(p.withBatchSize(batch).clean(docs.iterator(), report, threads));
                assertEquals(sequential, got, "threads=" + threads + " batch=" + batch);
                assertEquals(expectedReport, JsonFiles.write(report.toJson()), "threads=" + threads + " batch=" + batch);
            }
        }
    }

    record Doc(int id, String text) {}

    @Test
    void recordsKeepTheirIdsThroughTheGenericPath() {
        List<String> docs = corpus(200, 5);
        List<Doc> records = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            records.add(new Doc(i, docs.get(i)));
        }
        CleaningPipeline p = CleaningPipeline.standard();
        List<Doc> out = new ArrayList<>();
        try (CloseableIterator<Doc> it = p.clean(records.iterator(), Doc::text, (d, t) -> new Doc(d.id(), t), new FilterReport(), 2)) {
            it.forEachRemaining(out::add);
        }
        for (Doc d : out) {
            assertEquals(p.process(docs.get(d.id()), new FilterReport()).text(), d.text());
        }
        assertTrue(out.size() > 20);
    }

    @Test
    void invalidUtf8IsSkippedOrReplacedAndCountedNeverACrash() {
        SplittableRandom rng = new SplittableRandom(9);
        byte[] good = prose(rng, 100).getBytes(StandardCharsets.UTF_8);
        byte[] bad = good.clone();
        bad[10] = (byte) 0xFF; // never valid in UTF-8
        byte[] truncated = java.util.Arrays.copyOf("caf\u00e9 ".repeat(60).getBytes(StandardCharsets.UTF_8), 60 * 6 - 2);
        byte[] surrogate = (prose(rng, 60) + " ").getBytes(StandardCharsets.UTF_8);
        byte[] withSurrogate = java.util.Arrays.copyOf(surrogate, surrogate.length + 3);
        withSurrogate[surrogate.length] = (byte) 0xED; // encoded U+D800
        withSurrogate[surrogate.length + 1] = (byte) 0xA0;
        withSurrogate[surrogate.length + 2] = (byte) 0x80;
        List<byte[]> docs = List.of(good, bad, truncated, withSurrogate);
        CleaningPipeline p = new CleaningPipeline(TextNormalizers.standard(), List.of(QualityFilters.WordCount.DEFAULT));

        FilterReport skip = new FilterReport();
        List<String> skipped = drain(p.cleanUtf8(docs.iterator(), CleaningPipeline.InvalidUtf8.SKIP, skip, 2));
        assertEquals(1, skipped.size());
        assertEquals(3, skip.stage(CleaningPipeline.DECODE_STAGE).removed());
        assertEquals(java.util.Map.of("invalid UTF-8", 3L), skip.stage(CleaningPipeline.DECODE_STAGE).removedByReason());
        assertEquals("utf8-decode", skip.stages().getFirst().name());

        FilterReport replace = new FilterReport();
        List<String> replaced = drain(p.cleanUtf8(docs.iterator(), CleaningPipeline.InvalidUtf8.REPLACE, replace, 2));
        assertEquals(4, replaced.size());
        assertEquals(3, replace.stage(CleaningPipeline.DECODE_STAGE).modified());
        assertTrue(replaced.get(1).contains("\uFFFD"));
        assertTrue(replaced.get(2).endsWith("\uFFFD"));
        assertTrue(replaced.get(3).endsWith("\uFFFD"));
    }

    @Test
    void misconfigurationIsReported() {
        TextFilter twin = TextFilter.of("word-count", t -> Decision.KEEP);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CleaningPipeline(List.of(), List.of(QualityFilters.WordCount.DEFAULT, twin)));
        assertTrue(e.getMessage().contains("two stages are named 'word-count'"), e.getMessage());
        Iterator<String> withNull = java.util.Arrays.asList("a", null).iterator();
        CloseableIterator<String> it = CleaningPipeline.standard().clean(withNull, new FilterReport(), 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> drain(it)).getMessage()
                .contains("textOf returned null"));
    }
}
