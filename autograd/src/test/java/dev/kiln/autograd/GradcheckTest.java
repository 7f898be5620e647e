package dev.kiln.autograd;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every differentiable op through {@link Gradcheck}: one spec per case, one test body for all. */
class GradcheckTest {

    /** One case: a name, the function, and how to make its inputs from a generator. */
    record Spec(String name, Gradcheck.Fn fn, Function<Generator, Tensor[]> inputs) {}

    private static Tensor randn(Generator g, int... shape) {
        return Tensor.randn(g, shape);
    }

    /** Positive values in [0.5, 2.5) for log, sqrt, div's denominator, fractional pow. */
    private static Tensor positive(Generator g, int... shape) {
        return Tensor.rand(g, shape).mul(2.0).add(0.5);
    }

    /** Normal values pushed at least 0.1 away from 0, so a step never crosses relu's kink. */
    private static Tensor awayFromZero(Generator g, int... shape) {
        Tensor x = Tensor.randn(g, shape);
        return x.add(x.sign().mul(0.1));
    }

    /** A [rows, cols] tensor that is a transposed (non-contiguous) view. */
    private static Tensor transposed(Generator g, int rows, int cols) {
        return Tensor.randn(g, cols, rows).transpose(0, 1);
    }

    /**
     * Distinct values at least 0.1 apart in a fixed shuffled order, offset by 0.03 from multiples
     * of 0.1: max/min, pooling and clamp never switch the winner or cross a bound within one step.
     */
    private static Tensor distinct(Generator g, int... shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        long[] perm = Tensor.randint(g, 0, Integer.MAX_VALUE, n).toLongArray();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, java.util.Comparator.comparingLong(i -> perm[i]));
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[order[i]] = (float) ((i - n / 2) * 0.1 + 0.03);
        }
        return Tensor.fromArray(v, shape);
    }

    private static Tensor longs(int[] shape, long... values) {
        return Tensor.fromArray(values, shape);
    }

    static List<Spec> moreSpecs() {
        return List.of(
                new Spec("pow tensor exponent [3,4]^[4]", x -> x[0].pow(x[1]), g -> new Tensor[] {positive(g, 3, 4), randn(g, 4)}),
                new Spec("pow tensor exponent [2,1]^[2,3]", x -> x[0].pow(x[1]), g -> new Tensor[] {positive(g, 2, 1), randn(g, 2, 3)}),
                new Spec("clamp both sides", x -> x[0].clamp(-0.5, 0.5), g -> new Tensor[] {distinct(g, 4, 5)}),
                new Spec("clamp min only", x -> x[0].clamp(0.0, Double.NaN), g -> new Tensor[] {distinct(g, 3, 4)}),
                new Spec("maskedFill broadcast mask", x -> x[0].maskedFill(x[1].value(), -3.0),
                        g -> new Tensor[] {randn(g, 3, 4), Tensor.fromArray(new boolean[] {true, false, false, true}, 4)}),
                new Spec("max all", x -> x[0].max(), g -> new Tensor[] {distinct(g, 3, 4)}),
                new Spec("max dim 1 keepdim", x -> x[0].max(new int[] {1}, true), g -> new Tensor[] {distinct(g, 3, 4, 2)}),
                new Spec("min dims 0,2", x -> x[0].min(new int[] {0, 2}, false), g -> new Tensor[] {distinct(g, 3, 4, 2)}),
                new Spec("var all unbiased", x -> x[0].var(null, 1, false), g -> new Tensor[] {randn(g, 3, 4)}),
                new Spec("var dim 1 population keepdim", x -> x[0].var(new int[] {1}, 0, true), g -> new Tensor[] {randn(g, 3, 5)}),
                new Spec("std dims 0,2 unbiased", x -> x[0].std(new int[] {0, 2}, 1, false), g -> new Tensor[] {randn(g, 3, 2, 4)}),
                new Spec("slice step 2", x -> x[0].slice(1, 1, 6, 2), g -> new Tensor[] {randn(g, 3, 7)}),
                new Spec("slice non-contiguous", x -> x[0].slice(0, 0, 3, 2), g -> new Tensor[] {transposed(g, 4, 3)}),
                new Spec("stack dim 1", x -> Var.stack(List.of(x[0], x[1], x[0]), 1), g -> new Tensor[] {randn(g, 2, 3), randn(g, 2, 3)}),
                new Spec("split uneven", x -> x[0].split(2, 1).get(2).mul(3.0).add(x[0].split(2, 1).get(0).sum()),
                        g -> new Tensor[] {randn(g, 3, 5)}),
                new Spec("chunk dim 0", x -> x[0].chunk(2, 0).get(1).exp(), g -> new Tensor[] {randn(g, 5, 2)}),
                new Spec("flatten", x -> x[0].flatten(1).mul(x[1]), g -> new Tensor[] {randn(g, 2, 3, 2), randn(g, 6)}),
                new Spec("scatterAdd both inputs", x -> x[0].scatterAdd(1, x[2].value(), x[1]),
                        g -> new Tensor[] {randn(g, 3, 4), randn(g, 3, 2), longs(new int[] {3, 2}, 0, 0, 3, 1, 2, 2)}),
                new Spec("im2col stride 2 pad 1 dilation 2", x -> x[0].im2col(new dev.kiln.tensor.ops.Window2d(3, 2, 2, 1, 1, 0, 2, 1), 0),
                        g -> new Tensor[] {randn(g, 2, 2, 6, 5)}),
                new Spec("col2im", x -> x[0].col2im(4, 5, dev.kiln.tensor.ops.Window2d.of(2, 1, 0)), g -> new Tensor[] {randn(g, 1, 8, 12)}),
                new Spec("conv2d pad 1", x -> Functional.conv2d(x[0], x[1], x[2], 1, 1),
                        g -> new Tensor[] {randn(g, 2, 3, 5, 4), randn(g, 4, 3, 3, 3), randn(g, 4)}),
                new Spec("conv2d stride 2 dilation 2 groups 2 no bias",
                        x -> Functional.conv2d(x[0], x[1], null, 2, 1, 1, 0, 2, 1, 2),
                        g -> new Tensor[] {randn(g, 2, 4, 7, 6), randn(g, 6, 2, 2, 3)}),
                new Spec("maxPool2d k2 s2", x -> Functional.maxPool2d(x[0], 2, 2, 0), g -> new Tensor[] {distinct(g, 2, 3, 4, 6)}),
                new Spec("maxPool2d k3 s2 pad 1", x -> Functional.maxPool2d(x[0], 3, 2, 1), g -> new Tensor[] {distinct(g, 1, 2, 5, 5)}),
                new Spec("avgPool2d k3 s1 pad 1", x -> Functional.avgPool2d(x[0], 3, 1, 1), g -> new Tensor[] {randn(g, 2, 2, 4, 3)}),
                new Spec("linear", x -> Functional.linear(x[0], x[1], x[2]), g -> new Tensor[] {randn(g, 2, 3, 4), randn(g, 5, 4), randn(g, 5)}),
                new Spec("layerNorm last dim", x -> Functional.layerNorm(x[0], 1, x[1], x[2], 1e-5),
                        g -> new Tensor[] {randn(g, 3, 6), randn(g, 6), randn(g, 6)}),
                new Spec("layerNorm last 2 dims no affine", x -> Functional.layerNorm(x[0], 2, null, null, 1e-5),
                        g -> new Tensor[] {randn(g, 2, 3, 4)}),
                new Spec("logSoftmax + gather + mean (cross-entropy)", x -> x[0].logSoftmax(1).gather(1, x[1].value().reshape(4, 1)).mean().mul(-1.0),
                        g -> new Tensor[] {randn(g, 4, 5), Tensor.fromArray(new long[] {1, 4, 0, 4}, 4)}),
                new Spec("sign (zero gradient)", x -> x[0].sign().mul(x[1]).add(x[0].mul(0.0)), g -> new Tensor[] {awayFromZero(g, 3, 2), randn(g, 3, 2)}),
                new Spec("squeeze all", x -> x[0].squeeze().mul(x[1]), g -> new Tensor[] {randn(g, 3, 1, 2, 1), randn(g, 3, 2)}),
                new Spec("t", x -> x[0].t().mul(x[1]), g -> new Tensor[] {randn(g, 2, 3), randn(g, 3, 2)}),
                new Spec("tril -1", x -> x[0].tril(-1), g -> new Tensor[] {randn(g, 2, 4, 3)}),
                new Spec("triu 1", x -> x[0].triu(1), g -> new Tensor[] {randn(g, 3, 4)}),
                new Spec("contiguous of a transpose", x -> x[0].transpose(0, 1).contiguous(), g -> new Tensor[] {randn(g, 3, 4)}),
                new Spec("topk values", x -> x[0].topk(2, 1, true).values(), g -> new Tensor[] {distinct(g, 3, 5)}),
                new Spec("topk smallest dim 0", x -> x[0].topk(2, 0, false).values(), g -> new Tensor[] {distinct(g, 4, 3)}),
                new Spec("gelu (erf)", x -> x[0].gelu(), g -> new Tensor[] {randn(g, 3, 4).mul(2.0)}),
                new Spec("erf", x -> x[0].erf(), g -> new Tensor[] {randn(g, 3, 4)}),
                new Spec("squared difference mean (mse)", x -> x[0].sub(x[1]).pow(2.0).mean(), g -> new Tensor[] {randn(g, 3, 4), randn(g, 3, 4)}));
    }

    static List<Spec> specs() {
        return List.of(
                // elementwise binary, with broadcasting on one or both sides
                new Spec("add same shape", x -> x[0].add(x[1]), g -> new Tensor[] {randn(g, 3, 4), randn(g, 3, 4)}),
                new Spec("add broadcast [3,4]+[4]", x -> x[0].add(x[1]), g -> new Tensor[] {randn(g, 3, 4), randn(g, 4)}),
                new Spec("add broadcast both [2,1,3]+[4,1]", x -> x[0].add(x[1]), g -> new Tensor[] {randn(g, 2, 1, 3), randn(g, 4, 1)}),
                new Spec("sub broadcast [3,4]-[3,1]", x -> x[0].sub(x[1]), g -> new Tensor[] {randn(g, 3, 4), randn(g, 3, 1)}),
                new Spec("mul broadcast [2,3]*[1,3]", x -> x[0].mul(x[1]), g -> new Tensor[] {randn(g, 2, 3), randn(g, 1, 3)}),
                new Spec("mul non-contiguous", x -> x[0].mul(x[1]), g -> new Tensor[] {transposed(g, 3, 4), randn(g, 3, 4)}),
                new Spec("mul scalar-shaped [] * [2,3]", x -> x[0].mul(x[1]), g -> new Tensor[] {randn(g), randn(g, 2, 3)}),
                new Spec("div broadcast [3,4]/[4]", x -> x[0].div(x[1]), g -> new Tensor[] {randn(g, 3, 4), positive(g, 4)}),
                new Spec("div [2,1]/[2,3]", x -> x[0].div(x[1]), g -> new Tensor[] {randn(g, 2, 1), positive(g, 2, 3)}),
                new Spec("add scalar", x -> x[0].add(1.5), g -> new Tensor[] {randn(g, 3, 2)}),
                new Spec("sub scalar", x -> x[0].sub(1.5), g -> new Tensor[] {randn(g, 3, 2)}),
                new Spec("mul scalar", x -> x[0].mul(-2.5), g -> new Tensor[] {randn(g, 3, 2)}),
                new Spec("div scalar", x -> x[0].div(4.0), g -> new Tensor[] {randn(g, 3, 2)}),
                new Spec("pow 3", x -> x[0].pow(3), g -> new Tensor[] {randn(g, 3, 2)}),
                new Spec("pow 0.5", x -> x[0].pow(0.5), g -> new Tensor[] {positive(g, 3, 2)}),
                new Spec("pow -1", x -> x[0].pow(-1), g -> new Tensor[] {positive(g, 3, 2)}),
                // elementwise unary
                new Spec("neg", x -> x[0].neg(), g -> new Tensor[] {randn(g, 2, 3)}),
                new Spec("exp", x -> x[0].exp(), g -> new Tensor[] {randn(g, 2, 3)}),
                new Spec("exp non-contiguous", x -> x[0].exp(), g -> new Tensor[] {transposed(g, 2, 3)}),
                new Spec("log", x -> x[0].log(), g -> new Tensor[] {positive(g, 2, 3)}),
                new Spec("sqrt", x -> x[0].sqrt(), g -> new Tensor[] {positive(g, 2, 3)}),
                new Spec("tanh", x -> x[0].tanh(), g -> new Tensor[] {randn(g, 2, 3)}),
                new Spec("sigmoid", x -> x[0].sigmoid(), g -> new Tensor[] {randn(g, 2, 3)}),
                new Spec("relu", x -> x[0].relu(), g -> new Tensor[] {awayFromZero(g, 3, 4)}),
                new Spec("silu", x -> x[0].silu(), g -> new Tensor[] {randn(g, 3, 4)}),
                new Spec("geluTanh", x -> x[0].geluTanh(), g -> new Tensor[] {randn(g, 3, 4)}),
                new Spec("abs", x -> x[0].abs(), g -> new Tensor[] {awayFromZero(g, 3, 4)}),
                new Spec("log1p", x -> x[0].log1p(), g -> new Tensor[] {positive(g, 2, 3)}),
                new Spec("rsqrt", x -> x[0].rsqrt(), g -> new Tensor[] {positive(g, 2, 3)}),
                new Spec("sin", x -> x[0].sin(), g -> new Tensor[] {randn(g, 2, 3)}),
                new Spec("cos", x -> x[0].cos(), g -> new Tensor[] {randn(g, 2, 3)}),
                new Spec("maximum broadcast [3,4] vs [4]", x -> x[0].maximum(x[1]), g -> new Tensor[] {randn(g, 3, 4), randn(g, 4)}),
                new Spec("minimum", x -> x[0].minimum(x[1]), g -> new Tensor[] {randn(g, 3, 4), randn(g, 3, 4)}),
                new Spec("where broadcast", x -> Var.where(Tensor.fromArray(new boolean[] {true, false, true, false}, 4), x[0], x[1]),
                        g -> new Tensor[] {randn(g, 3, 4), randn(g, 3, 1)}),
                new Spec("narrow dim 1", x -> x[0].narrow(1, 1, 2), g -> new Tensor[] {randn(g, 3, 4)}),
                new Spec("narrow negative start", x -> x[0].narrow(0, -2, 2), g -> new Tensor[] {randn(g, 3, 4)}),
                new Spec("squeeze", x -> x[0].squeeze(1), g -> new Tensor[] {randn(g, 3, 1, 4)}),
                new Spec("cat dim 1", x -> Var.cat(List.of(x[0], x[1]), 1), g -> new Tensor[] {randn(g, 2, 3), randn(g, 2, 2)}),
                new Spec("logsumexp dim 1", x -> x[0].logsumexp(new int[] {1}, false), g -> new Tensor[] {randn(g, 3, 5)}),
                new Spec("logsumexp dims 0,2 keepdim", x -> x[0].logsumexp(new int[] {0, 2}, true), g -> new Tensor[] {randn(g, 2, 3, 4)}),
                // reductions
                new Spec("sum all", x -> x[0].sum(), g -> new Tensor[] {randn(g, 3, 4)}),
                new Spec("sum dim 1", x -> x[0].sum(new int[] {1}, false), g -> new Tensor[] {randn(g, 2, 3, 4)}),
                new Spec("sum dims 0,2 keepdim", x -> x[0].sum(new int[] {0, 2}, true), g -> new Tensor[] {randn(g, 2, 3, 4)}),
                new Spec("sum dim -1 non-contiguous", x -> x[0].sum(new int[] {-1}, false), g -> new Tensor[] {transposed(g, 3, 4)}),
                new Spec("mean all", x -> x[0].mean(), g -> new Tensor[] {randn(g, 3, 4)}),
                new Spec("mean dim -1 keepdim", x -> x[0].mean(new int[] {-1}, true), g -> new Tensor[] {randn(g, 2, 3, 4)}),
                new Spec("softmax dim 1", x -> x[0].softmax(1), g -> new Tensor[] {randn(g, 3, 5)}),
                new Spec("softmax dim 0", x -> x[0].softmax(0), g -> new Tensor[] {randn(g, 3, 5)}),
                new Spec("softmax non-contiguous", x -> x[0].softmax(-1), g -> new Tensor[] {transposed(g, 3, 4)}),
                new Spec("logSoftmax dim -1", x -> x[0].logSoftmax(-1), g -> new Tensor[] {randn(g, 2, 3, 4)}),
                // matmul
                new Spec("matmul 2-D", x -> x[0].matmul(x[1]), g -> new Tensor[] {randn(g, 3, 4), randn(g, 4, 5)}),
                new Spec("matmul non-contiguous", x -> x[0].matmul(x[1]), g -> new Tensor[] {transposed(g, 3, 4), transposed(g, 4, 2)}),
                new Spec("matmul batched", x -> x[0].matmul(x[1]), g -> new Tensor[] {randn(g, 2, 3, 4), randn(g, 2, 4, 5)}),
                new Spec("matmul batched x 2-D", x -> x[0].matmul(x[1]), g -> new Tensor[] {randn(g, 2, 3, 4), randn(g, 4, 5)}),
                new Spec("matmul broadcast batch [2,1,3,4]@[3,4,2]", x -> x[0].matmul(x[1]),
                        g -> new Tensor[] {randn(g, 2, 1, 3, 4), randn(g, 3, 4, 2)}),
                new Spec("matmul vector @ matrix", x -> x[0].matmul(x[1]), g -> new Tensor[] {randn(g, 4), randn(g, 4, 3)}),
                new Spec("matmul matrix @ vector", x -> x[0].matmul(x[1]), g -> new Tensor[] {randn(g, 3, 4), randn(g, 4)}),
                new Spec("matmul vector @ vector", x -> x[0].matmul(x[1]), g -> new Tensor[] {randn(g, 4), randn(g, 4)}),
                new Spec("matmul vector @ batched", x -> x[0].matmul(x[1]), g -> new Tensor[] {randn(g, 4), randn(g, 2, 4, 3)}),
                // shape ops
                new Spec("reshape", x -> x[0].reshape(4, 3).mul(x[1]), g -> new Tensor[] {randn(g, 2, 6), randn(g, 4, 3)}),
                new Spec("reshape non-contiguous", x -> x[0].reshape(-1).mul(x[1]), g -> new Tensor[] {transposed(g, 3, 4), randn(g, 12)}),
                new Spec("permute", x -> x[0].permute(2, 0, 1).mul(x[1]), g -> new Tensor[] {randn(g, 2, 3, 4), randn(g, 4, 2, 3)}),
                new Spec("transpose", x -> x[0].transpose(0, 2).mul(x[1]), g -> new Tensor[] {randn(g, 2, 3, 4), randn(g, 4, 3, 2)}),
                new Spec("unsqueeze", x -> x[0].unsqueeze(1).mul(x[1]), g -> new Tensor[] {randn(g, 2, 3), randn(g, 2, 4, 3)}),
                new Spec("expand", x -> x[0].expand(2, 3, 4).mul(x[1]), g -> new Tensor[] {randn(g, 3, 1), randn(g, 2, 3, 4)}),
                // indexing (the integer index is a constant input, not checked); repeated indices accumulate
                new Spec("indexSelect dim 0 repeated", x -> x[0].indexSelect(0, x[1].value()),
                        g -> new Tensor[] {randn(g, 4, 3), Tensor.fromArray(new long[] {2, 0, 2, 3, 2}, 5)}),
                new Spec("indexSelect dim 1", x -> x[0].indexSelect(1, x[1].value()),
                        g -> new Tensor[] {randn(g, 2, 4, 3), Tensor.fromArray(new long[] {3, 1, 1}, 3)}),
                new Spec("gather dim 1", x -> x[0].gather(1, x[1].value()),
                        g -> new Tensor[] {randn(g, 3, 4), Tensor.fromArray(new long[] {0, 0, 3, 1, 2, 2}, 3, 2)}),
                new Spec("embedding [2,3] indices", x -> Var.embedding(x[0], x[1].value()),
                        g -> new Tensor[] {randn(g, 5, 3), Tensor.fromArray(new long[] {4, 0, 4, 1, 1, 4}, 2, 3)}),
                // compositions: shared inputs (gradient from several paths) and a tiny MLP with a loss
                new Spec("x*x + x (shared input)", x -> x[0].mul(x[0]).add(x[0]), g -> new Tensor[] {randn(g, 3, 2)}),
                new Spec("MLP + logSoftmax loss", x -> x[0].matmul(x[1]).add(x[2]).tanh().matmul(x[3]).logSoftmax(-1).mean(),
                        g -> new Tensor[] {randn(g, 4, 3), randn(g, 3, 5), randn(g, 5), randn(g, 5, 2)}));
    }

    @TestFactory
    Stream<DynamicTest> everyOpMatchesCentralDifferences() {
        return Stream.concat(specs().stream(), moreSpecs().stream()).map(spec -> DynamicTest.dynamicTest(spec.name(), () -> {
            Tensor[] inputs = spec.inputs().apply(new Generator(42));
            Gradcheck.Result res = Gradcheck.check(spec.fn(), inputs);
            System.out.printf("gradcheck %-45s max error %.2e%n", spec.name(), res.maxError());
            assertTrue(res.passed(), () -> spec.name() + ": max error " + res.maxError() + " at " + res.worst());
        }));
    }

    @Test
    void wrongBackwardIsCaught() {
        // exp with a flipped-sign backward, built through the same hook the real ops use.
        Gradcheck.Fn badExp = x -> {
            Tensor out = x[0].value().exp();
            return Var.op("badExp", out, g -> new Tensor[] {g.mul(out).neg()}, x[0]);
        };
        Tensor in = Tensor.randn(new Generator(7), 3, 4);
        Gradcheck.Result bad = Gradcheck.check(badExp, in);
        assertFalse(bad.passed(), "a flipped-sign backward must fail gradcheck: " + bad);
        assertTrue(bad.maxError() > 0.5, bad.toString());
        assertTrue(Gradcheck.check(x -> x[0].exp(), in).passed());
    }

    @Test
    void doublePrecisionCatchesABackwardOffByOnePartInTenThousand() {
        // A constant wrong in the 4th digit: invisible to the F32 check, caught in double.
        Gradcheck.Fn slightlyOff = x -> {
            Tensor out = x[0].value().exp();
            return Var.op("slightlyOffExp", out, g -> new Tensor[] {g.mul(out).mul(1.0001)}, x[0]);
        };
        Tensor in = Tensor.randn(new Generator(8), 3, 4);
        assertTrue(Gradcheck.checkF32(slightlyOff, in).passed(), "F32 differences cannot resolve 1e-4");
        Gradcheck.Result r = Gradcheck.check(slightlyOff, in);
        assertFalse(r.passed(), r.toString());
        assertTrue(Gradcheck.check(x -> x[0].exp(), in).maxError() < 1e-8);
    }

    @Test
    void missingBroadcastReductionIsCaught() {
        // mul whose backward forgets to scale db by a: shape-correct but wrong values.
        Gradcheck.Fn badMul = x -> {
            Tensor a = x[0].value(), b = x[1].value();
            return Var.op("badMul", a.mul(b), g -> new Tensor[] {g.mul(b), ShapeOps.sumToShape(g, b.shape())}, x[0], x[1]);
        };
        Generator gen = new Generator(3);
        assertFalse(Gradcheck.check(badMul, Tensor.randn(gen, 3, 4), Tensor.randn(gen, 4)).passed());
    }
}
