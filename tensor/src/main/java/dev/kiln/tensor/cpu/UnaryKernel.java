package dev.kiln.tensor.cpu;

import dev.kiln.tensor.kernels.cpu.DoubleElementwiseKernels;
import dev.kiln.tensor.kernels.cpu.ElementwiseKernels;
import dev.kiln.tensor.ops.UnaryOp;

/**
 * One elementwise function of one tensor as the kernels {@link CpuElementwise} runs in each
 * precision: the seam that lets a backward-only function share a user op's dtype paths and layouts.
 */
interface UnaryKernel {
    /** out[o + i] = f(x[xo + i]) for i in [0, n). */
    void f32(float[] x, int xo, float[] out, int o, int n);

    /** out[o + i] = f(x[xo + i]) for i in [0, n), in double. */
    void f64(double[] x, int xo, double[] out, int o, int n);

    /** f of an integer, for the functions that keep integer dtypes; throws for the others. */
    long integer(long v);

    /** The exact GELU's derivative Φ(x) + x·φ(x): gelu's backward, not a user op. */
    UnaryKernel GELU_ERF_DERIVATIVE = new GeluErfDerivative();

    static UnaryKernel of(UnaryOp op) {
        return Op.ALL[op.ordinal()];
    }

    /** See {@link #GELU_ERF_DERIVATIVE}. */
    final class GeluErfDerivative implements UnaryKernel {
        private GeluErfDerivative() {}

        @Override
        public void f32(float[] x, int xo, float[] out, int o, int n) {
            ElementwiseKernels.geluErfDerivative(x, xo, out, o, n);
        }

        @Override
        public void f64(double[] x, int xo, double[] out, int o, int n) {
            DoubleElementwiseKernels.geluErfDerivative(x, xo, out, o, n);
        }

        @Override
        public long integer(long v) {
            throw new IllegalStateException("unary: the GELU derivative has no integer form");
        }
    }

    /** A user-facing {@link UnaryOp} through the elementwise kernels. */
    record Op(UnaryOp op) implements UnaryKernel {
        private static final Op[] ALL = java.util.Arrays.stream(UnaryOp.values()).map(Op::new).toArray(Op[]::new);

        @Override
        public void f32(float[] x, int xo, float[] out, int o, int n) {
            ElementwiseKernels.unary(op, x, xo, out, o, n);
        }

        @Override
        public void f64(double[] x, int xo, double[] out, int o, int n) {
            DoubleElementwiseKernels.unary(op, x, xo, out, o, n);
        }

        @Override
        public long integer(long v) {
            return switch (op) {
                case NEG -> -v;
                case ABS -> Math.abs(v);
                case SIGN -> Long.signum(v);
                case RELU -> Math.max(v, 0);
                default -> throw new IllegalStateException("unary: " + op + " has no integer form");
            };
        }
    }
}
