package dev.kiln.apps.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.CliRun;
import dev.kiln.apps.train.SyntheticIdx;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln prune} on a {@code kiln train cnn} run trained here on synthetic IDX data. Expected
 * zeros come from the source model's weights read back from its file and sorted naively, never
 * from the pruning code.
 */
class PruneCommandTest {
    /** The cnn's Conv and Linear weights, in model order. */
    private static final List<String> WEIGHTS = List.of("0.weight", "3.weight", "7.weight", "9.weight");

    @TempDir
    static Path root;

    static Path source;

    @BeforeAll
    static void trainSource() throws IOException {
        SyntheticIdx.write(root.resolve("data").resolve("fashion-mnist"), 320, 100, 7);
        source = root.resolve("cnn");
        CliRun t = CliRun.of("train", "cnn", "--data-dir", data(), "--out", source.toString(), "--threads", "2", "--epochs", "1",
                "--batch-size", "32", "--schedule", "constant");
        assertEquals(0, t.exitCode(), t.out() + t.err());
    }

    private static String data() {
        return root.resolve("data").toString();
    }

    private static CliRun prune(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("prune", source.toString(), "--data-dir", data(), "--out", out.toString(),
                "--threads", "2"));
        args.addAll(Arrays.asList(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    private static Map<String, float[]> weights(Path runDir) throws IOException {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (Safetensors.Checkpoint c = Safetensors.load(runDir.resolve("model.safetensors"))) {
            for (String name : c.tensors().keySet()) {
                Tensor t = c.tensors().get(name);
                out.put(name, t.toFloatArray());
            }
        }
        return out;
    }

    private static int zeros(float[] v) {
        int n = 0;
        for (float x : v) {
            n += x == 0f ? 1 : 0;
        }
        return n;
    }

    /** |w| of the k-th smallest entry of all {@link #WEIGHTS} (0-based), by sorting a copy. */
    private static double kthSmallestMagnitude(Map<String, float[]> w, int k) {
        List<Double> all = new ArrayList<>();
        for (String name : WEIGHTS) {
            for (float x : w.get(name)) {
                all.add((double) Math.abs(x));
            }
        }
        all.sort(null);
        return all.get(k);
    }

    @Test
    void globalPruningRemovesExactlyTheSmallestWeightsAndEvalAcceptsTheOutput() throws IOException {
        Path out = root.resolve("pruned70");
        CliRun r = prune(out, "--sparsity", "0.7");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        Map<String, float[]> before = weights(source);
        Map<String, float[]> after = weights(out);
        int total = WEIGHTS.stream().mapToInt(n -> before.get(n).length).sum();
        int k = (int) Math.rint(0.7 * total);
        int zeroCount = WEIGHTS.stream().mapToInt(n -> zeros(after.get(n))).sum();
        assertEquals(k, zeroCount, "exactly 70% of " + total + " weights are zero");
        double threshold = kthSmallestMagnitude(before, k - 1); // the largest magnitude removed
        for (String name : WEIGHTS) {
            float[] b = before.get(name);
            float[] a = after.get(name);
            for (int i = 0; i < a.length; i++) {
                if (a[i] == 0f) {
                    assertTrue(Math.abs(b[i]) <= threshold, name + "[" + i + "] removed but |w| " + Math.abs(b[i]) + " > " + threshold);
                } else {
                    assertEquals(b[i], a[i], 0f, name + "[" + i + "] kept unchanged");
                    assertTrue(Math.abs(b[i]) >= threshold, name + "[" + i + "] kept but |w| " + Math.abs(b[i]) + " < " + threshold);
                }
            }
        }
        Map<?, ?> report = (Map<?, ?>) JsonFiles.read(out.resolve("prune.json"));
        assertEquals(k, ((Number) report.get("pruned")).intValue());

        CliRun eval = CliRun.of("eval", out.toString(), "--data-dir", data(), "--threads", "2", "--bootstrap", "0");
        assertEquals(0, eval.exitCode(), eval.out() + eval.err());
        Map<?, ?> metrics = (Map<?, ?>) ((Map<?, ?>) JsonFiles.read(out.resolve("eval").resolve("report.json"))).get("metrics");
        assertEquals(((Number) report.get("test_accuracy_after")).doubleValue(), ((Number) metrics.get("accuracy")).doubleValue(),
                1e-12, "eval scores the pruned weights, the accuracy prune reported");
    }

    @Test
    void masksSurviveFineTuning() throws IOException {
        Path plain = root.resolve("pruned90");
        Path tuned = root.resolve("pruned90-tuned");
        assertEquals(0, prune(plain, "--sparsity", "0.9").exitCode());
        CliRun r = prune(tuned, "--sparsity", "0.9", "--finetune-steps", "6", "--batch-size", "16", "--lr", "0.01");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("fine-tuned 6 steps"), r.out());
        Map<String, float[]> p = weights(plain);
        Map<String, float[]> t = weights(tuned);
        int changed = 0;
        for (String name : WEIGHTS) {
            for (int i = 0; i < p.get(name).length; i++) {
                if (p.get(name)[i] == 0f) {
                    assertEquals(0f, t.get(name)[i], 0f, name + "[" + i + "] was pruned and stays zero after fine-tuning");
                } else {
                    changed += t.get(name)[i] != p.get(name)[i] ? 1 : 0;
                }
            }
        }
        assertTrue(changed > 0, "fine-tuning moved the kept weights");
        assertEquals(WEIGHTS.stream().mapToInt(n -> zeros(p.get(n))).sum(), WEIGHTS.stream().mapToInt(n -> zeros(t.get(n))).sum(),
                "same sparsity after fine-tuning");
    }

    @Test
    void channelPruningZeroesWholeOutputChannelsButNotTheClassifiers() throws IOException {
        Path out = root.resolve("channels");
        CliRun r = prune(out, "--sparsity", "0.5", "--structured", "channels", "--norm", "l2");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        Map<String, float[]> before = weights(source);
        Map<String, float[]> after = weights(out);
        for (String layer : List.of("0", "3", "7")) {
            float[] w = after.get(layer + ".weight");
            float[] b = after.get(layer + ".bias");
            float[] w0 = before.get(layer + ".weight");
            int channels = b.length;
            int per = w.length / channels;
            double[] norms = new double[channels];
            int removed = 0;
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < per; i++) {
                    norms[c] += (double) w0[c * per + i] * w0[c * per + i];
                }
                boolean zeroRow = zeros(Arrays.copyOfRange(w, c * per, (c + 1) * per)) == per && b[c] == 0f;
                removed += zeroRow ? 1 : 0;
            }
            assertEquals(channels / 2, removed, layer + ": half of " + channels + " channels removed");
            double[] sorted = norms.clone();
            Arrays.sort(sorted);
            for (int c = 0; c < channels; c++) {
                boolean zeroRow = zeros(Arrays.copyOfRange(w, c * per, (c + 1) * per)) == per;
                assertEquals(norms[c] <= sorted[channels / 2 - 1], zeroRow, layer + " channel " + c + " norm² " + norms[c]);
            }
        }
        assertEquals(0, zeros(after.get("9.weight")), "the classifier keeps every class");
        CliRun eval = CliRun.of("eval", out.toString(), "--data-dir", data(), "--threads", "2", "--bootstrap", "0");
        assertEquals(0, eval.exitCode(), eval.out() + eval.err());
    }

    /** A tiny {@code kiln train gpt} run (1 layer, width 32, 2 heads) on a repetitive Brown-format corpus. */
    private static Path trainGpt() throws IOException {
        Path dir = Files.createDirectories(root.resolve("data").resolve("brown"));
        String[] sentences = {"The/at cat/nn sat/vbd on/in the/at mat/nn ./.", "A/at dog/nn saw/vbd a/at cat/nn ./."};
        for (int d = 1; d <= 6; d++) {
            StringBuilder sb = new StringBuilder();
            for (int s = 0; s < 20; s++) {
                sb.append("\n\n\t").append(sentences[(d + s) % 2]).append('\n');
            }
            Files.writeString(dir.resolve(String.format("ca%02d", d)), sb.toString());
        }
        Path gpt = root.resolve("gpt");
        if (!Files.exists(gpt.resolve("model.safetensors"))) {
            CliRun t = CliRun.of("train", "gpt", "--data-dir", data(), "--out", gpt.toString(), "--threads", "2", "--layers", "1",
                    "--width", "32", "--heads", "2", "--context", "16", "--batch-size", "4", "--eval-windows", "4",
                    "--steps", "3", "--sample-length", "0");
            assertEquals(0, t.exitCode(), t.out() + t.err());
        }
        return gpt;
    }

    @Test
    void gptRunsPruneHeadsOrWeightsAndEvalAcceptsTheOutput() throws IOException {
        Path gpt = trainGpt();
        Path heads = root.resolve("gpt-heads");
        CliRun r = CliRun.of("prune", gpt.toString(), "--sparsity", "0.5", "--structured", "heads", "--out", heads.toString(),
                "--threads", "2");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        Map<String, float[]> before = weights(gpt);
        Map<String, float[]> after = weights(heads);
        String o = "blocks.0.attn.o_proj.weight";
        assertTrue(after.containsKey(o), after.keySet().toString());
        int width = 32;
        int headDim = 16;
        int zeroHeads = 0;
        for (int h = 0; h < 2; h++) {
            int zeros = 0;
            for (int row = 0; row < width; row++) {
                for (int c = h * headDim; c < (h + 1) * headDim; c++) {
                    zeros += after.get(o)[row * width + c] == 0f ? 1 : 0;
                }
            }
            assertTrue(zeros == 0 || zeros == width * headDim, "head " + h + " is kept or removed whole, " + zeros + " zeros");
            zeroHeads += zeros == 0 ? 0 : 1;
        }
        assertEquals(1, zeroHeads, "half of 2 heads");
        assertEquals(0, zeros(after.get("blocks.0.attn.k_proj.weight")), "keys are shared by a group: kept");
        assertEquals(Arrays.toString(before.get("blocks.0.attn.k_proj.weight")), Arrays.toString(after.get("blocks.0.attn.k_proj.weight")));
        CliRun eval = CliRun.of("eval", heads.toString(), "--data-dir", data(), "--threads", "2", "--limit", "4");
        assertEquals(0, eval.exitCode(), eval.out() + eval.err());

        Path sparse = root.resolve("gpt-sparse");
        r = CliRun.of("prune", gpt.toString(), "--sparsity", "0.6", "--out", sparse.toString(), "--threads", "2");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        Map<?, ?> report = (Map<?, ?>) JsonFiles.read(sparse.resolve("prune.json"));
        long total = ((Number) report.get("total")).longValue();
        assertEquals(Math.rint(0.6 * total), ((Number) report.get("pruned")).doubleValue());
        r = CliRun.of("prune", gpt.toString(), "--sparsity", "0.6", "--finetune-steps", "2", "--out", root.resolve("g3").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.errorLine().contains("--finetune-steps is supported for cnn runs only"), r.err());
    }

    @Test
    void badArgumentsAreOneLineUsageErrors() {
        CliRun r = prune(root.resolve("bad1"), "--sparsity", "1.5");
        assertEquals(2, r.exitCode());
        assertTrue(r.errorLine().contains("--sparsity must be in [0, 1], got 1.5"), r.err());
        r = prune(root.resolve("bad2"), "--sparsity", "0.5", "--structured", "heads");
        assertEquals(2, r.exitCode());
        assertTrue(r.errorLine().contains("heads"), r.err());
        r = CliRun.of("prune", root.resolve("nowhere").toString(), "--sparsity", "0.5", "--out", root.resolve("bad3").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.errorLine().contains("is not a directory"), r.err());
        r = prune(source, "--sparsity", "0.5");
        assertEquals(2, r.exitCode(), "--out is the source run: not empty");
        assertTrue(r.errorLine().contains("not empty"), r.err());
    }
}
