package dev.kiln.apps.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.KilnCli;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.shard.ShardWriter;
import dev.kiln.data.tokenize.BpeTokenizer;
import dev.kiln.data.tokenize.BpeTrainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code kiln train gpt --shards DIR}: training on the output of {@code kiln data prep}. */
class GptShardsTest {
    @TempDir
    Path root;

    private record Run(int exitCode, String out, String err) {}

    private static Run run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        CommandLine cmd = KilnCli.commandLine();
        cmd.setOut(new PrintWriter(o, true));
        cmd.setErr(new PrintWriter(e, true));
        return new Run(cmd.execute(args), o.toString(), e.toString());
    }

    /** A prep-style directory: tokenizer.json and train/ and val/ shards of repetitive sentences. */
    private Path prepDirectory() throws IOException {
        String[] sentences = {"The cat sat on the mat.", "The dog sat on the log.", "A cat saw a dog, and the dog ran."};
        List<String> docs = new ArrayList<>();
        for (int d = 0; d < 12; d++) {
            StringBuilder sb = new StringBuilder();
            for (int s = 0; s < 30; s++) {
                sb.append(sentences[(d + s) % 3]).append(' ');
            }
            docs.add(sb.toString());
        }
        Path dir = root.resolve("prep");
        BpeTokenizer tok = new BpeTrainer(300, 2, List.of("<|endoftext|>")).addAll(docs).train();
        tok.save(dir.resolve("tokenizer.json"));
        int eot = tok.id("<|endoftext|>").orElseThrow();
        for (String split : new String[] {"train", "val"}) {
            try (ShardWriter w = ShardWriter.create(dir.resolve(split), "bpe", tok.vocabSize(), eot, 1000)) {
                for (int d = split.equals("train") ? 0 : 10; d < (split.equals("train") ? 10 : 12); d++) {
                    w.addDocument(tok.encode(docs.get(d)));
                }
                w.finish();
            }
        }
        return dir;
    }

    private List<String> common(Path out) {
        return new ArrayList<>(List.of("train", "gpt", "--out", out.toString(), "--threads", "2", "--log-every", "10",
                "--layers", "1", "--width", "32", "--heads", "2", "--context", "16", "--batch-size", "8", "--eval-windows", "8"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void trainsOnPreparedShards() throws IOException {
        Path dir = prepDirectory();
        Path out = root.resolve("run");
        List<String> args = common(out);
        args.addAll(List.of("--shards", dir.toString(), "--steps", "60", "--lr", "0.01", "--warmup", "5", "--eval-every", "30",
                "--sample-length", "8", "--prompt", "The cat"));
        Run r = run(args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.out() + r.err());
        List<Map<String, Object>> steps = JsonFiles.readLines(out.resolve("metrics.jsonl")).stream()
                .map(o -> (Map<String, Object>) o).filter(m -> "step".equals(m.get("kind"))).toList();
        double first = ((Number) steps.getFirst().get("loss")).doubleValue();
        double last = steps.subList(50, 60).stream().mapToDouble(m -> ((Number) m.get("loss")).doubleValue()).average().orElseThrow();
        assertTrue(last < 0.5 * first, "the loss should fall: first " + first + ", last 10 " + last);
        Map<String, Object> config = (Map<String, Object>) JsonFiles.read(out.resolve("config.json"));
        assertEquals("bpe", config.get("tokenizer"));
        assertEquals(10L, config.get("train_documents"));
        assertEquals(2L, config.get("val_documents"));
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")), "the run keeps the tokenizer it was trained with");
    }

    @Test
    void missingOrCorruptShardsAreClearErrors() throws IOException {
        Run missing = run("train", "gpt", "--shards", root.resolve("nowhere").toString(), "--out", root.resolve("never").toString());
        assertEquals(1, missing.exitCode(), missing.out() + missing.err());
        assertTrue(missing.err().contains("tokenizer.json (expected the output directory of kiln data prep)"), missing.err());
        assertTrue(missing.err().contains("./kiln data prep --out"), missing.err());

        Path dir = prepDirectory();
        Path shard;
        try (var files = Files.list(dir.resolve("train"))) {
            shard = files.filter(p -> !p.getFileName().toString().equals("manifest.json")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(shard);
        bytes[bytes.length - 1] ^= 1; // one flipped bit in the last token
        Files.write(shard, bytes);
        Run corrupt = run("train", "gpt", "--shards", dir.toString(), "--out", root.resolve("never2").toString());
        assertEquals(1, corrupt.exitCode(), corrupt.out() + corrupt.err());
        assertTrue(corrupt.err().toLowerCase().contains("sha-256") || corrupt.err().toLowerCase().contains("sha256"),
                corrupt.err());
        assertTrue(Arrays.stream(new String[] {"never", "never2"}).noneMatch(n -> Files.exists(root.resolve(n).resolve("model.safetensors"))));
    }
}
