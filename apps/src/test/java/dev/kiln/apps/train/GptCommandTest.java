package dev.kiln.apps.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.CliRun;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.vocab.CharVocabulary;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln train gpt} run in-process on a tiny repetitive corpus in the Brown format, written by the test. */
class GptCommandTest {
    @TempDir
    static Path root;

    private static final String[] SENTENCES = {
        "The/at cat/nn sat/vbd on/in the/at mat/nn ./.",
        "The/at dog/nn sat/vbd on/in the/at log/nn ./.",
        "A/at cat/nn saw/vbd a/at dog/nn ,/, and/cc the/at dog/nn ran/vbd ./.",
    };

    @BeforeAll
    static void writeCorpus() throws IOException {
        Path dir = Files.createDirectories(root.resolve("data").resolve("brown"));
        for (int d = 1; d <= 12; d++) {
            StringBuilder sb = new StringBuilder();
            for (int s = 0; s < 30; s++) {
                sb.append("\n\n\t").append(SENTENCES[(d + s) % SENTENCES.length]).append('\n');
            }
            Files.writeString(dir.resolve(String.format("ca%02d", d)), sb.toString());
        }
        Files.writeString(dir.resolve("README"), "not a document");
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    /** A tiny model on the synthetic corpus with {@code extra} arguments appended. */
    private static CliRun train(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "gpt", "--data-dir", root.resolve("data").toString(),
                "--out", out.toString(), "--threads", "2", "--log-every", "10", "--layers", "1", "--width", "32",
                "--heads", "2", "--context", "24", "--batch-size", "8", "--eval-windows", "16"));
        args.addAll(Arrays.asList(extra));
        return run(args.toArray(String[]::new));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> records(Path metrics, String kind) throws IOException {
        return JsonFiles.readLines(metrics).stream().map(o -> (Map<String, Object>) o).filter(m -> kind.equals(m.get("kind"))).toList();
    }

    private static double number(Map<String, Object> record, String key) {
        return ((Number) record.get(key)).doubleValue();
    }

    @Test
    void trainsOnARepetitiveCorpusAndWritesTheRunDirectory() throws IOException {
        Path out = root.resolve("run");
        CliRun r = train(out, "--steps", "100", "--lr", "0.01", "--warmup", "5", "--eval-every", "25", "--checkpoint-every", "25",
                "--sample-length", "40", "--prompt", "The cat");
        assertEquals(0, r.exitCode(), r.out() + r.err());

        List<Map<String, Object>> steps = records(out.resolve("metrics.jsonl"), "step");
        assertEquals(100, steps.size());
        double first = number(steps.getFirst(), "loss");
        double last = steps.subList(90, 100).stream().mapToDouble(m -> number(m, "loss")).average().orElseThrow();
        assertTrue(first > 2.5, "the first loss is near ln(vocabulary) = ln 21, got " + first);
        assertTrue(last < 0.5 * first, "the loss should fall: first " + first + ", mean of the last 10 " + last);

        List<Map<String, Object>> evals = records(out.resolve("metrics.jsonl"), "eval");
        assertEquals(List.of(0L, 25L, 50L, 75L, 100L), evals.stream().map(m -> m.get("step")).toList());
        for (Map<String, Object> e : evals) {
            double ppl = number(e, "val_perplexity");
            assertTrue(Double.isFinite(ppl) && ppl >= 1, e.toString());
            assertEquals(Math.exp(number(e, "val_loss")), ppl, 1e-9 * ppl);
        }
        double ppl0 = number(evals.getFirst(), "val_perplexity");
        double pplEnd = number(evals.getLast(), "val_perplexity");
        assertTrue(pplEnd < 0.5 * ppl0, "validation perplexity should drop: " + ppl0 + " -> " + pplEnd);
        Map<String, Object> summary = records(out.resolve("metrics.jsonl"), "summary").getFirst();
        assertEquals(pplEnd, number(summary, "val_perplexity"));
        assertTrue(number(summary, "train_tokens_per_s") > 0);

        // the run directory
        for (String f : List.of("metrics.jsonl", "curves.png", "model.safetensors", "config.json", "vocab.json", "sample.txt")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f + " missing");
        }
        byte[] png = Files.readAllBytes(out.resolve("curves.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(png, 8));
        {
            List<String> ckpts;
            try (var s = Files.list(out.resolve("checkpoints"))) {
                ckpts = s.map(p -> p.getFileName().toString()).sorted().toList();
            }
            assertEquals(List.of("step-000075.ckpt", "step-000100.ckpt"), ckpts, "the last two are kept");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> config = (Map<String, Object>) JsonFiles.read(out.resolve("config.json"));
        assertEquals(100L, config.get("steps"));
        assertEquals(11L, config.get("train_documents"), "12 documents: the 10th is validation");
        assertEquals(1L, config.get("val_documents"));

        // the vocabulary: the corpus's characters without its tags, plus the unknown token
        @SuppressWarnings("unchecked")
        List<String> chars = (List<String>) ((Map<String, Object>) JsonFiles.read(out.resolve("vocab.json"))).get("characters");
        assertEquals(List.of("\n", " ", ",", ".", "A", "T", "a", "c", "d", "e", "g", "h", "l", "m", "n", "o", "r", "s", "t", "w"),
                chars);

        // the weights and the vocabulary load back; top-k 1 sampling of the trained model equals greedy decoding
        try (Safetensors.Checkpoint c = Safetensors.load(out.resolve("model.safetensors"))) {
            @SuppressWarnings("unchecked")
            List<String> metaVocab = (List<String>) JsonFiles.parse(c.metadata().get("vocab"), "vocab");
            assertEquals(chars, metaVocab);
            Gpt model = new Gpt(new Gpt.Config(chars.size() + 1, 24, 1, 32, 2, 2, 128, false, true), new Generator(1));
            var result = model.loadStateDict(c.tensors(), true);
            assertTrue(result.missingKeys().isEmpty() && result.unexpectedKeys().isEmpty(), result.toString());
            CharVocabulary vocab = CharVocabulary.of(chars);
            long[] prompt = vocab.encode("The dog");
            long[] greedy = model.generateGreedy(prompt, 16);
            assertArrayEquals(greedy, new TokenSampler(0.8, 1, 1.0).generate(model, prompt, 16, new Generator(9)));
            String text = vocab.decode(greedy);
            assertTrue(text.startsWith("The dog sat on the "), "a model this trained continues the pattern: '" + text + "'");
        }
        assertTrue(r.out().contains("sample (temperature 0.8, top-k 40, top-p 0.95, seed 42):\nThe cat"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("step 10/100 | epoch 1/1 | loss ")), r.out());
        assertTrue(r.out().contains("step 100: validation loss"), r.out());
    }

    @Test
    void sameSeedGivesTheSameLossesAndSample() throws IOException {
        String[] args = {"--steps", "6", "--eval-every", "3", "--sample-length", "20", "--seed", "5"};
        CliRun a = train(root.resolve("seedA"), args);
        CliRun b = train(root.resolve("seedB"), args);
        assertEquals(0, a.exitCode(), a.out() + a.err());
        assertEquals(losses(root.resolve("seedA")), losses(root.resolve("seedB")));
        assertEquals(Files.readString(root.resolve("seedA").resolve("sample.txt")),
                Files.readString(root.resolve("seedB").resolve("sample.txt")));
    }

    private static List<Object> losses(Path run) throws IOException {
        return records(run.resolve("metrics.jsonl"), "step").stream().map(m -> m.get("loss")).toList();
    }

    @Test
    void configFileSetsOptionsAndFlagsOverrideIt() throws IOException {
        Path cfg = root.resolve("cfg.json");
        Files.writeString(cfg, "{\"steps\": 3, \"top-k\": 5, \"top-p\": 0.9, \"prompt\": \"A dog\", \"sample-length\": 4}");
        Path out = root.resolve("configured");
        CliRun r = train(out, "--config", cfg.toString(), "--top-k", "7");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        @SuppressWarnings("unchecked")
        Map<String, Object> used = (Map<String, Object>) JsonFiles.read(out.resolve("config.json"));
        assertEquals(3L, used.get("steps"));
        assertEquals(7L, used.get("top-k"), "the flag wins over the file");
        assertEquals(0.9, used.get("top-p"));
        assertTrue(Files.readString(out.resolve("sample.txt")).startsWith("A dog"));
    }

    @Test
    void missingDataPrintsTheFetchCommand() {
        CliRun r = run("train", "gpt", "--data-dir", root.resolve("nowhere").toString(), "--out", root.resolve("never").toString());
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("./kiln data fetch brown --data-dir " + root.resolve("nowhere")), r.err());
    }

    @Test
    void badArgumentsAreUsageErrors() {
        String[][] cases = {
            {"--steps", "0", "--steps must be >= 1, got 0"},
            {"--context", "1", "--context must be >= 2, got 1"},
            {"--heads", "3", "--heads must be >= 1 and divide --width 128, got 3"},
            {"--lr", "0", "--lr must be a positive number, got 0.0"},
            {"--temperature", "0", "--temperature must be a positive number, got 0.0"},
            {"--top-k", "-2", "--top-k must be >= 0 (0: off), got -2"},
            {"--top-p", "0", "--top-p must be in (0, 1], got 0.0"},
            {"--top-p", "1.5", "--top-p must be in (0, 1], got 1.5"},
            {"--prompt", "", "--prompt must not be empty"},
        };
        for (String[] c : cases) {
            CliRun r = run("train", "gpt", "--data-dir", root.resolve("data").toString(), "--out",
                    root.resolve("never-" + c[0].substring(2)).toString(), c[0], c[1]);
            assertEquals(2, r.exitCode(), Arrays.toString(c) + ": " + r.err());
            assertTrue(r.err().contains("kiln train gpt: " + c[2]), Arrays.toString(c) + ": " + r.err());
        }
    }

    @Test
    void untagKeepsWordsOneSentencePerLine() {
        assertEquals("The jury said .\n1/2 of it ran\n",
                BrownText.untag("\n\n\tThe/at jury/nn said/vbd ./.\n\n\n\t1/2/cd of/in it/pps ran/vbd\n"));
    }
}
