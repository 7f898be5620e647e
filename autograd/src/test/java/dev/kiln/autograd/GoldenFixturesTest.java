package dev.kiln.autograd;

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
 * within {@value #RTOL} relative error (as {@link GoldenFixture#assertMatches} defines it).
 */
class GoldenFixturesTest {
    static final double RTOL = 1e-4;

    /** Mean cross-entropy from primitive ops (losses live in nn.loss; autograd's tests check the ops they use). */
    private static Var crossEntropy(Var logits, Tensor target) {
        int n = logits.value().size(0);
        return logits.logSoftmax(1).gather(1, target.reshape(n, 1)).mean().mul(-1.0);
    }

    /** Checks the loss and the gradient of every named parameter against the fixture. */
    private static void checkAll(GoldenFixture f, Var loss, Map<String, Var> params) {
        f.assertMatches("loss", loss.value(), RTOL);
        loss.backward();
        for (Map.Entry<String, Var> p : params.entrySet()) {
            f.assertMatches("grad." + p.getKey(), p.getValue().grad(), RTOL);
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
        checkAll(f, crossEntropy(logits, f.i64("target")), p);
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
        Var d = out.sub(Var.constant(f.f32("target")));
        checkAll(f, d.mul(d).mean(), p);
    }

    @Test
    void convPoolLinear() throws IOException {
        GoldenFixture f = GoldenFixture.load("/golden/conv_pool_linear.txt");
        Map<String, Var> p = params(f, "x", "w1", "b1", "w2", "b2", "w3", "b3");
        Var h = Functional.maxPool2d(Functional.conv2d(p.get("x"), p.get("w1"), p.get("b1"), 1, 1).relu(), 2, 2, 0);
        h = Functional.conv2d(h, p.get("w2"), p.get("b2"), 2, 1);
        h = Functional.avgPool2d(h, 2, 2, 0).flatten(1);
        checkAll(f, crossEntropy(Functional.linear(h, p.get("w3"), p.get("b3")), f.i64("target")), p);
    }
}
