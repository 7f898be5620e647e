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

/** {@link Gradcheck} itself (it must catch wrong backwards), and the gradients the op registry does not hold. */
class GradcheckTest {

    /** One case: a name, the function, and how to make its inputs from a generator. */
    record Spec(String name, Gradcheck.Fn fn, Function<Generator, Tensor[]> inputs) {}

    private static Tensor randn(Generator g, int... shape) {
        return Tensor.randn(g, shape);
    }

    /**
     * What the op registry (test-fixtures: one OpInfo per op, gradchecked by OpInfoSuiteTest) does
     * not hold: compositions that test the engine rather than an op (a shared input accumulating
     * gradient from several paths, a tiny MLP). The losses are gradchecked in nn's LossesTest.
     */
    static List<Spec> specs() {
        return List.of(
                new Spec("x*x + x (shared input)", x -> x[0].mul(x[0]).add(x[0]), g -> new Tensor[] {randn(g, 3, 2)}),
                new Spec("MLP + logSoftmax loss", x -> x[0].matmul(x[1]).add(x[2]).tanh().matmul(x[3]).logSoftmax(-1).mean(),
                        g -> new Tensor[] {randn(g, 4, 3), randn(g, 3, 5), randn(g, 5), randn(g, 5, 2)}));
    }

    @TestFactory
    Stream<DynamicTest> compositionsMatchCentralDifferences() {
        return specs().stream().map(spec -> DynamicTest.dynamicTest(spec.name(), () -> {
            Tensor[] inputs = spec.inputs().apply(new Generator(42));
            Gradcheck.Result res = Gradcheck.check(spec.fn(), inputs);
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
