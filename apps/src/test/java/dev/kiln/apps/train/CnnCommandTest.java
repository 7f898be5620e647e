package dev.kiln.apps.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.CliRun;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.nn.io.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln train cnn} run in-process on a synthetic IDX data set it writes itself. */
class CnnCommandTest {
    @TempDir
    static Path root;

    @BeforeAll
    static void writeData() throws IOException {
        SyntheticIdx.write(root.resolve("data").resolve("fashion-mnist"), 320, 100, 7);
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    /** {@code train cnn} on the synthetic data with {@code extra} arguments appended. */
    private static CliRun train(Path out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("train", "cnn", "--data-dir", root.resolve("data").toString(),
                "--out", out.toString(), "--threads", "2", "--log-every", "5"));
        args.addAll(Arrays.asList(extra));
        return run(args.toArray(String[]::new));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> records(Path metrics) throws IOException {
        return JsonFiles.readLines(metrics).stream().map(o -> (Map<String, Object>) o).toList();
    }

    private static double number(Map<String, Object> record, String key) {
        return ((Number) record.get(key)).doubleValue();
    }

    @Test
    void trainsOnSyntheticDataAndWritesTheRunDirectory() throws IOException {
        Path out = root.resolve("run");
        CliRun r = train(out, "--epochs", "2", "--batch-size", "32", "--lr", "0.003", "--schedule", "constant");
        assertEquals(0, r.exitCode(), r.out() + r.err());

        // the loss falls
        List<Map<String, Object>> recs = records(out.resolve("metrics.jsonl"));
        List<Map<String, Object>> steps = recs.stream().filter(m -> "step".equals(m.get("kind"))).toList();
        assertEquals(20, steps.size(), "2 epochs of 320 / 32 steps");
        double first = number(steps.getFirst(), "loss");
        double last = steps.subList(15, 20).stream().mapToDouble(m -> number(m, "loss")).average().orElseThrow();
        assertTrue(first > 1.8, "the first loss, before any update, is near ln 10 = 2.30, got " + first);
        assertTrue(last < 0.25 * first, "loss should fall: first step " + first + ", mean of the last 5 " + last);
        for (Map<String, Object> s : steps) {
            assertEquals(0.003, number(s, "lr"), 1e-12);
            assertTrue(number(s, "images_per_s") > 0, s.toString());
        }
        List<Map<String, Object>> epochs = recs.stream().filter(m -> "epoch".equals(m.get("kind"))).toList();
        assertEquals(2, epochs.size());
        double accuracy = number(epochs.get(1), "test_accuracy");
        assertTrue(accuracy >= 0.9, "the bars are easy to tell apart; test accuracy " + accuracy);
        Map<String, Object> summary = recs.getLast();
        assertEquals("summary", summary.get("kind"));
        assertEquals(accuracy, number(summary, "test_accuracy"));

        // the plot is a PNG
        byte[] png = Files.readAllBytes(out.resolve("curves.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(png, 8));

        // the weights load back into a fresh model of the same architecture, by name
        try (Safetensors.Checkpoint c = Safetensors.load(out.resolve("model.safetensors"))) {
            var model = CnnCommand.model(28, 28, new dev.kiln.tensor.random.Generator(1));
            assertEquals(model.stateDict().keySet(), c.tensors().keySet());
            assertEquals(String.valueOf(accuracy), c.metadata().get("test_accuracy"));
            var result = model.loadStateDict(c.tensors(), true);
            assertTrue(result.missingKeys().isEmpty() && result.unexpectedKeys().isEmpty(), result.toString());
        }
        assertTrue(Files.isRegularFile(out.resolve("config.json")));
        assertTrue(r.out().contains("test accuracy"), r.out());
        assertTrue(r.out().contains(out.resolve("metrics.jsonl").toString()), r.out());
        // not a terminal here: plain progress lines every --log-every steps
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("step 5/20 | epoch 1/2 | loss ")), r.out());
        assertFalse(r.out().contains("\r"), "no carriage returns outside a terminal");
    }

    @Test
    void sameSeedGivesTheSameLosses() throws IOException {
        String[] args = {"--epochs", "1", "--limit-train", "96", "--limit-test", "20", "--batch-size", "32", "--seed", "5"};
        CliRun a = train(root.resolve("seedA"), args);
        assertEquals(0, a.exitCode());
        assertFalse(a.out().contains(" 1 epochs"), a.out());
        assertTrue(a.out().contains(" 1 epoch = ") && a.out().contains("after 1 epoch;"), a.out());
        assertEquals(0, train(root.resolve("seedB"), args).exitCode());
        assertEquals(losses(root.resolve("seedA")), losses(root.resolve("seedB")));
    }

    private static List<Object> losses(Path run) throws IOException {
        return records(run.resolve("metrics.jsonl")).stream().filter(m -> "step".equals(m.get("kind")))
                .map(m -> m.get("loss")).toList();
    }

    @Test
    void configFileSetsOptionsAndFlagsOverrideIt() throws IOException {
        Path cfg = root.resolve("cfg.json");
        Files.writeString(cfg, "{\"epochs\": 1, \"batch-size\": 48, \"optimizer\": \"sgd\", \"lr\": 0.02, \"limit-train\": 96,"
                + " \"limit-test\": 20}");
        Path out = root.resolve("configured");
        CliRun r = train(out, "--config", cfg.toString(), "--batch-size", "32");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        @SuppressWarnings("unchecked")
        Map<String, Object> used = (Map<String, Object>) JsonFiles.read(out.resolve("config.json"));
        assertEquals(32L, used.get("batch-size"), "the flag wins over the file");
        assertEquals("sgd", used.get("optimizer"));
        assertEquals(0.02, used.get("lr"));
        assertEquals(96L, used.get("train_images"));
    }

    @Test
    void unknownConfigKeyIsAUsageError() throws IOException {
        Path cfg = root.resolve("bad.json");
        Files.writeString(cfg, "{\"epochz\": 1}");
        CliRun r = train(root.resolve("never1"), "--config", cfg.toString());
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("unknown setting \"epochz\""), r.err());
    }

    @Test
    void configValueOfTheWrongTypeIsAUsageError() throws IOException {
        Path cfg = root.resolve("badtype.json");
        Files.writeString(cfg, "{\"epochs\": 1.5}");
        CliRun r = train(root.resolve("never2"), "--config", cfg.toString());
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("\"epochs\": expected a whole number, got 1.5"), r.err());
    }

    @Test
    void badNumbersAreUsageErrorsNamingTheOption() {
        String[][] cases = {
            {"--epochs", "0", "--epochs must be >= 1, got 0"},
            {"--batch-size", "-3", "--batch-size must be >= 1, got -3"},
            {"--lr", "0", "--lr must be a positive number, got 0.0"},
            {"--weight-decay", "-1", "--weight-decay must be >= 0, got -1.0"},
            {"--limit-train", "-1", "--limit-train must be >= 0, got -1"},
            {"--momentum", "1", "--momentum must be in [0, 1), got 1.0"},
        };
        for (String[] c : cases) {
            CliRun r = train(root.resolve("never3"), c[0], c[1]);
            assertEquals(2, r.exitCode(), String.join(" ", c) + ": " + r.out() + r.err());
            assertTrue(r.err().contains(c[2]), r.err());
        }
        assertFalse(Files.exists(root.resolve("never3")), "no run directory for rejected arguments");
    }

    @Test
    void unknownOptimizerIsAUsageError() {
        CliRun r = train(root.resolve("never4"), "--optimizer", "lion");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--optimizer") && r.err().contains("sgd, adamw"), r.err());
    }

    @Test
    void missingDataSaysHowToFetchIt() throws IOException {
        Path empty = Files.createDirectories(root.resolve("empty"));
        CliRun r = run("train", "cnn", "--data-dir", empty.toString(), "--out", root.resolve("never5").toString());
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("Fashion-MNIST not found"), r.err());
        assertTrue(r.err().contains("./kiln data fetch fashion-mnist --data-dir " + empty), r.err());
        assertFalse(Files.exists(root.resolve("never5")));
    }

    @Test
    void trainIsAKilnCommand() {
        CliRun r = run("train", "--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("cnn"), r.out());
        try (Stream<String> lines = run("train", "cnn", "--help").out().lines()) {
            assertTrue(lines.anyMatch(l -> l.contains("--limit-train")));
        }
    }
}
