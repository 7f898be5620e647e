package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.onnxruntime.OrtException;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Module;
import dev.kiln.nn.models.TransformerClassifier;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import onnx.Onnx.ModelProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The classifier and the GPT, exported once each and run in ONNX Runtime on several batch and
 * sequence sizes (the dims are symbolic, so one file must serve them all), matched against Kiln's
 * forward pass to 1e-4; the files also pass onnx.checker when it is installed.
 */
class OnnxTransformerExportTest {
    /** The sizes every model is run at: one token, a short batch, the full context. */
    private static final int[][] SIZES = {{1, 1}, {2, 5}, {3, 8}};
    private static final int MAX_LEN = 8;

    @TempDir
    Path tmp;

    /**
     * Moves every parameter off its initial value (LayerNorm weights 1, biases 0 would hide a
     * swapped scale and shift), so each tensor's role in the graph is tested.
     */
    static void perturb(Module m, Generator g) {
        for (Var p : m.parameters()) {
            try (Tensor noise = Tensor.randn(g, p.value().shape().toArray()).mul(0.2)) {
                p.value().addInPlace(noise, 1);
            }
        }
    }

    /** Random ids [b, t] in [1, vocab) with some padding (0) at the start, middle or end of rows, never a whole row. */
    static long[] idsWithPadding(Generator g, int b, int t, int vocab) {
        long[] ids = new long[b * t];
        for (int i = 0; i < b; i++) {
            int keep = (int) ((g.nextLong() >>> 1) % t); // this position stays a real token
            for (int j = 0; j < t; j++) {
                boolean pad = j != keep && g.nextDouble() < 0.3;
                ids[i * t + j] = pad ? 0 : 1 + (g.nextLong() >>> 1) % (vocab - 1);
            }
        }
        return ids;
    }

    private void check(String what, ModelProto model, Function<Tensor, Var> kiln, Function<int[], long[]> ids,
                       Function<int[], long[]> outShape) throws Exception {
        for (int[] size : SIZES) {
            long[] x = ids.apply(size);
            float[] expected;
            try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
                expected = kiln.apply(Tensor.fromArray(x, size[0], size[1])).value().toFloatArray();
            }
            float[] actual = OnnxRuntimeCheck.runTokens(model, x, new long[] {size[0], size[1]}, outShape.apply(size));
            OnnxRuntimeCheck.assertClose(what + " [" + size[0] + ", " + size[1] + "]", expected, actual);
        }
        OnnxCheckerTest.checkIfAvailable(model, tmp.resolve(what + ".onnx"));
    }

    static TransformerClassifier classifier(Generator g) {
        TransformerClassifier m = new TransformerClassifier(new TransformerClassifier.Config(30, MAX_LEN, 2, 16, 4, 24, 0.1, 3), g);
        perturb(m, g);
        m.eval(); // dropout is 0.1: the export must leave it out as eval() does
        return m;
    }

    @Test
    void classifierMatchesOnnxRuntimeAtEverySize() throws Exception {
        Generator g = new Generator(21);
        TransformerClassifier m = classifier(g);
        ModelProto model = OnnxTransformerExport.classifier("classifier", m, Map.of());
        check("classifier", model, m::forward, s -> idsWithPadding(g, s[0], s[1], m.config.vocabSize()),
                s -> new long[] {s[0], 3});
    }

    /** One position past the context fails in the runtime (Kiln refuses it too) instead of reading past the tables. */
    @Test
    void sequencesLongerThanTheContextAreRejectedByTheRuntime() {
        Generator g = new Generator(25);
        ModelProto classifier = OnnxTransformerExport.classifier("classifier", classifier(g), Map.of());
        Gpt gpt = new Gpt(new Gpt.Config(20, MAX_LEN, 1, 16, 4, 2, 32, true, true), g);
        ModelProto rope = OnnxTransformerExport.gpt("gpt", gpt, Map.of());
        long[] ids = new long[MAX_LEN + 1];
        java.util.Arrays.fill(ids, 3);
        long[] shape = {1, MAX_LEN + 1};
        assertThrows(OrtException.class, () -> OnnxRuntimeCheck.runTokens(classifier, ids, shape, new long[] {1, 3}));
        assertThrows(OrtException.class, () -> OnnxRuntimeCheck.runTokens(rope, ids, shape, new long[] {1, MAX_LEN + 1, 20}));
    }

    private void checkGpt(String what, Gpt.Config c, long seed) throws Exception {
        Generator g = new Generator(seed);
        Gpt m = new Gpt(c, g);
        perturb(m, g);
        m.eval();
        ModelProto model = OnnxTransformerExport.gpt(what, m, Map.of("source", "OnnxTransformerExportTest"));
        assertEquals(String.valueOf(c.maxSeqLen()), model.getMetadataPropsList().stream()
                .filter(p -> p.getKey().equals("max_sequence_length")).findFirst().orElseThrow().getValue());
        check(what, model, m::forward, s -> idsWithPadding(g, s[0], s[1], c.vocabSize()),
                s -> new long[] {s[0], s[1], c.vocabSize()});
    }

    /** kiln train gpt's shape: learned positions, full multi-head attention, tied head. */
    @Test
    void tiedGptMatchesOnnxRuntimeAtEverySize() throws Exception {
        checkGpt("gpt_tied", new Gpt.Config(20, MAX_LEN, 2, 16, 4, 4, 32, false, true), 22);
    }

    @Test
    void untiedGptMatchesOnnxRuntime() throws Exception {
        checkGpt("gpt_untied", new Gpt.Config(20, MAX_LEN, 1, 16, 2, 2, 32, false, false), 23);
    }

    /** Rotary positions and grouped-query attention (4 query heads over 2 kv heads), the rest of Gpt's options. */
    @Test
    void ropeGroupedQueryGptMatchesOnnxRuntime() throws Exception {
        checkGpt("gpt_rope_gqa", new Gpt.Config(20, MAX_LEN, 2, 16, 4, 2, 32, true, true), 24);
    }
}
