package dev.kiln.nn.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Activation;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Sequential;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quantized layers against naive double-precision F32 references, within the error int8 rounding allows.
 *
 * <p>The bound: with {@code x = qx·sx + ex}, {@code |ex| ≤ sx/2}, and {@code w = qw·sw + ew},
 * {@code |ew| ≤ sw/2}, the int8 product is {@code Σ (x−ex)(w−ew) = Σ xw − Σ (ex·w + x·ew) + Σ ex·ew},
 * so {@code |y_int8 − y| ≤ Σ_p (sx/2·|w_p| + sw/2·|x_p| + sx·sw/4)}; F32 rounding of the reference
 * and of the dequantization adds a few ulps of {@code Σ|x_p·w_p|}. Each output is checked against
 * its own bound, and the error must not be zero (the layer really ran in int8).
 */
class QuantizedLayersTest {
    private static double maxAbs(float[] v, int from, int to) {
        double m = 0;
        for (int i = from; i < to; i++) {
            m = Math.max(m, Math.abs(v[i]));
        }
        return m;
    }

    @Test
    void linearMatchesF32WithinTheInt8RoundingBound() {
        Generator g = new Generator(15);
        int batch = 7, in = 45, out = 19;
        Linear lin = new Linear(in, out, true, g);
        float[] x = Tensor.randn(g, batch, in).toFloatArray();
        float[] w = lin.weight.value().toFloatArray();
        float[] b = lin.bias.value().toFloatArray();
        float[] got;
        QuantizedLinear q = QuantizedLinear.from(lin);
        try (Tensor xt = Tensor.fromArray(x, batch, in)) {
            got = q.forward(Var.constant(xt)).value().toFloatArray();
        }
        double worst = 0;
        for (int i = 0; i < batch; i++) {
            double sx = maxAbs(x, i * in, (i + 1) * in) / 127;
            for (int j = 0; j < out; j++) {
                double sw = maxAbs(w, j * in, (j + 1) * in) / 127;
                double ref = b[j];
                double bound = 0;
                double mag = Math.abs(b[j]);
                for (int p = 0; p < in; p++) {
                    double xp = x[i * in + p];
                    double wp = w[j * in + p];
                    ref += xp * wp;
                    bound += sx / 2 * Math.abs(wp) + sw / 2 * Math.abs(xp) + sx * sw / 4;
                    mag += Math.abs(xp * wp);
                }
                double err = Math.abs(got[i * out + j] - ref);
                assertTrue(err <= bound + 1e-6 * mag + 1e-7, "(" + i + ", " + j + "): |int8 - f32| = " + err
                        + " exceeds the bound " + bound);
                worst = Math.max(worst, err);
            }
        }
        assertTrue(worst > 0, "no quantization error at all: the layer did not run in int8");
        assertEquals(DType.I8, q.weight().dtype());
    }

    @Test
    void conv2dMatchesF32WithinTheInt8RoundingBound() {
        Generator g = new Generator(16);
        int n = 2, c = 3, h = 9, wd = 7, oc = 5, k = 3, stride = 2, pad = 1;
        Conv2d conv = Conv2d.builder(c, oc, k).stride(stride).padding(pad).generator(g).build();
        float[] x = Tensor.randn(g, n, c, h, wd).toFloatArray();
        float[] w = conv.weight.value().toFloatArray();
        float[] b = conv.bias.value().toFloatArray();
        QuantizedConv2d q = QuantizedConv2d.from(conv);
        Tensor y;
        try (Tensor xt = Tensor.fromArray(x, n, c, h, wd)) {
            y = q.forward(Var.constant(xt)).value();
        }
        int oh = (h + 2 * pad - k) / stride + 1;
        int ow = (wd + 2 * pad - k) / stride + 1;
        assertEquals(java.util.List.of(n, oc, oh, ow), java.util.List.of(y.size(0), y.size(1), y.size(2), y.size(3)));
        float[] got = y.toFloatArray();
        int taps = c * k * k;
        double worst = 0;
        for (int img = 0; img < n; img++) {
            for (int r = 0; r < oh; r++) {
                for (int s = 0; s < ow; s++) {
                    // The patch under this output (zeros in the padding), and its own activation scale.
                    double[] patch = new double[taps];
                    double pmax = 0;
                    for (int ch = 0; ch < c; ch++) {
                        for (int i = 0; i < k; i++) {
                            for (int j = 0; j < k; j++) {
                                int hh = r * stride - pad + i;
                                int ww = s * stride - pad + j;
                                double v = hh < 0 || hh >= h || ww < 0 || ww >= wd ? 0
                                        : x[((img * c + ch) * h + hh) * wd + ww];
                                patch[(ch * k + i) * k + j] = v;
                                pmax = Math.max(pmax, Math.abs(v));
                            }
                        }
                    }
                    double sx = pmax / 127;
                    for (int o = 0; o < oc; o++) {
                        double sw = maxAbs(w, o * taps, (o + 1) * taps) / 127;
                        double ref = b[o];
                        double bound = 0;
                        double mag = Math.abs(b[o]);
                        for (int p = 0; p < taps; p++) {
                            double wp = w[o * taps + p];
                            ref += patch[p] * wp;
                            bound += sx / 2 * Math.abs(wp) + sw / 2 * Math.abs(patch[p]) + sx * sw / 4;
                            mag += Math.abs(patch[p] * wp);
                        }
                        double err = Math.abs(got[((img * oc + o) * oh + r) * ow + s] - ref);
                        assertTrue(err <= bound + 1e-6 * mag + 1e-7, "image " + img + " channel " + o + " at (" + r + ", "
                                + s + "): |int8 - f32| = " + err + " exceeds the bound " + bound);
                        worst = Math.max(worst, err);
                    }
                }
            }
        }
        assertTrue(worst > 0, "no quantization error at all: the layer did not run in int8");
    }

    private static Sequential tinyCnn(Generator g) {
        return new Sequential(Conv2d.builder(4, 4, 3).padding(1).generator(g).build(), Activation.relu(),
                new Flatten(), new Linear(4 * 6 * 6, 3, true, g));
    }

    @Test
    void quantizerRoutesEveryLayerToInt8AndSavesAndLoadsIt(@TempDir Path dir) throws Exception {
        Generator g = new Generator(17);
        Sequential model = tinyCnn(g);
        Tensor x = Tensor.randn(g, 5, 4, 6, 6);
        float[] f32 = model.forward(Var.constant(x)).value().toFloatArray();
        Quantizer.Report r = Quantizer.quantize(model);
        assertEquals(java.util.List.of("0"), r.conv2d());
        assertEquals(java.util.List.of("3"), r.linear());
        float[] int8 = model.forward(Var.constant(x)).value().toFloatArray();
        double diff = 0;
        for (int i = 0; i < f32.length; i++) {
            diff = Math.max(diff, Math.abs(f32[i] - int8[i]));
            assertEquals(f32[i], int8[i], 0.05, "logit " + i);
        }
        assertTrue(diff > 0, "quantized model gave bit-identical logits: int8 layers were not used");

        Map<String, Tensor> state = Quantizer.stateDict(model);
        assertEquals(java.util.List.of("0.weight", "0.weight_scale", "0.bias", "3.weight", "3.weight_scale", "3.bias"),
                java.util.List.copyOf(state.keySet()));
        assertEquals(DType.I8, state.get("0.weight").dtype());
        assertEquals(java.util.List.of(4, 4, 3, 3), java.util.List.of(state.get("0.weight").shape().toArray()[0],
                state.get("0.weight").size(1), state.get("0.weight").size(2), state.get("0.weight").size(3)));
        Path file = dir.resolve("model.safetensors");
        Quantizer.save(file, model, Map.of("arch", "tiny"));
        long f32Bytes = 4L * model.parameterCount();
        assertTrue(Files.size(file) < f32Bytes, "quantized file " + Files.size(file) + " B is not smaller than F32's "
                + f32Bytes + " B");

        Sequential fresh = tinyCnn(new Generator(99));
        assertNull(((Linear) fresh.get(3)).forwardReplacement());
        Quantizer.load(file, fresh);
        assertNotNull(((Linear) fresh.get(3)).forwardReplacement());
        assertNotNull(((Conv2d) fresh.get(0)).forwardReplacement());
        float[] reloaded = fresh.forward(Var.constant(x)).value().toFloatArray();
        for (int i = 0; i < int8.length; i++) {
            assertEquals(int8[i], reloaded[i], 0f, "reloaded logit " + i);
        }
    }

    @Test
    void loadRefusesAnF32CheckpointAndBadPartsAreNamed(@TempDir Path dir) throws Exception {
        Sequential model = tinyCnn(new Generator(1));
        Path file = dir.resolve("f32.safetensors");
        dev.kiln.nn.io.Safetensors.saveModule(file, model);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Quantizer.load(file, model));
        assertTrue(e.getMessage().contains(Quantizer.FORMAT_KEY), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new QuantizedLinear(Tensor.zeros(3, 4), Tensor.zeros(3), null));
        assertTrue(e.getMessage().contains("weight must be I8 [out, in], got F32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new QuantizedLinear(Tensor.zeros(DType.I8, 3, 4), Tensor.zeros(2), null));
        assertTrue(e.getMessage().contains("weightScale must be F32 [3]"), e.getMessage());
        QuantizedLinear q = QuantizedLinear.from(new Linear(4, 3));
        e = assertThrows(IllegalArgumentException.class, () -> q.forward(Var.constant(Tensor.zeros(2, 5))));
        assertTrue(e.getMessage().contains("last dimension must be in=4"), e.getMessage());
    }
}
