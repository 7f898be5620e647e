package dev.kiln.autograd;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.DeviceScope;
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
 * <p>{@link #check(Fn, Tensor...)} runs in double precision (STYLE.md, after DL4J's
 * GradientCheckUtil): floating-point inputs are converted to F64, so both the function and its
 * backward compute in exact double arithmetic, with step {@code h = 1e-5} (truncation error
 * ~h^2, rounding error ~1e-16/h, both far below the tolerance). An element passes when
 * {@code |a - n| / max(|a| + |n|, floor) <= tol}, {@code tol = 1e-6}, {@code floor = 1e-3}.
 * That catches wrong formulas, signs, missing broadcast reductions and transposed gradients, and
 * most last-digit mistakes such as a wrong constant.
 *
 * <p>{@link #checkF32} keeps the inputs in F32 (for kernels that only exist there): F32 rounding
 * makes small steps useless, so it uses {@code h = 1e-2}, {@code tol = 1e-2}, {@code floor = 0.1}.
 *
 * <p>Use inputs away from kinks (relu's 0, max ties): a step across one measures the wrong slope.
 * Inputs that are not floating point (indices, masks) are passed as constants and not checked.
 */
public final class Gradcheck {
    public static final double DEFAULT_EPS = 1e-5;
    public static final double DEFAULT_TOL = 1e-6;
    public static final double DEFAULT_FLOOR = 1e-3;
    public static final double F32_EPS = 1e-2;
    public static final double F32_TOL = 1e-2;
    public static final double F32_FLOOR = 0.1;

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

    /** Checks in double precision: floating-point inputs are converted to F64 (see the class comment). */
    public static Result check(Fn f, Tensor... inputs) {
        Tensor[] doubles = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            doubles[i] = inputs[i].dtype().isFloatingPoint() ? inputs[i].to(DType.F64) : inputs[i];
        }
        return check(f, DEFAULT_EPS, DEFAULT_TOL, DEFAULT_FLOOR, doubles);
    }

    /** Checks with the inputs as given (F32) and the F32 step and tolerances. */
    public static Result checkF32(Fn f, Tensor... inputs) {
        return check(f, F32_EPS, F32_TOL, F32_FLOOR, inputs);
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
        Tensor weights;
        try (DeviceScope _ = DeviceScope.enter(out.value().device())) { // the output's device, whichever it is
            weights = Tensor.randn(new Generator(1234), out.shape().toArray()).to(out.value().dtype());
        }
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

    /** Throws {@link AssertionError} naming the op and the worst element when the (double-precision) check fails. */
    public static void assertGradients(String name, Fn f, Tensor... inputs) {
        Result res = check(f, inputs);
        if (!res.passed()) {
            throw new AssertionError("gradcheck " + name + " failed: max error " + res.maxError() + " at " + res.worst());
        }
    }

    private static double numericGradient(Fn f, Tensor[] inputs, int which, double[] base, int j, double eps, double[] r) {
        // Step in the input's own precision: the actual step is the difference of the two rounded points.
        boolean f32 = inputs[which].dtype() != DType.F64;
        double plus = f32 ? (float) (base[j] + eps) : base[j] + eps;
        double minus = f32 ? (float) (base[j] - eps) : base[j] - eps;
        double fp = evaluate(f, inputs, which, base, j, plus, r);
        double fm = evaluate(f, inputs, which, base, j, minus, r);
        return (fp - fm) / (plus - minus);
    }

    @SuppressWarnings("try") // the NoGrad scope is used for its effect, not referenced
    private static double evaluate(Fn f, Tensor[] inputs, int which, double[] base, int j, double value, double[] r) {
        double[] data = Arrays.copyOf(base, base.length);
        data[j] = value;
        Var[] vars = new Var[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            if (i == which) {
                try (DeviceScope _ = DeviceScope.enter(inputs[i].device())) { // perturbed where the input lives
                    vars[i] = Var.constant(Tensor.fromArray(data, inputs[i].dtype(), inputs[i].shape().toArray()));
                }
            } else {
                vars[i] = Var.constant(inputs[i]);
            }
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
