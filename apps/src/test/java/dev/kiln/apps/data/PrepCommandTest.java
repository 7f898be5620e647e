package dev.kiln.apps.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.CliRun;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.shard.ShardDataset;
import dev.kiln.data.tokenize.BpeTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln data prep} in-process on tiny generated corpora in the Brown and SpamAssassin
 * layouts, with one document planted for each thing the pipeline must remove.
 */
class PrepCommandTest {
    @TempDir
    static Path root;

    /** Brown documents as plain sentences (what the untagged text must read) by file name. */
    private static final Map<String, List<String>> BROWN = new java.util.LinkedHashMap<>();

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    /** Sentences of distinct random pseudo-words, so no quality or repetition filter fires on them. */
    private static List<String> sentences(Random r, int count) {
        List<String> out = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            StringBuilder sb = new StringBuilder();
            int words = 8 + r.nextInt(6);
            for (int w = 0; w < words; w++) {
                int len = 3 + r.nextInt(6);
                for (int c = 0; c < len; c++) {
                    sb.append((char) ('a' + r.nextInt(26)));
                }
                sb.append(' ');
            }
            out.add(sb.append('.').toString());
        }
        return out;
    }

    private static String tagged(List<String> sentences) {
        StringBuilder sb = new StringBuilder();
        for (String s : sentences) {
            sb.append("\n\n\t");
            for (String w : s.split(" ")) {
                sb.append(w).append(w.equals(".") ? "/. " : "/nn ");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    @BeforeAll
    static void writeCorpora() throws IOException {
        Random r = new Random(7);
        Path brown = Files.createDirectories(root.resolve("data").resolve("brown"));
        for (int d = 1; d <= 4; d++) {
            BROWN.put(String.format("ca%02d", d), sentences(r, 12));
        }
        BROWN.put("ca05", BROWN.get("ca02")); // exact duplicate
        List<String> near = new ArrayList<>(BROWN.get("ca03"));
        near.set(5, "changed " + near.get(5)); // one word added: Jaccard of 5-shingles ~0.96
        BROWN.put("ca06", near);
        BROWN.put("ca07", List.of("far too short to keep .")); // under the 50-word minimum
        for (Map.Entry<String, List<String>> e : BROWN.entrySet()) {
            Files.writeString(brown.resolve(e.getKey()), tagged(e.getValue()));
        }
        Files.writeString(brown.resolve("README"), "not a document");
        Path spam = Files.createDirectories(root.resolve("data").resolve("spam-assassin").resolve("spam-1"));
        Path ham = Files.createDirectories(root.resolve("data").resolve("spam-assassin").resolve("easy-ham-1"));
        Files.writeString(spam.resolve("0001.aaa"), "From: a@example.com\nSubject: cheap offer\n\n" + String.join("\n", sentences(r, 8)) + "\n");
        Files.writeString(spam.resolve("0002.bbb"), "From: b@example.com\nSubject: more offers\nContent-Type: text/html\n\n<html><body><p>"
                + String.join("</p><p>", sentences(r, 8)) + "</p></body></html>\n");
        Files.writeString(ham.resolve("0001.ccc"), "From: c@example.com\nSubject: meeting notes\n\n" + String.join("\n", sentences(r, 8)) + "\n");
        Files.writeString(ham.resolve("0002.ddd"), "this file is not a mail message at all\nit has no header fields\n");
        Files.writeString(ham.resolve("cmds"), "mv 00001.abc 0001.ccc\n");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    private static long number(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).longValue();
    }

    /** The documents of a shard directory: the decoded spans between end-of-text ids. */
    private static List<String> decodeShards(Path dir, BpeTokenizer tok, int eot) throws IOException {
        List<String> docs = new ArrayList<>();
        try (ShardDataset ds = ShardDataset.open(dir, ShardDataset.Verify.CHECKSUMS)) {
            long n = ds.totalTokens();
            long[] all = new long[(int) n];
            ds.read(0, all, 0, (int) n);
            assertEquals(eot, all[0], "a shard directory starts with the end-of-text id");
            int start = 1;
            for (int i = 1; i <= all.length; i++) {
                if (i == all.length || all[i] == eot) {
                    int[] ids = new int[i - start];
                    for (int k = 0; k < ids.length; k++) {
                        ids[k] = (int) all[start + k];
                    }
                    docs.add(tok.decode(ids));
                    start = i + 1;
                }
            }
        }
        return docs;
    }

    @Test
    void preparesShardsThatDecodeToTheKeptDocuments() throws IOException {
        Path out = root.resolve("prep");
        CliRun r = run("data", "prep", "--data-dir", root.resolve("data").toString(), "--out", out.toString(),
                "--vocab-size", "400", "--threads", "2", "--val-fraction", "0.3");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("exact duplicates removed: 1, near duplicates removed: 1"), r.out());

        Map<String, Object> report = map(JsonFiles.read(out.resolve("report.json")));
        Map<String, Object> brown = map(map(report.get("sources")).get("brown"));
        Map<String, Object> spam = map(map(report.get("sources")).get("spam-assassin"));
        assertEquals(7, number(brown, "files"));
        assertEquals(4, number(spam, "files"), "cmds is not a message");
        assertEquals(1, number(spam, "malformed"));
        assertEquals(1L, number(report, "exactDuplicates"));
        assertEquals(1L, number(report, "nearDuplicates"));
        Map<String, Object> filters = map(report.get("filters"));
        assertEquals(11, number(filters, "input"));
        assertEquals(7, number(filters, "output"), "11 read - malformed - short - exact - near");
        long qualityRemovals = 0;
        for (Object o : (List<?>) filters.get("stages")) {
            Map<String, Object> s = map(o);
            String name = (String) s.get("name");
            if (!List.of("read", "exact-duplicates", "near-duplicates").contains(name)) {
                qualityRemovals += number(s, "removed");
            }
        }
        assertEquals(1, qualityRemovals, "only the short document fails a cleaning filter");

        // clean.jsonl: the kept documents in reading order, Brown text untagged
        List<Object> clean = JsonFiles.readLines(out.resolve("clean.jsonl"));
        List<String> ids = clean.stream().map(o -> (String) map(o).get("id")).toList();
        assertEquals(List.of("ca01", "ca02", "ca03", "ca04", "easy-ham-1/0001.ccc", "spam-1/0001.aaa", "spam-1/0002.bbb"), ids);
        assertEquals(String.join("\n", BROWN.get("ca01")), ((String) map(clean.get(0)).get("text")).strip());
        assertTrue(((String) map(clean.get(4)).get("text")).startsWith("meeting notes\n"));
        String html = (String) map(clean.get(6)).get("text");
        assertTrue(html.startsWith("more offers\n") && !html.contains("<p>"), html);

        // shards: train and val are complementary subsequences of clean.jsonl, decoded exactly
        BpeTokenizer tok = BpeTokenizer.load(out.resolve("tokenizer.json"));
        int eot = tok.id("<|endoftext|>").orElseThrow();
        List<String> train = decodeShards(out.resolve("train"), tok, eot);
        List<String> val = decodeShards(out.resolve("val"), tok, eot);
        assertEquals(2, val.size(), "round(7 * 0.3)");
        int t = 0;
        int v = 0;
        for (Object o : clean) {
            String text = (String) map(o).get("text");
            if (t < train.size() && train.get(t).equals(text)) {
                t++;
            } else {
                assertTrue(v < val.size() && val.get(v).equals(text), "document " + map(o).get("id") + " is in neither split in order");
                v++;
            }
        }
        assertEquals(train.size(), t);
        assertEquals(val.size(), v);
        Map<String, Object> trainSplit = map(map(report.get("splits")).get("train"));
        assertEquals(5, number(trainSplit, "documents"));

        // same outputs on one thread, and reusing the tokenizer gives the same shards
        Path one = root.resolve("prep-1");
        CliRun r1 = run("data", "prep", "--data-dir", root.resolve("data").toString(), "--out", one.toString(),
                "--tokenizer", out.resolve("tokenizer.json").toString(), "--threads", "1", "--val-fraction", "0.3");
        assertEquals(0, r1.exitCode(), r1.err());
        assertArrayEquals(Files.readAllBytes(out.resolve("clean.jsonl")), Files.readAllBytes(one.resolve("clean.jsonl")));
        assertArrayEquals(Files.readAllBytes(out.resolve("train").resolve("shard-00000.bin")),
                Files.readAllBytes(one.resolve("train").resolve("shard-00000.bin")));
    }

    @Test
    void missingDataNamesTheFetchCommand() throws IOException {
        Path empty = Files.createDirectories(root.resolve("empty"));
        CliRun r = run("data", "prep", "--data-dir", empty.toString(), "--out", root.resolve("never").toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("./kiln data fetch brown --data-dir " + empty), r.err());
        assertTrue(r.err().contains("./kiln data fetch spam-assassin --data-dir " + empty), r.err());
        assertTrue(!Files.exists(root.resolve("never")), "nothing is written when data is missing");
    }

    @Test
    void badOptionsAreRefusedWithTheirValues() {
        CliRun r = run("data", "prep", "--corpus", "wiki");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--corpus must be one of [brown, spam-assassin] or all, got 'wiki'"), r.err());
    }
}
