package dev.kiln.apps.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.CliRun;
import dev.kiln.apps.train.TrainedModels;
import dev.kiln.autograd.NoGrad;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.quant.QuantizedLinear;
import dev.kiln.nn.quant.Quantizer;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln quantize} on a tiny trained gpt run, dynamic and static: logits against the F32
 * model's, and {@code kiln eval}'s perplexity of the quantized runs against F32's.
 *
 * <p>Tolerances from the int8 error model: rounding to a step s = max|v|/127 errs uniformly by
 * ±s/2, an rms of s/√12; for activation and weight rows whose max is ≈ 3.5× their rms (width 32,
 * roughly Gaussian) that is 3.5/(127·√12) ≈ 0.8% of the rms per operand, ≈ 1.1% per matmul from
 * the two operands together. A token's logits pass through 4 quantized products in series (q/k/v,
 * o, mlp up, mlp down; the tied head stays F32) whose errors add in quadrature: ≈ √4 · 1.1% ≈ 2.2%. Dynamic logits
 * must be within 5% relative rms; static ones, whose one scale per layer is set by the largest row
 * seen in calibration and so is coarser for typical rows, within 10%.
 */
class QuantizeGptTest {
    @TempDir
    static Path root;
    static Path gpt;

    @BeforeAll
    static void trainTinyGpt() throws IOException {
        Path brown = Files.createDirectories(root.resolve("data").resolve("brown"));
        String[] sentences = {"The/at cat/nn sat/vbd on/in the/at mat/nn ./.", "A/at dog/nn saw/vbd a/at cat/nn ./.",
            "Some/dti birds/nns sang/vbd in/in the/at old/jj tree/nn ./."};
        for (int d = 1; d <= 10; d++) {
            StringBuilder sb = new StringBuilder();
            for (int s = 0; s < 30; s++) {
                sb.append("\n\n\t").append(sentences[(d * 7 + s) % 3]).append('\n');
            }
            Files.writeString(brown.resolve(String.format("ca%02d", d)), sb.toString());
        }
        gpt = root.resolve("gpt");
        CliRun t = CliRun.of("train", "gpt", "--data-dir", data(), "--out", gpt.toString(), "--threads", "2", "--layers", "1",
                "--width", "32", "--heads", "2", "--context", "16", "--batch-size", "8", "--eval-windows", "4",
                "--steps", "40", "--lr", "0.01", "--sample-length", "0");
        assertEquals(0, t.exitCode(), t.out() + t.err());
    }

    private static String data() {
        return root.resolve("data").toString();
    }

    @SuppressWarnings("unchecked")
    private static Gpt load(Path run) throws IOException {
        Map<String, String> meta;
        try (Safetensors.Checkpoint c = Safetensors.load(run.resolve("model.safetensors"))) {
            meta = c.metadata();
        }
        Gpt model = TrainedModels.gpt((Map<String, Object>) JsonFiles.parse(meta.get("config"), "config"));
        TrainedModels.load(run.resolve("model.safetensors"), model);
        model.eval();
        return model;
    }

    private static float[] logits(Gpt model, long[] tokens) {
        try (NoGrad _ = NoGrad.enter(); Tensor x = Tensor.fromArray(tokens, 2, tokens.length / 2)) {
            return model.forward(x).value().toFloatArray();
        }
    }

    private static double relativeRms(float[] got, float[] ref) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            num += (got[i] - (double) ref[i]) * (got[i] - (double) ref[i]);
            den += ref[i] * (double) ref[i];
        }
        return Math.sqrt(num / den);
    }

    @SuppressWarnings("unchecked")
    private static double perplexity(Path run) throws IOException {
        CliRun e = CliRun.of("eval", run.toString(), "--data-dir", data(), "--threads", "2");
        assertEquals(0, e.exitCode(), e.out() + e.err());
        Map<String, Object> report = (Map<String, Object>) JsonFiles.read(run.resolve("eval").resolve("report.json"));
        return ((Number) ((Map<String, Object>) report.get("metrics")).get("perplexity")).doubleValue();
    }

    @Test
    void quantizedGptLogitsAreCloseToF32AndKilnEvalScoresBothModes() throws IOException {
        Path dyn = root.resolve("gpt-int8");
        CliRun q = CliRun.of("quantize", gpt.toString(), "--out", dyn.toString());
        assertEquals(0, q.exitCode(), q.out() + q.err());
        // 4 projections + 2 MLP layers; the LM head is tied to the token embedding and stays F32.
        assertTrue(q.out().contains("quantized 6 Linear and 0 Conv2d layers to int8, dynamic activations"), q.out());
        Path stat = root.resolve("gpt-int8-static");
        CliRun qs = CliRun.of("quantize", gpt.toString(), "--out", stat.toString(), "--activations", "static",
                "--calibration-batches", "3", "--data-dir", data());
        assertEquals(0, qs.exitCode(), qs.out() + qs.err());
        assertTrue(qs.out().contains("calibrated 6 layers' input scales (max |input| / 127) on 3 batches, 24 windows"), qs.out());

        Gpt f32 = load(gpt);
        Gpt int8 = load(dyn);
        Gpt int8Static = load(stat);
        QuantizedLinear down = (QuantizedLinear) int8Static.blocks.get(0).mlp.linear2.forwardReplacement();
        assertTrue(down.isStatic() && down.inputScale() > 0, "the static run's mlp.linear2 has input scale " + down.inputScale());
        assertTrue(!((QuantizedLinear) int8.blocks.get(0).mlp.linear2.forwardReplacement()).isStatic());

        long[] tokens = new long[32];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 5 + 3) % f32.config.vocabSize();
        }
        float[] ref = logits(f32, tokens);
        double errDynamic = relativeRms(logits(int8, tokens), ref);
        double errStatic = relativeRms(logits(int8Static, tokens), ref);
        System.out.printf("tiny gpt logits, relative rms error vs F32: dynamic %.4f, static %.4f%n", errDynamic, errStatic);
        assertTrue(errDynamic > 0 && errDynamic < 0.05, "dynamic int8 logits vs F32: " + errDynamic);
        assertTrue(errStatic > 0 && errStatic < 0.10, "static int8 logits vs F32: " + errStatic);

        double p32 = perplexity(gpt);
        double p8 = perplexity(dyn);
        double p8s = perplexity(stat);
        System.out.printf("tiny gpt perplexity: F32 %.4f, int8 dynamic %.4f, static %.4f%n", p32, p8, p8s);
        assertTrue(p32 < 15, "the F32 run learned too little to compare: perplexity " + p32);
        assertTrue(Math.abs(p8 / p32 - 1) < 0.03, "dynamic int8 perplexity " + p8 + " vs F32 " + p32);
        assertTrue(Math.abs(p8s / p32 - 1) < 0.05, "static int8 perplexity " + p8s + " vs F32 " + p32);

        CliRun bad = CliRun.of("quantize", gpt.toString(), "--out", root.resolve("bad").toString(), "--activations", "fixed");
        assertNotEquals(0, bad.exitCode());
        assertTrue(bad.err().contains("--activations must be dynamic or static, got fixed"), bad.err());
        CliRun noData = CliRun.of("quantize", gpt.toString(), "--out", root.resolve("nodata").toString(), "--activations",
                "static", "--data-dir", root.resolve("nowhere").toString());
        assertNotEquals(0, noData.exitCode());
        assertTrue(noData.err().contains("fetch it with ./kiln data fetch brown"), noData.err());
    }
}
