package dev.kiln.apps.train;

import dev.kiln.nn.models.Forecaster;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.CliRun;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.Tensor;
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
 * {@code kiln eval} on runs the training apps write in a temp dir (a few steps on small synthetic
 * data); the reported metrics are recomputed here with naive loops from the model's own outputs.
 */
class EvalCommandTest {
    @TempDir
    static Path root;

    @BeforeAll
    static void writeData() throws IOException {
        SyntheticIdx.write(root.resolve("data").resolve("fashion-mnist"), 160, 60, 7);
        Random r = new Random(3);
        StringBuilder csv = new StringBuilder("date,temp\n");
        for (int t = 0; t < 600; t++) {
            csv.append(String.format(Locale.ROOT, "h%d,%.3f%n", t, 50 + 10 * Math.sin(2 * Math.PI * t / 24) + 0.3 * r.nextGaussian()));
        }
        Files.writeString(Files.createDirectories(root.resolve("data").resolve("seattle-temps")).resolve("seattle-temps.csv"), csv);
        String[] sentences = {"The/at cat/nn sat/vbd on/in the/at mat/nn ./.", "A/at dog/nn ran/vbd ./."};
        Path brown = Files.createDirectories(root.resolve("data").resolve("brown"));
        for (int d = 1; d <= 3; d++) {
            StringBuilder sb = new StringBuilder();
            for (int s = 0; s < 20; s++) {
                sb.append("\n\n\t").append(sentences[(d + s) % 2]).append('\n');
            }
            Files.writeString(brown.resolve(String.format("ca%02d", d)), sb.toString());
        }
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private String data() {
        return root.resolve("data").toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> metrics(Path reportDir) throws IOException {
        for (String f : List.of("report.md", "report.html", "report.json")) {
            assertTrue(Files.size(reportDir.resolve(f)) > 0, f);
        }
        return (Map<String, Object>) ((Map<String, Object>) JsonFiles.read(reportDir.resolve("report.json"))).get("metrics");
    }

    private static double number(Map<String, Object> m, String key) {
        assertTrue(m.get(key) instanceof Number, key + " in " + m);
        return ((Number) m.get(key)).doubleValue();
    }

    private static void assertPng(Path file) throws IOException {
        byte[] png = Files.readAllBytes(file);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4), file.toString());
    }

    /** A PNG that ImageIO reads back, with more than one colour in it, and linked from report.md. */
    private static void assertReportImage(Path reportDir, String name) throws IOException {
        Path file = reportDir.resolve(name);
        assertPng(file);
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(file.toFile());
        assertTrue(img != null && img.getWidth() > 100 && img.getHeight() > 100, name + " unreadable or tiny");
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 3) {
            for (int x = 0; x < img.getWidth(); x += 3) {
                colours.add(img.getRGB(x, y));
            }
        }
        assertTrue(colours.size() > 3, name + " is blank: " + colours.size() + " colours");
        assertTrue(Files.readString(reportDir.resolve("report.md")).contains("(" + name + ")"), name + " not linked from report.md");
    }

    @Test
    void cnnReportMatchesAccuracyAndLogLossRecomputedImageByImage() throws IOException {
        Path runDir = root.resolve("cnn");
        CliRun t = run("train", "cnn", "--data-dir", data(), "--out", runDir.toString(), "--threads", "2", "--epochs", "1",
                "--batch-size", "32", "--schedule", "constant");
        assertEquals(0, t.exitCode(), t.out() + t.err());
        CliRun r = run("eval", runDir.toString(), "--data-dir", data(), "--threads", "2", "--bootstrap", "200");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        Map<String, Object> m = metrics(runDir.resolve("eval"));
        for (String png : List.of("confusion.png", "calibration.png", "worst.png")) {
            assertPng(runDir.resolve("eval").resolve(png));
        }

        // independent: one image at a time through a freshly loaded model, normalised by hand
        Sequential model = CnnCommand.model(28, 28, new Generator(9));
        double mean;
        double std;
        try (Safetensors.Checkpoint c = Safetensors.load(runDir.resolve("model.safetensors"))) {
            model.loadStateDict(c.tensors(), true);
            mean = Double.parseDouble(c.metadata().get("input_mean"));
            std = Double.parseDouble(c.metadata().get("input_std"));
        }
        model.eval();
        FashionMnist raw = FashionMnist.read(root.resolve("data").resolve("fashion-mnist"), 0, 0);
        int n = raw.test().size();
        int correct = 0;
        int top2 = 0;
        double nll = 0;
        try (NoGrad _ = NoGrad.enter()) {
            for (int i = 0; i < n; i++) {
                Tensor[] ex = raw.test().get(i);
                float[] px = ex[0].toFloatArray();
                float[] norm = new float[px.length];
                for (int k = 0; k < px.length; k++) {
                    norm[k] = (float) ((px[k] - mean) / std);
                }
                float[] z = model.forward(Var.constant(Tensor.fromArray(norm, 1, 1, 28, 28))).value().toFloatArray();
                int y = (int) ex[1].toLongArray()[0];
                int best = 0;
                int better = 0;
                double max = Double.NEGATIVE_INFINITY;
                for (float v : z) {
                    max = Math.max(max, v);
                }
                double sum = 0;
                for (int k = 0; k < z.length; k++) {
                    best = z[k] > z[best] ? k : best;
                    better += z[k] > z[y] ? 1 : 0;
                    sum += Math.exp(z[k] - max);
                }
                correct += best == y ? 1 : 0;
                top2 += better < 2 ? 1 : 0;
                nll -= z[y] - max - Math.log(sum);
            }
        }
        assertEquals(n, number(m, "examples"));
        assertEquals((double) correct / n, number(m, "accuracy"), 1e-12);
        assertEquals((double) top2 / n, number(m, "top2_accuracy"), 1e-12);
        assertEquals(nll / n, number(m, "log_loss"), 1e-4 * Math.max(1, nll / n));
        assertTrue(number(m, "accuracy_ci95_low") <= number(m, "accuracy") && number(m, "accuracy") <= number(m, "accuracy_ci95_high"));
        String html = Files.readString(runDir.resolve("eval").resolve("report.html"));
        assertTrue(html.contains("T-shirt/top") && html.contains("<img src=\"confusion.png\""), html);
    }

    @Test
    void rnnReportMatchesErrorsRecomputedFromTheSeries() throws IOException {
        Path runDir = root.resolve("rnn");
        CliRun t = run("train", "rnn", "--data-dir", data(), "--out", runDir.toString(), "--threads", "2", "--epochs", "1",
                "--window", "24", "--hidden", "8");
        assertEquals(0, t.exitCode(), t.out() + t.err());
        Path report = root.resolve("rnn-report");
        CliRun r = run("eval", runDir.resolve("model.safetensors").toString(), "--data-dir", data(), "--out", report.toString());
        assertEquals(0, r.exitCode(), r.out() + r.err());
        Map<String, Object> m = metrics(report);

        HourlySeries s = HourlySeries.read(root.resolve("data").resolve("seattle-temps"), 24);
        Forecaster model = new Forecaster(Forecaster.Cell.lstm, 8, 1, new Generator(4));
        Safetensors.loadModule(runDir.resolve("model.safetensors"), model, true);
        model.eval();
        double abs = 0;
        double persistenceAbs = 0;
        double sq = 0;
        int n = s.values().length - s.validationEnd();
        try (NoGrad _ = NoGrad.enter()) {
            for (int t0 = s.validationEnd(); t0 < s.values().length; t0++) {
                float[] w = new float[24];
                for (int k = 0; k < 24; k++) {
                    w[k] = (float) ((s.values()[t0 - 24 + k] - s.mean()) / s.std());
                }
                double pred = model.forward(Var.constant(Tensor.fromArray(w, 1, 24, 1))).value().toFloatArray()[0] * s.std() + s.mean();
                abs += Math.abs(pred - s.values()[t0]);
                sq += (pred - s.values()[t0]) * (pred - s.values()[t0]);
                persistenceAbs += Math.abs(s.values()[t0 - 1] - s.values()[t0]);
            }
        }
        assertEquals(n, number(m, "examples"));
        assertEquals(abs / n, number(m, "mae"), 1e-4);
        assertEquals(Math.sqrt(sq / n), number(m, "rmse"), 1e-4);
        assertEquals(persistenceAbs / n, number(m, "persistence_mae"), 1e-9);
        assertReportImage(report, "forecast.png");
    }

    @Test
    void gptReportMatchesTheNllOfNonOverlappingWindows() throws IOException {
        Path runDir = root.resolve("gpt");
        CliRun t = run("train", "gpt", "--data-dir", data(), "--out", runDir.toString(), "--threads", "2", "--steps", "5",
                "--layers", "1", "--width", "16", "--heads", "2", "--context", "16", "--batch-size", "4", "--eval-windows", "4",
                "--eval-every", "5", "--sample-length", "0");
        assertEquals(0, t.exitCode(), t.out() + t.err());
        CliRun r = run("eval", runDir.toString(), "--data-dir", data(), "--limit", "3");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        Map<String, Object> m = metrics(runDir.resolve("eval"));

        // the held-out document is the last of three; ids 1.. are vocab.json's characters, read here by hand
        @SuppressWarnings("unchecked")
        List<Object> chars = (List<Object>) ((Map<String, Object>) JsonFiles.read(runDir.resolve("vocab.json"))).get("characters");
        String text = BrownText.read(root.resolve("data").resolve("brown"), 0).getLast().text() + "\n";
        long[] ids = new long[text.length()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = chars.indexOf(String.valueOf(text.charAt(i))) + 1; // id 0 is the unknown character, -1 + 1

        }
        Gpt model;
        try (Safetensors.Checkpoint c = Safetensors.load(runDir.resolve("model.safetensors"))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> cfg = (Map<String, Object>) JsonFiles.parse(c.metadata().get("config"), "config");
            model = TrainedModels.gpt(cfg);
            model.loadStateDict(c.tensors(), true);
        }
        model.eval();
        double nll = 0;
        int tokens = 0;
        try (NoGrad _ = NoGrad.enter()) {
            for (int w = 0; w < 3; w++) {
                long[] x = Arrays.copyOfRange(ids, w * 16, w * 16 + 16);
                float[] z = model.forward(Tensor.fromArray(x, 1, 16)).value().toFloatArray();
                int v = z.length / 16;
                for (int p = 0; p < 16; p++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int k = 0; k < v; k++) {
                        max = Math.max(max, z[p * v + k]);
                    }
                    double sum = 0;
                    for (int k = 0; k < v; k++) {
                        sum += Math.exp(z[p * v + k] - max);
                    }
                    nll -= z[p * v + (int) ids[w * 16 + p + 1]] - max - Math.log(sum);
                    tokens++;
                }
            }
        }
        assertEquals(48, number(m, "tokens"));
        assertEquals(nll / tokens, number(m, "nll_per_token"), 1e-5);
        assertEquals(Math.exp(nll / tokens), number(m, "perplexity"), 1e-4);
        assertEquals(nll / tokens / Math.log(2), number(m, "bits_per_character"), 1e-5, "one token per character");
        assertTrue(Files.readString(runDir.resolve("eval").resolve("report.md")).contains("Worst-predicted passages"));
    }

    @Test
    void seq2seqReportAgreesWithTheEditCountsOfPredictionsTsv() throws IOException {
        Path runDir = root.resolve("seq2seq");
        CliRun t = run("train", "seq2seq", "--synthetic", "300", "--data-dir", root.resolve("nowhere").toString(), "--out",
                runDir.toString(), "--threads", "2", "--steps", "5", "--width", "16", "--heads", "2", "--encoder-layers", "1",
                "--decoder-layers", "1", "--test-words", "20", "--val-words", "10", "--cost-words", "0", "--examples", "0");
        assertEquals(0, t.exitCode(), t.out() + t.err());
        CliRun r = run("eval", runDir.toString());
        assertEquals(0, r.exitCode(), r.out() + r.err());
        Map<String, Object> m = metrics(runDir.resolve("eval"));
        List<String> rows = Files.readAllLines(runDir.resolve("predictions.tsv"));
        int words = rows.size() - 1;
        int wrong = 0;
        for (String row : rows.subList(1, rows.size())) {
            wrong += Integer.parseInt(row.split("\t", -1)[3]) > 0 ? 1 : 0;
        }
        assertEquals(words, number(m, "examples"));
        assertEquals((double) wrong / words, number(m, "wer"), 1e-12);
        @SuppressWarnings("unchecked")
        Map<String, Object> summary = (Map<String, Object>) JsonFiles.readLines(runDir.resolve("metrics.jsonl")).getLast();
        assertEquals(number(summary, "greedy_bleu"), number(m, "bleu"), 1e-9);
        assertEquals(number(summary, "greedy_per"), number(m, "per"), 1e-9);
        assertTrue(Files.isRegularFile(runDir.resolve("report.json")), "the app's own report.json is left alone");
        assertReportImage(runDir.resolve("eval"), "error_by_length.png");
    }

    @Test
    @SuppressWarnings("unchecked")
    void crossValidationFoldsPartitionTheSubsetAndSummariseAsMeanAndSampleStd() throws IOException {
        Path out = root.resolve("cv");
        CliRun r = run("eval", "cv", "cnn", "--data-dir", data(), "--out", out.toString(), "--folds", "3", "--limit", "60",
                "--epochs", "1", "--batch-size", "20", "--threads", "2");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        Map<String, Object> m = metrics(out);
        List<Object> acc = (List<Object>) m.get("fold_accuracy");
        assertEquals(3, acc.size());
        double[] a = acc.stream().mapToDouble(o -> ((Number) o).doubleValue()).toArray();
        double mean = (a[0] + a[1] + a[2]) / 3;
        double std = Math.sqrt(((a[0] - mean) * (a[0] - mean) + (a[1] - mean) * (a[1] - mean) + (a[2] - mean) * (a[2] - mean)) / 2);
        assertEquals(mean, number(m, "accuracy_mean"), 1e-12);
        assertEquals(std, number(m, "accuracy_std"), 1e-12);
        // the fold table: test sizes cover the 60 images once, train = the rest
        Map<String, Object> report = (Map<String, Object>) JsonFiles.read(out.resolve("report.json"));
        Map<String, Object> section = (Map<String, Object>) ((List<Object>) report.get("sections")).getFirst();
        List<Object> rows = (List<Object>) ((Map<String, Object>) ((List<Object>) section.get("blocks")).getFirst()).get("rows");
        int tested = 0;
        for (Object row : rows) {
            List<Object> cells = new ArrayList<>((List<Object>) row);
            int train = Integer.parseInt((String) cells.get(1));
            int test = Integer.parseInt((String) cells.get(2));
            assertEquals(60, train + test);
            assertEquals(20, test, "stratified folds of 60 images in 10 balanced classes");
            tested += test;
        }
        assertEquals(60, tested);
        assertTrue(r.out().contains("± "), r.out());
    }

    @Test
    void missingRunDirectoryIsAUsageError() {
        CliRun r = run("eval", root.resolve("nowhere").toString());
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("RUN_DIR " + root.resolve("nowhere") + " does not exist"), r.err());
        CliRun cv = run("eval", "cv", "rnn");
        assertEquals(2, cv.exitCode());
        assertTrue(cv.err().contains("APP must be cnn"), cv.err());
    }
}
