package dev.kiln.nn.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Activation;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static int8 quantization: calibration ranges, the quantized Linear against a by-hand int8 loop
 * (bit for bit), static vs dynamic vs F32 on a tiny CNN, and save/reload.
 */
class StaticQuantizationTest {
    @TempDir
    Path dir;

    /** The definition of symmetric int8 rounding, written out: rint(v · (1/s)) clamped to ±127, 0 for s = 0. */
    private static int quantize(float v, float scale) {
        float inv = scale == 0f ? 0f : 1f / scale;
        return (int) Math.max(-127f, Math.min(127f, (float) Math.rint(v * inv)));
    }

    @Test
    void staticLinearMatchesAByHandInt8LoopExactly() {
        Generator g = new Generator(3);
        int batch = 5, in = 37, out = 11;
        Linear lin = new Linear(in, out, true, g);
        float[] x = Tensor.randn(g, batch, in).toFloatArray();
        x[3] = 9f; // beyond the calibrated range below: must saturate at +127
        x[in + 4] = -9f;
        float inputScale = 2.5f / 127f;
        float[] w = lin.weight.value().toFloatArray();
        float[] b = lin.bias.value().toFloatArray();
        QuantizedLinear q = QuantizedLinear.from(lin, inputScale);
        assertTrue(q.isStatic());
        float[] got;
        try (Tensor xt = Tensor.fromArray(x, batch, in)) {
            got = q.forward(Var.constant(xt)).value().toFloatArray();
        }
        double worstVsF32 = 0;
        for (int j = 0; j < out; j++) {
            float maxW = 0f;
            for (int p = 0; p < in; p++) {
                maxW = Math.max(maxW, Math.abs(w[j * in + p]));
            }
            float sw = maxW / 127f;
            for (int i = 0; i < batch; i++) {
                int sum = 0;
                double f32 = b[j];
                for (int p = 0; p < in; p++) {
                    sum += quantize(x[i * in + p], inputScale) * quantize(w[j * in + p], sw);
                    f32 += (double) x[i * in + p] * w[j * in + p];
                }
                float expected = sum * inputScale * sw + b[j];
                assertEquals(expected, got[i * out + j], 0f, "(" + i + ", " + j + ")");
                worstVsF32 = Math.max(worstVsF32, Math.abs(expected - f32));
            }
        }
        assertTrue(worstVsF32 > 0, "the by-hand loop equals F32: the test would not see a wrong scale");
    }

    @Test
    void quantizeRowsWithAFixedScaleSaturatesAndRejectsBadScales() {
        try (Tensor x = Tensor.fromArray(new float[] {0.5f, -0.26f, 100f, -100f, 0.25f, 0f}, 2, 3);
             var q = dev.kiln.tensor.Quantization.quantizeRows(x, 0.5f)) {
            assertArrayEquals(new long[] {1, -1, 127, -127, 0, 0}, q.values().to(DType.I64).toLongArray());
            assertArrayEquals(new float[] {0.5f, 0.5f}, q.scales().toFloatArray());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> dev.kiln.tensor.Quantization.quantizeRows(x, Float.NaN));
            assertTrue(e.getMessage().contains("scale must be finite and >= 0, got NaN"), e.getMessage());
        }
    }

    private static Sequential tinyCnn(Generator g) {
        // Conv 0 has 2·3·3 = 18 taps, under MIN_DOT_LENGTH: it stays F32 (and is not observed).
        return new Sequential(Conv2d.builder(2, 4, 3).generator(g).build(), Activation.relu(),
                Conv2d.builder(4, 6, 3).generator(g).build(), Activation.relu(),
                new Flatten(), new Linear(6 * 4 * 4, 32, true, g), Activation.relu(), new Linear(32, 5, true, g));
    }

    private static float[] run(Sequential m, Tensor x) {
        return m.forward(Var.constant(x)).value().toFloatArray();
    }

    private static double relativeError(float[] got, float[] ref) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            num += (got[i] - ref[i]) * (double) (got[i] - ref[i]);
            den += ref[i] * (double) ref[i];
        }
        return Math.sqrt(num / den);
    }

    @Test
    void calibratedStaticCnnIsCloseToDynamicAndF32AndReloadsToTheSameOutputs() throws Exception {
        Generator g = new Generator(21);
        Sequential f32 = tinyCnn(g);
        Tensor calibration = Tensor.randn(g, 16, 2, 8, 8);
        Tensor test = Tensor.randn(g, 6, 2, 8, 8);
        float[] ref = run(f32, test);

        Map<String, Float> scales;
        try (ActivationRanges ranges = ActivationRanges.observe(f32)) {
            float[] observed = run(f32, calibration);
            assertArrayEquals(run(tinyCnn(new Generator(21)), calibration), observed, 0f, "observing changed the outputs");
            scales = ranges.inputScales();
            assertEquals(java.util.Set.of("2", "5", "7"), scales.keySet());
            // Layer 2 sees relu(conv0(x)), computed here independently of the observer.
            Conv2d conv0 = (Conv2d) f32.get(0);
            try (Tensor h = conv0.forward(Var.constant(calibration)).value().relu()) {
                assertEquals((float) h.abs().max().item() / 127f, scales.get("2"), 0f);
            }
        }
        assertArrayEquals(ref, run(f32, test), 0f, "closing the observers did not restore the F32 forward");

        Sequential dynamic = tinyCnn(new Generator(21));
        Quantizer.quantize(dynamic);
        Sequential stat = tinyCnn(new Generator(21));
        Quantizer.Report report = Quantizer.quantizeStatic(stat, scales);
        assertEquals(java.util.List.of("5", "7"), report.linear());
        assertEquals(java.util.List.of("2"), report.conv2d());
        assertEquals(java.util.List.of("0"), report.skipped());
        float[] dyn = run(dynamic, test);
        float[] st = run(stat, test);
        // Per-layer rounding errors of int8 are ~0.4% of the signal (step/√12 over a 127-step range,
        // compounded over 4 layers); a static scale is coarser on rows smaller than the calibrated maximum.
        double errDynamic = relativeError(dyn, ref);
        double errStatic = relativeError(st, ref);
        System.out.printf("tiny cnn: relative error vs F32, dynamic %.4f, static %.4f%n", errDynamic, errStatic);
        assertTrue(errDynamic > 0 && errDynamic < 0.05, "dynamic int8 vs F32: " + errDynamic);
        assertTrue(errStatic > 0 && errStatic < 0.08, "static int8 vs F32: " + errStatic);
        assertNotEquals(0.0, relativeError(st, dyn), "static gave the dynamic outputs: the fixed scales were not used");

        Path file = dir.resolve("static.safetensors");
        Quantizer.save(file, stat, Map.of("model", "tiny"));
        try (Safetensors.Checkpoint c = Safetensors.load(file)) {
            assertEquals(Quantizer.FORMAT_STATIC, c.metadata().get(Quantizer.FORMAT_KEY));
            assertEquals(scales.get("5"), c.tensors().get("5.input_scale").toFloatArray()[0], 0f);
            assertEquals(DType.I8, c.tensors().get("2.weight").dtype());
        }
        Sequential reloaded = tinyCnn(new Generator(99));
        Quantizer.load(file, reloaded);
        assertArrayEquals(st, run(reloaded, test), 0f, "the reloaded static model differs from the saved one");
        QuantizedLinear head = (QuantizedLinear) ((Linear) reloaded.get(7)).forwardReplacement();
        assertEquals(scales.get("7"), head.inputScale(), 0f);
    }

    @Test
    void staticQuantizationNeedsAScaleForEveryLayerAndAnUnquantizedModel() {
        Sequential m = tinyCnn(new Generator(5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Quantizer.quantizeStatic(m, Map.of("2", 0.1f)));
        assertTrue(e.getMessage().contains("layer '5' needs a finite input scale"), e.getMessage());
        assertTrue(((Conv2d) m.get(2)).forwardReplacement() == null, "a refused quantizeStatic converted layer 2");
        Sequential n = tinyCnn(new Generator(5));
        try (ActivationRanges r = ActivationRanges.observe(n)) {
            IllegalStateException none = assertThrows(IllegalStateException.class, r::inputScales);
            assertTrue(none.getMessage().contains("saw no input"), none.getMessage());
        }
        Quantizer.quantize(n);
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> ActivationRanges.observe(n));
        assertTrue(twice.getMessage().contains("already has a forward replacement"), twice.getMessage());
    }
}
