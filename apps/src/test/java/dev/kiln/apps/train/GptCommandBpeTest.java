package dev.kiln.apps.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.KilnCli;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.tokenize.BpeTokenizer;
import dev.kiln.nn.io.Safetensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code kiln train gpt --tokenizer bpe} on a tiny repetitive corpus in the Brown format. */
class GptCommandBpeTest {
    @TempDir
    static Path root;

    private record Run(int exitCode, String out, String err) {}

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
    }

    private static Run run(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "gpt", "--data-dir", root.resolve("data").toString(),
                "--out", out.toString(), "--threads", "2", "--log-every", "10", "--layers", "1", "--width", "32",
                "--heads", "2", "--context", "16", "--batch-size", "8", "--eval-windows", "16"));
        args.addAll(Arrays.asList(extra));
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        CommandLine cmd = KilnCli.commandLine();
        cmd.setOut(new PrintWriter(o, true));
        cmd.setErr(new PrintWriter(e, true));
        int code = cmd.execute(args.toArray(String[]::new));
        return new Run(code, o.toString(), e.toString());
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> records(Path metrics, String kind) throws IOException {
        return JsonFiles.readLines(metrics).stream().map(o -> (Map<String, Object>) o).filter(m -> kind.equals(m.get("kind"))).toList();
    }

    @Test
    void trainsOnBpeTokensAndSavesTheTokenizer() throws IOException {
        Path out = root.resolve("bpe");
        Run r = run(out, "--tokenizer", "bpe", "--vocab-size", "300", "--steps", "60", "--lr", "0.01", "--warmup", "5",
                "--eval-every", "30", "--sample-length", "12", "--prompt", "The cat");
        assertEquals(0, r.exitCode(), r.out() + r.err());

        List<Map<String, Object>> steps = records(out.resolve("metrics.jsonl"), "step");
        double first = ((Number) steps.getFirst().get("loss")).doubleValue();
        double last = steps.subList(50, 60).stream().mapToDouble(m -> ((Number) m.get("loss")).doubleValue()).average().orElseThrow();
        assertTrue(last < 0.5 * first, "the loss should fall: first " + first + ", mean of the last 10 " + last);

        // tokenizer.json instead of vocab.json; it reads back, and the model's vocabulary is its size
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        assertFalse(Files.exists(out.resolve("vocab.json")));
        BpeTokenizer tok = BpeTokenizer.load(out.resolve("tokenizer.json"));
        assertTrue(tok.vocabSize() <= 300 && tok.vocabSize() > 257, "vocabulary " + tok.vocabSize());
        assertEquals(0, tok.id("<|endoftext|>").getAsInt());
        assertEquals(1, tok.encode(" cat").length, "a frequent word of the corpus is one token");
        @SuppressWarnings("unchecked")
        Map<String, Object> config = (Map<String, Object>) JsonFiles.read(out.resolve("config.json"));
        assertEquals("bpe", config.get("tokenizer"));
        assertEquals(300L, config.get("vocab-size"));
        assertEquals((long) tok.vocabSize(), config.get("vocab_size"));
        assertTrue(config.containsKey("train_tokens"));
        try (Safetensors.Checkpoint c = Safetensors.load(out.resolve("model.safetensors"))) {
            assertArrayEquals(new int[] {tok.vocabSize(), 32}, c.tensors().get("wte.weight").shape().toArray());
            assertTrue(c.metadata().get("tokenizer").contains("tokenizer.json"));
        }
        assertTrue(Files.readString(out.resolve("sample.txt")).startsWith("The cat"));
        assertTrue(r.out().contains("BPE tokens"), r.out());
    }

    @Test
    void badTokenizerOptionsAreUsageErrors() {
        Run wrong = run(root.resolve("never1"), "--tokenizer", "word");
        assertEquals(2, wrong.exitCode(), wrong.err());
        assertTrue(wrong.err().contains("kiln train gpt: --tokenizer must be char or bpe, got word"), wrong.err());
        Run small = run(root.resolve("never2"), "--tokenizer", "bpe", "--vocab-size", "100");
        assertEquals(2, small.exitCode(), small.err());
        assertTrue(small.err().contains("--vocab-size must be >= 257"), small.err());
    }
}
