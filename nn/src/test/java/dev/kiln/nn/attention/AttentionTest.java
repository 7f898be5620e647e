package dev.kiln.nn.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Gradcheck;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.loss.Losses;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import org.junit.jupiter.api.Test;

/** Attention pieces: gradients, masks, RoPE's relative-position property, KV-cache equivalence, a tiny GPT. */
class AttentionTest {

    @Test
    void attentionGradientsWithGqaCausalAndPaddingMasks() {
        Generator g = new Generator(1);
        Tensor pad = Tensor.fromArray(new boolean[] {false, false, false, true, false, false, false, false}, 2, 4);
        Gradcheck.assertGradients("sdpa gqa causal+pad",
                x -> Attention.scaledDotProduct(x[0], x[1], x[2], true, pad),
                Tensor.randn(g, 2, 4, 3, 5), Tensor.randn(g, 2, 2, 4, 5), Tensor.randn(g, 2, 2, 4, 5));
        Gradcheck.assertGradients("sdpa bidirectional",
                x -> Attention.scaledDotProduct(x[0], x[1], x[2], false, null),
                Tensor.randn(g, 1, 2, 4, 3), Tensor.randn(g, 1, 2, 6, 3), Tensor.randn(g, 1, 2, 6, 3));
    }

    @Test
    void attentionMatchesAHandComputedSoftmaxAverage() {
        // one head, one query over two keys: weights softmax(q.k / sqrt(d))
        Tensor q = Tensor.fromArray(new float[] {1, 0}, 1, 1, 1, 2);
        Tensor k = Tensor.fromArray(new float[] {1, 0, 0, 1}, 1, 1, 2, 2);
        Tensor v = Tensor.fromArray(new float[] {10, 0, 0, 20}, 1, 1, 2, 2);
        double s = 1 / Math.sqrt(2);
        double w0 = Math.exp(s) / (Math.exp(s) + 1);
        float[] got = Attention.scaledDotProduct(Var.constant(q), Var.constant(k), Var.constant(v), false, null).value().toFloatArray();
        assertArrayEquals(new float[] {(float) (10 * w0), (float) (20 * (1 - w0))}, got, 1e-5f);
        // causal with Tq = 1 < Tk = 2: the query is the last position and sees both keys
        float[] causal = Attention.scaledDotProduct(Var.constant(q), Var.constant(k), Var.constant(v), true, null).value().toFloatArray();
        assertArrayEquals(got, causal);
        try (Tensor mask = Attention.causalMask(2, 3)) {
            assertArrayEquals(new boolean[] {false, false, true, false, false, false}, mask.toBooleanArray());
        }
    }

    @Test
    void ropeGradientsAndRelativePositionProperty() {
        RotaryEmbedding rope = new RotaryEmbedding(4, 16);
        Gradcheck.assertGradients("rope", x -> rope.apply(x[0], 3), Tensor.randn(new Generator(2), 1, 2, 3, 4));
        // <rope(q, m), rope(k, n)> depends only on m - n
        Generator g = new Generator(3);
        Tensor q = Tensor.randn(g, 1, 1, 1, 4);
        Tensor k = Tensor.randn(g, 1, 1, 1, 4);
        double a = dot(rope.apply(Var.constant(q), 5).value(), rope.apply(Var.constant(k), 2).value());
        double b = dot(rope.apply(Var.constant(q), 12).value(), rope.apply(Var.constant(k), 9).value());
        assertEquals(a, b, 1e-5);
        assertEquals(dot(q, k), dot(rope.apply(Var.constant(q), 7).value(), rope.apply(Var.constant(k), 7).value()), 1e-5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rope.apply(Var.constant(q), 16));
        assertTrue(e.getMessage().contains("exceed the table of 16 positions"), e.getMessage());
    }

    private static double dot(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray();
        double[] y = b.toDoubleArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * y[i];
        }
        return s;
    }

    @Test
    void kvCacheDecodingEqualsFullRecomputation() {
        for (boolean rope : new boolean[] {true, false}) {
            Gpt gpt = new Gpt(new Gpt.Config(13, 32, 2, 16, 4, 2, 32, rope, true), new Generator(4));
            long[] tokens = {3, 7, 1, 12, 0, 5, 9, 2};
            float[] full;
            try (NoGrad _ = NoGrad.enter()) {
                full = gpt.forward(Tensor.fromArray(tokens, 1, tokens.length)).value().toFloatArray();
                KVCache[] caches = gpt.newCaches();
                // a 3-token prompt, then one token at a time
                float[] first = gpt.forward(Tensor.fromArray(java.util.Arrays.copyOf(tokens, 3), 1, 3), caches).value().toFloatArray();
                assertArrayEquals(java.util.Arrays.copyOf(full, 3 * 13), first, 2e-5f);
                for (int i = 3; i < tokens.length; i++) {
                    float[] step = gpt.forward(Tensor.fromArray(new long[] {tokens[i]}, 1, 1), caches).value().toFloatArray();
                    assertArrayEquals(java.util.Arrays.copyOfRange(full, i * 13, (i + 1) * 13), step, 2e-5f, "position " + i);
                }
                assertEquals(tokens.length, caches[0].length());
            }
        }
    }

    @Test
    void greedyGenerationMatchesArgmaxOfFullForwardPasses() {
        Gpt gpt = new Gpt(new Gpt.Config(11, 32, 2, 16, 4, 1, 32, true, false), new Generator(5));
        long[] generated = gpt.generateGreedy(new long[] {1, 2, 3}, 5);
        long[] seq = {1, 2, 3};
        try (NoGrad _ = NoGrad.enter()) {
            for (int s = 0; s < 5; s++) {
                Tensor logits = gpt.forward(Tensor.fromArray(seq, 1, seq.length)).value();
                long next = logits.narrow(1, seq.length - 1, 1).reshape(-1).argmax().toLongArray()[0];
                seq = java.util.Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = next;
            }
        }
        assertArrayEquals(seq, generated);
    }

    @Test
    void tinyGptLearnsToCopyASequence() {
        Gpt gpt = new Gpt(new Gpt.Config(8, 16, 1, 16, 2, 2, 32, false, true), new Generator(6));
        assertNull(gpt.lmHead, "tied embeddings reuse wte.weight");
        assertTrue(gpt.namedParameters().containsKey("wpe.weight"));
        long[] data = {1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7, 1, 2};
        Tensor input = Tensor.fromArray(java.util.Arrays.copyOf(data, 15), 1, 15);
        Tensor target = Tensor.fromArray(java.util.Arrays.copyOfRange(data, 1, 16), 15);
        double first = 0, last = 0;
        for (int step = 0; step < 60; step++) {
            Var logits = gpt.forward(input).reshape(15, 8);
            Var loss = Losses.crossEntropy(logits, target);
            loss.backward();
            for (Var p : gpt.parameters()) {
                p.value().addInPlace(p.grad(), -0.05);
            }
            gpt.zeroGrad();
            if (step == 0) {
                first = loss.value().item();
            }
            last = loss.value().item();
        }
        assertTrue(last < 0.2 * first, "loss " + first + " -> " + last);
    }

    @Test
    void shapeErrorsNameTheProblem() {
        Var q = Var.constant(Tensor.zeros(1, 3, 2, 4));
        Var k = Var.constant(Tensor.zeros(1, 2, 2, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Attention.scaledDotProduct(q, k, k, false, null));
        assertTrue(e.getMessage().contains("query heads (3) must be a multiple of the number of kv heads (2)"), e.getMessage());
        Var k1 = Var.constant(Tensor.zeros(1, 1, 2, 4));
        e = assertThrows(IllegalArgumentException.class,
                () -> Attention.scaledDotProduct(q, k1, k1, false, Tensor.zeros(DType.BOOL, 1, 3)));
        assertTrue(e.getMessage().contains("keyPaddingMask must be BOOL [1, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SelfAttention(10, 4, 2, true, true, null, new Generator(0)));
        assertTrue(e.getMessage().contains("dModel (10) must be a positive multiple of nHeads (4)"), e.getMessage());
    }
}
