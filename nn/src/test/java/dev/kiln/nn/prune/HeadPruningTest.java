package dev.kiln.nn.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Module;
import dev.kiln.nn.ModuleList;
import dev.kiln.nn.attention.SelfAttention;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Attention-head pruning: the heads removed are those with the smallest o_proj column norms (naive
 * loops over an untouched copy), and a pruned head contributes nothing: the layer's output equals
 * that of a copy in which the test itself zeroed only those heads' o_proj columns.
 */
class HeadPruningTest {
    private static final int D_MODEL = 16;
    private static final int HEADS = 4;
    private static final int HEAD_DIM = D_MODEL / HEADS;

    private static SelfAttention attention(long seed) {
        return new SelfAttention(D_MODEL, HEADS, 2, true, true, null, new Generator(seed));
    }

    private static float[] forward(SelfAttention a, Tensor x) {
        try (NoGrad _ = NoGrad.enter()) {
            return a.forward(Var.constant(x)).value().toFloatArray();
        }
    }

    /** The heads with the smallest o_proj column norm, by a boxed sort. */
    private static List<Integer> naiveSmallestHeads(float[] o, int k, boolean l1) {
        List<double[]> byNorm = new ArrayList<>();
        for (int h = 0; h < HEADS; h++) {
            double s = 0;
            for (int r = 0; r < D_MODEL; r++) {
                for (int c = h * HEAD_DIM; c < (h + 1) * HEAD_DIM; c++) {
                    double x = o[r * D_MODEL + c];
                    s += l1 ? Math.abs(x) : x * x;
                }
            }
            byNorm.add(new double[] {s, h});
        }
        byNorm.sort(Comparator.comparingDouble(a -> a[0]));
        return byNorm.subList(0, k).stream().map(a -> (int) a[1]).sorted().toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"L1", "L2"})
    void removesTheHeadsWithTheSmallestOutputProjectionAndNothingElse(String normName) {
        MagnitudePruning.Norm norm = MagnitudePruning.Norm.valueOf(normName);
        SelfAttention pruned = attention(3);
        SelfAttention reference = attention(3);
        Tensor x = Tensor.randn(new Generator(9), 2, 5, D_MODEL);
        List<Integer> gone = naiveSmallestHeads(reference.oProj.weight.value().toFloatArray(), 2, norm == MagnitudePruning.Norm.L1);

        PruningMasks masks = MagnitudePruning.heads(Map.of("attn", pruned), 0.5, norm);

        float[] o = reference.oProj.weight.value().toFloatArray();
        for (int r = 0; r < D_MODEL; r++) {
            for (int h : gone) {
                for (int c = h * HEAD_DIM; c < (h + 1) * HEAD_DIM; c++) {
                    o[r * D_MODEL + c] = 0f;
                }
            }
        }
        reference.oProj.weight.value().copyFrom(Tensor.fromArray(o, D_MODEL, D_MODEL));
        float[] expected = forward(reference, x);
        float[] actual = forward(pruned, x);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 + 1e-5 * Math.abs(expected[i]), "output[" + i + "]");
        }
        float[] q = pruned.qProj.weight.value().toFloatArray();
        float[] ob = pruned.oProj.weight.value().toFloatArray();
        for (int h = 0; h < HEADS; h++) {
            int qZeros = 0;
            for (int i = h * HEAD_DIM * D_MODEL; i < (h + 1) * HEAD_DIM * D_MODEL; i++) {
                qZeros += q[i] == 0f ? 1 : 0;
            }
            int oZeros = 0;
            for (int r = 0; r < D_MODEL; r++) {
                for (int c = h * HEAD_DIM; c < (h + 1) * HEAD_DIM; c++) {
                    oZeros += ob[r * D_MODEL + c] == 0f ? 1 : 0;
                }
            }
            boolean removed = gone.contains(h);
            assertEquals(removed ? HEAD_DIM * D_MODEL : 0, qZeros, "q_proj rows of head " + h);
            assertEquals(removed ? HEAD_DIM * D_MODEL : 0, oZeros, "o_proj columns of head " + h);
        }
        assertEquals(2L * (2 * HEAD_DIM * D_MODEL + HEAD_DIM), masks.prunedCount(), "q rows + q bias + o columns of 2 heads");
    }

    @Test
    void allHeadsGoneLeavesOnlyTheOutputBias() {
        SelfAttention a = attention(4);
        float[] bias = a.oProj.bias.value().toFloatArray();
        MagnitudePruning.heads(Map.of("", a), 1.0, MagnitudePruning.Norm.L2);
        float[] y = forward(a, Tensor.randn(new Generator(5), 1, 3, D_MODEL));
        for (int i = 0; i < y.length; i++) {
            assertEquals(bias[i % D_MODEL], y[i], 0f, "output[" + i + "]");
        }
    }

    @Test
    void findsAttentionLayersInsideModelsAndRejectsBadArguments() {
        Module m = new ModuleList<>(attention(1), attention(2));
        assertEquals(List.of("0", "1"), List.copyOf(MagnitudePruning.attentionLayers(m).keySet()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MagnitudePruning.heads(Map.of(), 0.5, MagnitudePruning.Norm.L1));
        assertTrue(e.getMessage().contains("SelfAttention"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> MagnitudePruning.heads(MagnitudePruning.attentionLayers(m), -0.1, MagnitudePruning.Norm.L1));
        assertTrue(e.getMessage().contains("-0.1"), e.getMessage());
    }
}
