package dev.kiln.apps.train;

import dev.kiln.nn.models.Forecaster;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.CliRun;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln train rnn} run in-process on a synthetic hourly series it writes itself: a daily
 * sinusoid (amplitude 10) with a slow drift and noise (std 0.3). Persistence misses the hourly
 * change (about 1.7 degrees on average); a model that has learned the cycle does much better.
 */
class RnnCommandTest {
    private static final int HOURS = 1200;

    @TempDir
    static Path root;

    static double[] series;

    @BeforeAll
    static void writeData() throws IOException {
        Random r = new Random(3);
        series = new double[HOURS];
        StringBuilder csv = new StringBuilder("date,temp\n");
        for (int t = 0; t < HOURS; t++) {
            series[t] = 50 + 10 * Math.sin(2 * Math.PI * t / 24) + 3 * Math.sin(2 * Math.PI * t / 500) + 0.3 * r.nextGaussian();
            csv.append(String.format(Locale.ROOT, "h%d,%.3f%n", t, series[t]));
        }
        Path dir = Files.createDirectories(root.resolve("data").resolve("seattle-temps"));
        Files.writeString(dir.resolve("seattle-temps.csv"), csv);
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    /**
     * {@code train rnn} on the synthetic series with {@code extra} arguments appended; small and fast
     * ({@code --window 24 --hidden 16}) unless {@code extra} sets those.
     */
    private static CliRun train(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "rnn", "--data-dir", root.resolve("data").toString(),
                "--out", out.toString(), "--threads", "2", "--log-every", "10"));
        List<String> more = Arrays.asList(extra);
        if (!more.contains("--window")) {
            args.addAll(List.of("--window", "24"));
        }
        if (!more.contains("--hidden")) {
            args.addAll(List.of("--hidden", "16"));
        }
        args.addAll(more);
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
    void learnsTheDailyCycleBeatsPersistenceAndWritesTheRunDirectory() throws IOException {
        Path out = root.resolve("run");
        CliRun r = train(out, "--epochs", "4", "--batch-size", "16", "--lr", "0.01");
        assertEquals(0, r.exitCode(), r.out() + r.err());

        List<Map<String, Object>> recs = records(out.resolve("metrics.jsonl"));
        List<Map<String, Object>> steps = recs.stream().filter(m -> "step".equals(m.get("kind"))).toList();
        // targets [24, 840): 816 windows, 51 batches of 16 per epoch
        assertEquals(4 * 51, steps.size());
        double first = steps.subList(0, 5).stream().mapToDouble(m -> number(m, "loss")).average().orElseThrow();
        double last = steps.subList(steps.size() - 20, steps.size()).stream().mapToDouble(m -> number(m, "loss"))
                .average().orElseThrow();
        assertTrue(last < 0.3 * first, "loss should fall: first 5 steps " + first + ", last 20 " + last);
        assertEquals(4, recs.stream().filter(m -> "epoch".equals(m.get("kind"))).count());

        // persistence, recomputed here from the series: the last 15% of the hours are the test targets
        int testFrom = (int) Math.round(0.85 * HOURS);
        double abs = 0;
        double sq = 0;
        for (int t = testFrom; t < HOURS; t++) {
            double e = series[t - 1] - series[t];
            abs += Math.abs(e);
            sq += e * e;
        }
        double persistenceMae = abs / (HOURS - testFrom);
        double persistenceRmse = Math.sqrt(sq / (HOURS - testFrom));
        Map<String, Object> summary = recs.getLast();
        assertEquals("summary", summary.get("kind"));
        assertEquals(persistenceMae, number(summary, "persistence_test_mae"), 2e-3, "the CSV holds 3 decimals");
        assertEquals(persistenceRmse, number(summary, "persistence_test_rmse"), 2e-3);
        double mae = number(summary, "test_mae");
        double rmse = number(summary, "test_rmse");
        assertTrue(mae < 0.6 * persistenceMae, "model MAE " + mae + " vs persistence " + persistenceMae);
        assertTrue(rmse < 0.6 * persistenceRmse, "model RMSE " + rmse + " vs persistence " + persistenceRmse);
        // the noise alone (std 0.3) bounds what any forecast can do
        assertTrue(rmse > 0.25, "an RMSE below the noise level means the target leaked: " + rmse);

        byte[] png = Files.readAllBytes(out.resolve("curves.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(png, 8));
        try (Safetensors.Checkpoint c = Safetensors.load(out.resolve("model.safetensors"))) {
            Forecaster model = new Forecaster(Forecaster.Cell.lstm, 16, 1, new Generator(1));
            assertEquals(model.stateDict().keySet(), c.tensors().keySet());
            assertTrue(c.tensors().containsKey("rnn.weight_hh_l0") && c.tensors().containsKey("head.weight"),
                    c.tensors().keySet().toString());
            assertEquals(String.valueOf(mae), c.metadata().get("test_mae"));
            var result = model.loadStateDict(c.tensors(), true);
            assertTrue(result.missingKeys().isEmpty() && result.unexpectedKeys().isEmpty(), result.toString());
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> used = (Map<String, Object>) JsonFiles.read(out.resolve("config.json"));
        assertEquals("lstm", used.get("cell"));
        assertEquals(816L, used.get("train_windows"));
        assertTrue(r.out().contains("persistence  MAE"), r.out());
        assertTrue(r.out().contains("improvement: MAE"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("step 10/204 | epoch 1/4 | loss ")), r.out());
    }

    @Test
    void gruCellAndConfigFileWithFlagsOverriding() throws IOException {
        Path cfg = root.resolve("cfg.json");
        Files.writeString(cfg, "{\"epochs\": 1, \"cell\": \"gru\", \"layers\": 2, \"limit-train\": 64, \"batch-size\": 8}");
        Path out = root.resolve("gru");
        CliRun r = train(out, "--config", cfg.toString(), "--batch-size", "32");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        @SuppressWarnings("unchecked")
        Map<String, Object> used = (Map<String, Object>) JsonFiles.read(out.resolve("config.json"));
        assertEquals(32L, used.get("batch-size"), "the flag wins over the file");
        assertEquals("gru", used.get("cell"));
        assertEquals(64L, used.get("train_windows"));
        try (Safetensors.Checkpoint c = Safetensors.load(out.resolve("model.safetensors"))) {
            // GRU: 3 gates
            assertEquals(List.of(48L, 16L), Arrays.stream(c.tensors().get("rnn.weight_hh_l1").shape().toArray())
                    .mapToObj(d -> (long) d).toList());
        }
    }

    @Test
    void sameSeedGivesTheSameLosses() throws IOException {
        String[] args = {"--epochs", "1", "--limit-train", "64", "--batch-size", "16", "--seed", "5"};
        assertEquals(0, train(root.resolve("seedA"), args).exitCode());
        assertEquals(0, train(root.resolve("seedB"), args).exitCode());
        assertEquals(losses(root.resolve("seedA")), losses(root.resolve("seedB")));
    }

    private static List<Object> losses(Path run) throws IOException {
        return records(run.resolve("metrics.jsonl")).stream().filter(m -> "step".equals(m.get("kind")))
                .map(m -> m.get("loss")).toList();
    }

    @Test
    void badArgumentsAreUsageErrorsNamingTheOption() {
        String[][] cases = {
            {"--epochs", "0", "--epochs must be >= 1, got 0"},
            {"--batch-size", "0", "--batch-size must be >= 1, got 0"},
            {"--lr", "-1", "--lr must be a positive number, got -1.0"},
            {"--hidden", "0", "--hidden must be >= 1, got 0"},
            {"--layers", "0", "--layers must be >= 1, got 0"},
            {"--window", "0", "--window must be >= 1, got 0"},
            {"--clip", "-1", "--clip must be >= 0, got -1.0"},
            {"--limit-train", "-1", "--limit-train must be >= 0, got -1"},
        };
        for (String[] c : cases) {
            CliRun r = train(root.resolve("never1"), c[0], c[1]);
            assertEquals(2, r.exitCode(), String.join(" ", c) + ": " + r.out() + r.err());
            assertTrue(r.err().contains(c[2]), r.err());
        }
        CliRun r = train(root.resolve("never1"), "--cell", "transformer");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--cell") && r.err().contains("lstm, gru"), r.err());
        assertFalse(Files.exists(root.resolve("never1")), "no run directory for rejected arguments");
    }

    @Test
    void windowLongerThanTheTrainingHoursIsAnError() {
        CliRun r = train(root.resolve("never2"), "--window", "900");
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("too few for a 900-hour window"), r.err());
    }

    @Test
    void missingDataSaysHowToFetchIt() throws IOException {
        Path empty = Files.createDirectories(root.resolve("empty"));
        CliRun r = run("train", "rnn", "--data-dir", empty.toString(), "--out", root.resolve("never3").toString());
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("Seattle temperatures not found"), r.err());
        assertTrue(r.err().contains("./kiln data fetch seattle-temps --data-dir " + empty), r.err());
        assertFalse(Files.exists(root.resolve("never3")));
    }

    @Test
    void splitIsChronologicalAndNormalisedWithTrainingHoursOnly() throws IOException {
        double[] v = new double[100];
        for (int t = 0; t < 100; t++) {
            v[t] = t < 70 ? t % 2 : 1000 + t; // later hours far off: any leak would move the statistics
        }
        HourlySeries s = HourlySeries.split(v, 5, "test");
        assertEquals(70, s.trainEnd());
        assertEquals(85, s.validationEnd());
        assertEquals(0.5, s.mean(), 1e-12);
        assertEquals(0.5, s.std(), 1e-12);
        assertEquals(65, s.train(0).size(), "targets 5..69");
        assertEquals(10, s.train(10).size());
        assertEquals(15, s.validation().size());
        assertEquals(15, s.test().size());
        // the first test example: hours 80..84 in, hour 85 out
        var ex = s.test().get(0);
        assertArrayEquals(new float[] {(float) ((1080 - 0.5) / 0.5), (float) ((1081 - 0.5) / 0.5),
            (float) ((1082 - 0.5) / 0.5), (float) ((1083 - 0.5) / 0.5), (float) ((1084 - 0.5) / 0.5)},
                ex[0].toFloatArray());
        assertArrayEquals(new int[] {5, 1}, ex[0].shape().toArray());
        assertArrayEquals(new float[] {(float) ((1085 - 0.5) / 0.5)}, ex[1].toFloatArray());
        assertEquals(1.0, s.persistence(85, 100).mae(), 1e-12);
        assertEquals(1.0, s.persistence(5, 70).rmse(), 1e-12);
        for (var t : ex) {
            t.close();
        }
    }

    @Test
    void trainListsRnn() {
        CliRun r = run("train", "--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("rnn"), r.out());
    }
}
