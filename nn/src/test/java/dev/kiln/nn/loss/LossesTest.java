package dev.kiln.nn.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Gradcheck;
import dev.kiln.autograd.Var;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import org.junit.jupiter.api.Test;

/**
 * Losses: gradients by central differences for every option, values against hand-computed
 * references where the formula is short, and bad input. The PyTorch comparison of every option
 * is in ConvNormLossGoldenTest.
 */
class LossesTest {
    private static final long IGN = Losses.IGNORE_INDEX;

    @Test
    void crossEntropyGradients() {
        Generator g = new Generator(21);
        Tensor target = Tensor.fromArray(new long[] {0, 3, -100, 1, 2}, 5);
        Tensor weight = Tensor.fromArray(new double[] {0.5, 1.5, 1.0, 2.0}, DType.F64, 4);
        for (Reduction r : Reduction.values()) {
            for (double eps : new double[] {0, 0.2}) {
                Gradcheck.assertGradients("crossEntropy " + r + " smoothing " + eps,
                        v -> Losses.crossEntropy(v[0], target, weight, IGN, r, eps), Tensor.randn(g, 5, 4));
                Gradcheck.assertGradients("crossEntropy unweighted " + r + " smoothing " + eps,
                        v -> Losses.crossEntropy(v[0], target, null, IGN, r, eps), Tensor.randn(g, 5, 4));
            }
        }
        Tensor targetNd = Tensor.fromArray(new long[] {0, 2, 1, 1, 3, 3}, 2, 3);
        Gradcheck.assertGradients("crossEntropy [N, C, d] ignore 1 smoothing",
                v -> Losses.crossEntropy(v[0], targetNd, weight, 1, Reduction.MEAN, 0.1), Tensor.randn(g, 2, 4, 3));
        Gradcheck.assertGradients("crossEntropy unbatched",
                v -> Losses.crossEntropy(v[0], Tensor.fromArray(new long[] {2}), null, IGN, Reduction.NONE, 0.1),
                Tensor.randn(g, 4));
    }

    @Test
    void nllGradients() {
        Generator g = new Generator(22);
        Tensor target = Tensor.fromArray(new long[] {2, -100, 0, 1}, 4);
        Tensor weight = Tensor.fromArray(new double[] {2, 0.5, 1.25}, DType.F64, 3);
        for (Reduction r : Reduction.values()) {
            Gradcheck.assertGradients("nllLoss weighted " + r, v -> Losses.nllLoss(v[0], target, weight, IGN, r),
                    Tensor.randn(g, 4, 3));
        }
        Gradcheck.assertGradients("nllLoss [N, C, d1, d2]",
                v -> Losses.nllLoss(v[0], Tensor.fromArray(new long[] {0, 1, 2, 0}, 1, 2, 2)), Tensor.randn(g, 1, 3, 2, 2));
    }

    @Test
    void regressionAndBceGradients() {
        Generator g = new Generator(23);
        for (Reduction r : Reduction.values()) {
            Gradcheck.assertGradients("mseLoss " + r, v -> Losses.mseLoss(v[0], v[1], r), Tensor.randn(g, 3, 4),
                    Tensor.randn(g, 3, 4));
            Gradcheck.assertGradients("l1Loss " + r, v -> Losses.l1Loss(v[0], v[1], r), Tensor.randn(g, 3, 4),
                    Tensor.randn(g, 3, 4));
            Gradcheck.assertGradients("smoothL1Loss " + r, v -> Losses.smoothL1Loss(v[0], v[1], r, 0.7),
                    Tensor.randn(g, 3, 4), Tensor.randn(g, 3, 4));
            Gradcheck.assertGradients("huberLoss " + r, v -> Losses.huberLoss(v[0], v[1], r, 0.6), Tensor.randn(g, 3, 4),
                    Tensor.randn(g, 3, 4));
            Tensor posWeight = Tensor.fromArray(new double[] {0.5, 2, 3, 1}, DType.F64, 4);
            Tensor weight = Tensor.fromArray(new double[] {1.5, 0.25, 2}, DType.F64, 3, 1);
            Gradcheck.assertGradients("bceWithLogits pos_weight weight " + r,
                    v -> Losses.binaryCrossEntropyWithLogits(v[0], v[1], weight, posWeight, r),
                    Tensor.randn(g, 3, 4).mul(3), Tensor.rand(g, 3, 4));
            Gradcheck.assertGradients("bceWithLogits " + r,
                    v -> Losses.binaryCrossEntropyWithLogits(v[0], v[1], null, null, r), Tensor.randn(g, 3, 4).mul(3),
                    Tensor.rand(g, 3, 4));
        }
    }

    @Test
    void crossEntropyAgainstHandComputedSmoothing() {
        // One row, logits (1, 2, 3), target 2, smoothing 0.3, weights (1, 2, 4):
        // loss = (1-0.3) * w2 * -logp2 + 0.3/3 * sum_c w_c * -logp_c, divided by w2 (mean).
        double lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
        double[] nlp = {lse - 1, lse - 2, lse - 3};
        double[] w = {1, 2, 4};
        double smooth = w[0] * nlp[0] + w[1] * nlp[1] + w[2] * nlp[2];
        double want = (0.7 * w[2] * nlp[2] + 0.1 * smooth) / w[2];
        Var logits = Var.constant(Tensor.fromArray(new double[] {1, 2, 3}, DType.F64, 1, 3));
        Var got = Losses.crossEntropy(logits, Tensor.fromArray(new long[] {2}, 1), Tensor.fromArray(w, DType.F64, 3), IGN,
                Reduction.MEAN, 0.3);
        assertEquals(want, got.value().item(), 1e-12);
        // Unbatched [C] with a 0-dim target gives a 0-dim loss, the same value.
        Var unbatched = Losses.crossEntropy(Var.constant(Tensor.fromArray(new double[] {1, 2, 3}, DType.F64, 3)),
                Tensor.fromArray(new long[] {2}), Tensor.fromArray(w, DType.F64, 3), IGN, Reduction.NONE, 0.3);
        assertEquals(0, unbatched.value().rank());
        assertEquals(want * w[2], unbatched.value().item(), 1e-12);
    }

    @Test
    void allTargetsIgnoredGivesNanMeanAndZeroSum() {
        Var logits = Var.constant(Tensor.randn(new Generator(24), 2, 3));
        Tensor target = Tensor.fromArray(new long[] {-100, -100}, 2);
        assertTrue(Double.isNaN(Losses.crossEntropy(logits, target).value().item()));
        assertEquals(0.0, Losses.crossEntropy(logits, target, null, IGN, Reduction.SUM, 0.1).value().item());
        assertArrayEquals(new double[] {0, 0},
                Losses.nllLoss(logits, target, null, IGN, Reduction.NONE).value().toDoubleArray());
    }

    @Test
    void bceWithLogitsIsStableAndHasTheTrueSlopeAtZero() {
        Var x = Var.leaf(Tensor.fromArray(new double[] {0, 100, -100}, DType.F64, 3), true);
        Var y = Var.constant(Tensor.fromArray(new double[] {0.25, 0, 1}, DType.F64, 3));
        Var loss = Losses.binaryCrossEntropyWithLogits(x, y, null, null, Reduction.NONE);
        assertArrayEquals(new double[] {Math.log(2), 100, 100}, loss.value().toDoubleArray(), 1e-12);
        loss.sum().backward();
        // d/dx = sigmoid(x) - y
        assertArrayEquals(new double[] {0.5 - 0.25, 1, -1}, x.grad().toDoubleArray(), 1e-12);
    }

    @Test
    void rejectsBadInput() {
        Var logits = Var.constant(Tensor.zeros(4, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(logits, Tensor.fromArray(new long[] {0, 1, 2}, 3)));
        assertTrue(e.getMessage().contains("target must have shape [4]") && e.getMessage().contains("[3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(logits, Tensor.zeros(4)));
        assertTrue(e.getMessage().contains("I64 or I32") && e.getMessage().contains("F32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(logits, Tensor.zeros(DType.I64, 4),
                Tensor.ones(4), IGN, Reduction.MEAN, 0));
        assertTrue(e.getMessage().contains("weight must be a floating-point [3]") && e.getMessage().contains("[4]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(logits, Tensor.zeros(DType.I64, 4),
                null, IGN, Reduction.MEAN, 1.5));
        assertTrue(e.getMessage().contains("labelSmoothing") && e.getMessage().contains("1.5"), e.getMessage());
        IndexOutOfBoundsException oob = assertThrows(IndexOutOfBoundsException.class,
                () -> Losses.nllLoss(logits, Tensor.fromArray(new long[] {0, 1, 3, 0}, 4)));
        assertTrue(oob.getMessage().contains("target 3") && oob.getMessage().contains("3 classes"), oob.getMessage());
        Var a = Var.constant(Tensor.zeros(2, 3));
        Var b = Var.constant(Tensor.zeros(3, 2));
        e = assertThrows(IllegalArgumentException.class, () -> Losses.mseLoss(a, b));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[3, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Losses.smoothL1Loss(a, a, Reduction.MEAN, -1));
        assertTrue(e.getMessage().contains("beta") && e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Losses.huberLoss(a, a, Reduction.MEAN, 0));
        assertTrue(e.getMessage().contains("delta"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Losses.binaryCrossEntropyWithLogits(a, a, null, Tensor.ones(2), Reduction.MEAN));
        assertTrue(e.getMessage().contains("posWeight must be [3]") && e.getMessage().contains("[2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Losses.binaryCrossEntropyWithLogits(a, a, Tensor.ones(3, 3), null, Reduction.MEAN));
        assertTrue(e.getMessage().contains("weight of shape [3, 3]"), e.getMessage());
    }

    @Test
    void crossEntropyRejectsOutOfRangeTargets() {
        Var logits = Var.leaf(Tensor.zeros(2, 3), true);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> Losses.crossEntropy(logits, Tensor.fromArray(new long[] {0, 3}, 2)));
        assertTrue(e.getMessage().contains("target 3 at flat position 1"), e.getMessage());
        IndexOutOfBoundsException negative = assertThrows(IndexOutOfBoundsException.class,
                () -> Losses.crossEntropy(logits, Tensor.fromArray(new long[] {-1, -100}, 2)));
        assertTrue(negative.getMessage().contains("target -1 at flat position 0"), negative.getMessage());
        IndexOutOfBoundsException ignoredIsNotSpecial = assertThrows(IndexOutOfBoundsException.class,
                () -> Losses.crossEntropy(logits, Tensor.fromArray(new long[] {0, -100}, 2), null, 7, Reduction.MEAN, 0));
        assertTrue(ignoredIsNotSpecial.getMessage().contains("target -100 at flat position 1"), ignoredIsNotSpecial.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(logits, Tensor.fromArray(new long[] {0, 1, 2}, 3)));
        assertTrue(shape.getMessage().contains("target must have shape [2]"), shape.getMessage());
    }

    @Test
    void crossEntropyOfUniformLogitsIsLogC() {
        Var logits = Var.leaf(Tensor.zeros(4, 5), true);
        Var loss = Losses.crossEntropy(logits, Tensor.fromArray(new long[] {0, 1, -100, 4}, 4));
        assertEquals(Math.log(5), loss.value().item(), 1e-6);
        loss.backward();
        // d/dlogits = (softmax - onehot) / counted rows; the ignored row gets 0
        double[] g = logits.grad().toDoubleArray();
        assertEquals((0.2 - 1) / 3, g[0], 1e-7);
        assertEquals(0.2 / 3, g[1], 1e-7);
        for (int j = 10; j < 15; j++) {
            assertEquals(0, g[j], 0);
        }
    }
}
