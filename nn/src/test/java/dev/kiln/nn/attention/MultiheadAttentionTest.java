package dev.kiln.nn.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** MultiheadAttention beyond the torch fixtures: fully masked rows, dropout on the weights, argument errors. */
class MultiheadAttentionTest {
    private static final MultiheadAttentionOptions BATCH_FIRST = MultiheadAttentionOptions.defaults().batchFirst(true);

    @Test
    void fullyMaskedRowIsNaNAsInTorchExceptOnTheFusedPath() {
        MultiheadAttention mha = new MultiheadAttention(4, 2, BATCH_FIRST, new Generator(1));
        mha.outProj.bias.value().copyFrom(Tensor.fromArray(new float[] {1, 2, 3, 4}, 4));
        Var x = Var.constant(Tensor.randn(new Generator(2), 2, 3, 4));
        // torch 1.13: a query row whose every key is masked has NaN output and NaN weights
        Tensor mask = Tensor.fromArray(new boolean[] {false, false, true, true, true, true, false, true, false}, 3, 3);
        try (NoGrad _ = NoGrad.enter()) {
            AttentionOutput r = mha.forward(x, x, x, AttentionArgs.defaults().attnMask(mask));
            float[] out = r.output().value().toFloatArray(); // [2, 3, 4]
            float[] w = r.weights().value().toFloatArray(); // [2, 3, 3]
            for (int b = 0; b < 2; b++) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 4; j++) {
                        assertEquals(i == 1, Float.isNaN(out[(b * 3 + i) * 4 + j]), "out[" + b + ", " + i + ", " + j + "]");
                    }
                    for (int j = 0; j < 3; j++) {
                        assertEquals(i == 1, Float.isNaN(w[(b * 3 + i) * 3 + j]), "weights[" + b + ", " + i + ", " + j + "]");
                    }
                }
            }
            // every key of sequence 1 padded: NaN op by op; the fused kernel (no weights) gives a zero
            // attention result, so the output is out_proj's bias
            Tensor pad = Tensor.fromArray(new boolean[] {false, false, true, true, true, true}, 2, 3);
            AttentionArgs padded = AttentionArgs.defaults().keyPaddingMask(pad);
            float[] withWeights = mha.forward(x, x, x, padded).output().value().toFloatArray();
            float[] fused = mha.forward(x, x, x, padded.needWeights(false)).output().value().toFloatArray();
            for (int k = 0; k < 24; k++) {
                assertEquals(k >= 12, Float.isNaN(withWeights[k]), "with weights, element " + k);
                if (k >= 12) {
                    assertEquals(k % 4 + 1, fused[k], 1e-6, "fused, element " + k);
                } else {
                    assertEquals(withWeights[k], fused[k], 1e-5, "fused, element " + k);
                }
            }
        }
    }

    @Test
    void dropoutActsOnTheWeightsInTrainingOnly() {
        MultiheadAttention mha = new MultiheadAttention(4, 2, BATCH_FIRST.dropout(0.5), new Generator(3));
        Var x = Var.constant(Tensor.randn(new Generator(4), 2, 5, 4));
        try (NoGrad _ = NoGrad.enter()) {
            mha.eval();
            AttentionOutput evalOut = mha.forward(x, x, x);
            float[] plain = evalOut.weights().value().toFloatArray();
            AttentionArgs perHead = AttentionArgs.defaults().averageAttnWeights(false);
            float[] plainPerHead = mha.forward(x, x, x, perHead).weights().value().toFloatArray();
            assertArrayEquals(evalOut.output().value().toFloatArray(),
                    mha.forward(x, x, x, perHead.needWeights(false)).output().value().toFloatArray(), 1e-5f);
            mha.train();
            float[] dropped = mha.forward(x, x, x, perHead).weights().value().toFloatArray();
            int zeros = 0;
            for (int k = 0; k < dropped.length; k++) {
                if (dropped[k] == 0) {
                    zeros++;
                } else {
                    assertEquals(2 * plainPerHead[k], dropped[k], 1e-5, "kept weights are scaled by 1 / (1 - p)");
                }
            }
            assertTrue(zeros > dropped.length / 4 && zeros < 3 * dropped.length / 4, zeros + " of " + dropped.length + " dropped");
            assertEquals(plain.length * 2, dropped.length);
        }
    }

    @Test
    void readmeExampleShapes() {
        Generator gen = new Generator(12);
        Var q = Var.constant(Tensor.randn(gen, 2, 3, 8));
        Var k = Var.constant(Tensor.randn(gen, 2, 5, 8));
        Var v = Var.constant(Tensor.randn(gen, 2, 5, 8));
        Tensor mask = Attention.causalMask(3, 5);
        Tensor pad = Tensor.zeros(DType.BOOL, 2, 5);
        // as in the README, with E = 8 and 2 heads
        var mha = new MultiheadAttention(8, 2, MultiheadAttentionOptions.defaults().batchFirst(true).bias(false), gen);
        AttentionOutput r = mha.forward(q, k, v, AttentionArgs.defaults().attnMask(mask).keyPaddingMask(pad));
        Var out = r.output(), weights = r.weights();
        assertArrayEquals(new int[] {2, 3, 8}, out.value().shape().toArray());
        assertArrayEquals(new int[] {2, 3, 5}, weights.value().shape().toArray());
        // the causal flag is the same mask
        assertArrayEquals(out.value().toFloatArray(),
                mha.forward(q, k, v, AttentionArgs.defaults().isCausal(true).keyPaddingMask(pad)).output().value().toFloatArray(), 1e-6f);
    }

    @Test
    void biasFalseHasNoBiasParameters() {
        MultiheadAttention mha = new MultiheadAttention(4, 2, MultiheadAttentionOptions.defaults().bias(false), new Generator(5));
        assertEquals(List.of("in_proj_weight", "out_proj.weight"), List.copyOf(mha.namedParameters().keySet()));
        Var x = Var.leaf(Tensor.randn(new Generator(6), 3, 2, 4), true); // [L, N, E]
        AttentionOutput r = mha.forward(x, x, x);
        assertArrayEquals(new int[] {3, 2, 4}, r.output().value().shape().toArray());
        assertArrayEquals(new int[] {2, 3, 3}, r.weights().value().shape().toArray());
        r.output().sum().backward();
        assertFalse(Float.isNaN(x.grad().toFloatArray()[0]));
    }

    @Test
    void badArgumentsAreNamedWithExpectedAndActualValues() {
        MultiheadAttention mha = new MultiheadAttention(4, 2, BATCH_FIRST.kdim(3), new Generator(7));
        Var q = Var.constant(Tensor.randn(new Generator(8), 2, 5, 4));
        Var k = Var.constant(Tensor.randn(new Generator(9), 2, 6, 3));
        Var v = Var.constant(Tensor.randn(new Generator(10), 2, 6, 4));
        assertEquals(List.of("q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"),
                List.copyOf(mha.namedParameters().keySet()));
        assertEquals(6, mha.forward(q, k, v).weights().value().size(2));
        assertMessage("key must be [N, T, 3], got [2, 6, 4]", () -> mha.forward(q, v, v));
        assertMessage("attnMask must be [L, S] = [5, 6] or [N * num_heads = 4, 5, 6], got [6, 5]",
                () -> mha.forward(q, k, v, AttentionArgs.defaults().attnMask(Tensor.zeros(DType.BOOL, 6, 5))));
        assertMessage("attnMask must be BOOL (true = not allowed to attend) or floating point (added to the scores), got I64",
                () -> mha.forward(q, k, v, AttentionArgs.defaults().attnMask(Tensor.zeros(DType.I64, 5, 6))));
        assertMessage("keyPaddingMask must be [N, S] = [2, 6], got [2, 5]",
                () -> mha.forward(q, k, v, AttentionArgs.defaults().keyPaddingMask(Tensor.zeros(DType.BOOL, 2, 5))));
        assertMessage("keyPaddingMask must be 2-D for a 3-D query ([N, S]), got [6]",
                () -> mha.forward(q, k, v, AttentionArgs.defaults().keyPaddingMask(Tensor.zeros(DType.BOOL, 6))));
        assertMessage("must agree in batch size", () -> mha.forward(q, k, Var.constant(Tensor.randn(new Generator(11), 1, 6, 4))));
        assertMessage("query must be 3-D (batched) or 2-D (unbatched), got [5]",
                () -> mha.forward(Var.constant(Tensor.zeros(5)), k, v));
        assertMessage("embedDim (6) must be a positive multiple of numHeads (4)", () -> new MultiheadAttention(6, 4, null));
        assertMessage("dropout must be in [0, 1], got 1.5", () -> MultiheadAttentionOptions.defaults().dropout(1.5));
        assertMessage("kdim and vdim must be positive", () -> MultiheadAttentionOptions.defaults().vdim(-1));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should contain '" + expected + "'");
    }
}
