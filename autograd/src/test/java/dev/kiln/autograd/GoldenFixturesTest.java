package dev.kiln.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Replays the PyTorch golden fixtures (see {@code src/test/python/golden_fixtures.py}): the same
 * model built from Kiln ops on the same float32 inputs must give PyTorch's loss and every gradient
 * within {@value #RTOL} relative error.
 *
 * <p>Relative error per element is {@code |kiln - torch| / max(|torch|, floor)} with
 * {@code floor = 1e-2 * max|torch|} over the tensor: a gradient element a hundred times smaller
 * than the tensor's largest is compared at the tensor's scale, because F32 rounding in a sum is
 * proportional to the terms summed, not to the (possibly cancelled) result.
 */
class GoldenFixturesTest {
    static final double RTOL = 1e-4;

    private static double check(String what, double[] expected, Tensor actual) {
        double[] got = actual.toDoubleArray();
        assertTrue(got.length == expected.length, what + ": " + got.length + " values, expected " + expected.length);
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        double floor = Math.max(1e-2 * scale, 1e-30);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < got.length; i++) {
            double err = Math.abs(got[i] - expected[i]) / Math.max(Math.abs(expected[i]), floor);
            if (!(err <= worst)) {
                worst = err;
                at = i;
            }
        }
        int where = at;
        double w = worst;
        System.out.printf("golden %-40s max rel error %.2e%n", what, worst);
        assertTrue(worst <= RTOL, () -> what + ": relative error " + w + " at element " + where + " (kiln " + got[where]
                + ", torch " + expected[where] + ")");
        return worst;
    }

    /** Checks the loss and the gradient of every named parameter against the fixture. */
    private static void checkAll(GoldenFixture f, Var loss, Map<String, Var> params) {
        check(f.resource() + " loss", f.entry("loss").values(), loss.value());
        loss.backward();
        for (Map.Entry<String, Var> p : params.entrySet()) {
            GoldenFixture.Entry want = f.entry("grad." + p.getKey());
            assertArrayEquals(want.shape(), p.getValue().grad().shape().toArray(), "shape of grad." + p.getKey());
            check(f.resource() + " grad." + p.getKey(), want.values(), p.getValue().grad());
        }
    }

    private static Map<String, Var> params(GoldenFixture f, String... names) {
        Map<String, Var> m = new LinkedHashMap<>();
        for (String n : names) {
            m.put(n, f.param(n));
        }
        return m;
    }

    @Test
    void mlpWithGeluAndCrossEntropy() throws IOException {
        GoldenFixture f = GoldenFixture.load("/golden/mlp_gelu_cross_entropy.txt");
        Map<String, Var> p = params(f, "x", "w1", "b1", "w2", "b2");
        Var hidden = Functional.linear(p.get("x"), p.get("w1"), p.get("b1")).gelu();
        Var logits = Functional.linear(hidden, p.get("w2"), p.get("b2"));
        checkAll(f, Functional.crossEntropy(logits, f.i64("target")), p);
    }

    @Test
    void causalSelfAttentionBlockWithLayerNorm() throws IOException {
        GoldenFixture f = GoldenFixture.load("/golden/causal_attention_block.txt");
        Map<String, Var> p = params(f, "x", "ln_w", "ln_b", "w_qkv", "b_qkv", "w_o", "b_o");
        Var x = p.get("x");
        int b = x.value().size(0), t = x.value().size(1), c = x.value().size(2), heads = 2, hd = c / heads;
        Var h = Functional.layerNorm(x, 1, p.get("ln_w"), p.get("ln_b"), 1e-5);
        List<Var> qkv = Functional.linear(h, p.get("w_qkv"), p.get("b_qkv")).split(c, -1);
        Var q = qkv.get(0).reshape(b, t, heads, hd).transpose(1, 2); // [B, H, T, hd]
        Var k = qkv.get(1).reshape(b, t, heads, hd).transpose(1, 2);
        Var v = qkv.get(2).reshape(b, t, heads, hd).transpose(1, 2);
        Tensor future = Tensor.ones(DType.BOOL, t, t).triu(1);
        Var scores = q.matmul(k.transpose(-2, -1)).div(Math.sqrt(hd));
        Var att = scores.maskedFill(future, Double.NEGATIVE_INFINITY).softmax(-1);
        Var y = att.matmul(v).transpose(1, 2).reshape(b, t, c);
        Var out = x.add(Functional.linear(y, p.get("w_o"), p.get("b_o")));
        checkAll(f, Functional.mseLoss(out, Var.constant(f.f32("target"))), p);
    }

    @Test
    void convPoolLinear() throws IOException {
        GoldenFixture f = GoldenFixture.load("/golden/conv_pool_linear.txt");
        Map<String, Var> p = params(f, "x", "w1", "b1", "w2", "b2", "w3", "b3");
        Var h = Functional.maxPool2d(Functional.conv2d(p.get("x"), p.get("w1"), p.get("b1"), 1, 1).relu(), 2, 2, 0);
        h = Functional.conv2d(h, p.get("w2"), p.get("b2"), 2, 1);
        h = Functional.avgPool2d(h, 2, 2, 0).flatten(1);
        checkAll(f, Functional.crossEntropy(Functional.linear(h, p.get("w3"), p.get("b3")), f.i64("target")), p);
    }
}
