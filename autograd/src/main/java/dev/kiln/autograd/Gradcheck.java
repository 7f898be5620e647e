package dev.kiln.autograd;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.Arrays;

/**
 * Compares the analytic gradients of a function (from {@link Var#backward}) with central
 * differences {@code (f(x+h) - f(x-h)) / 2h}, one input element at a time.
 *
 * <p>The function's output is reduced to a scalar with fixed random weights {@code r}
 * ({@code L = sum(f(x) * r)}), not a plain sum, so that ops whose outputs sum to a constant
 * (softmax) are still checked.
 *
 * <p><b>Precision limitation.</b> The tensor core has no F64 yet, so both the analytic and the
 * numeric gradients are computed in F32 (only the final dot product with {@code r} and the
 * difference quotient are formed in double). F32 rounding makes small steps useless, so the
 * defaults are a large step {@code h = 1e-2}, and a loose tolerance: an element passes when
 * {@code |a - n| / max(|a| + |n|, floor) <= tol} with {@code tol = 1e-2}, {@code floor = 0.1}
 * (that is, an absolute error of 1e-3 for gradients near zero). Use small, well-conditioned
 * inputs (values of order 1, away from kinks such as relu's 0). This catches wrong formulas,
 * wrong signs, missing broadcast reductions and transposed gradients, not last-bit errors; switch
 * to double once the core has F64 (STYLE.md asks for h ≈ 1e-4 in double).
 *
 * <p>Inputs that are not floating point (indices) are passed as constants and not checked.
 */
public final class Gradcheck {
    public static final double DEFAULT_EPS = 1e-2;
    public static final double DEFAULT_TOL = 1e-2;
    public static final double DEFAULT_FLOOR = 0.1;

    private Gradcheck() {}

    /** A function of Vars to differentiate. */
    @FunctionalInterface
    public interface Fn {
        Var apply(Var... inputs);
    }

    /**
     * The outcome: {@code maxError} is the worst per-element error as defined above, and
     * {@code worst} describes where it occurred (input, flat index, analytic and numeric values).
     */
    public record Result(boolean passed, double maxError, String worst) {}

    /** Checks with the default step and tolerances. */
    public static Result check(Fn f, Tensor... inputs) {
        return check(f, DEFAULT_EPS, DEFAULT_TOL, DEFAULT_FLOOR, inputs);
    }

    /** Checks every element of every floating-point input. Inputs are not modified. */
    public static Result check(Fn f, double eps, double tol, double floor, Tensor... inputs) {
        Var[] leaves = new Var[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            leaves[i] = Var.leaf(inputs[i], inputs[i].dtype().isFloatingPoint());
        }
        Var out = f.apply(leaves);
        if (!out.requiresGrad()) {
            throw new IllegalArgumentException("gradcheck: the output does not depend on any input");
        }
        Tensor weights = Tensor.randn(new Generator(1234), out.shape().toArray());
        double[] r = weights.toDoubleArray();
        out.mul(Var.constant(weights)).sum().backward();

        double maxError = 0;
        String worst = "no element checked";
        boolean passed = true;
        for (int i = 0; i < inputs.length; i++) {
            if (!inputs[i].dtype().isFloatingPoint()) {
                continue;
            }
            double[] analytic = leaves[i].grad() == null ? new double[inputs[i].numel()] : leaves[i].grad().toDoubleArray();
            double[] base = inputs[i].toDoubleArray();
            for (int j = 0; j < base.length; j++) {
                double numeric = numericGradient(f, inputs, i, base, j, eps, r);
                double a = analytic[j];
                double err = Math.abs(a - numeric) / Math.max(Math.abs(a) + Math.abs(numeric), floor);
                if (!(err <= tol)) {
                    passed = false;
                }
                if (!(err <= maxError)) { // also catches NaN
                    maxError = err;
                    worst = "input " + i + " " + inputs[i].shape() + " element " + j + ": analytic " + a
                            + ", numeric " + numeric;
                }
            }
        }
        return new Result(passed, maxError, worst);
    }

    /** Throws {@link AssertionError} naming the op and the worst element when the check fails. */
    public static void assertGradients(String name, Fn f, Tensor... inputs) {
        Result res = check(f, inputs);
        if (!res.passed()) {
            throw new AssertionError("gradcheck " + name + " failed: max error " + res.maxError() + " at " + res.worst());
        }
    }

    private static double numericGradient(Fn f, Tensor[] inputs, int which, double[] base, int j, double eps, double[] r) {
        // Step in F32: the actual step is the difference of the two rounded points, not 2*eps.
        float plus = (float) (base[j] + eps);
        float minus = (float) (base[j] - eps);
        double fp = evaluate(f, inputs, which, base, j, plus, r);
        double fm = evaluate(f, inputs, which, base, j, minus, r);
        return (fp - fm) / ((double) plus - (double) minus);
    }

    @SuppressWarnings("try") // the NoGrad scope is used for its effect, not referenced
    private static double evaluate(Fn f, Tensor[] inputs, int which, double[] base, int j, float value, double[] r) {
        double[] data = Arrays.copyOf(base, base.length);
        data[j] = value;
        Var[] vars = new Var[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            vars[i] = Var.constant(i == which
                    ? Tensor.fromArray(data, DType.F32, inputs[i].shape().toArray())
                    : inputs[i]);
        }
        double[] y;
        try (NoGrad ng = NoGrad.enter()) {
            y = f.apply(vars).value().toDoubleArray();
        }
        double s = 0;
        for (int k = 0; k < y.length; k++) {
            s += y[k] * r[k];
        }
        return s;
    }
}
