package dev.kiln.tensor.cpu;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.kernels.cpu.DoubleElementwiseKernels;
import dev.kiln.tensor.kernels.cpu.ElementwiseKernels;
import dev.kiln.tensor.ops.BinaryOp;

/**
 * One elementwise arithmetic function of two tensors as the kernels {@link CpuElementwise} runs in
 * each precision: the seam that lets a backward-only function share a user op's dtype paths and
 * broadcast layouts. Comparisons are not functions of this kind (they write BOOL).
 */
interface BinaryKernel {
    /** out[o + i] = f(a[ao + i*as], b[bo + i*bs]) for i in [0, n). */
    void f32(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int o, int n);

    /** The same in double. */
    void f64(double[] a, int ao, int as, double[] b, int bo, int bs, double[] out, int o, int n);

    /** f of one pair of floats. */
    float f32(float x, float y);

    /** f of two integers of the promoted dtype {@code type} (BOOL: ADD is or, MUL is and). */
    long integer(long x, long y, DType type);

    /** True when two integers give a float result (true division) instead of {@link #integer}. */
    boolean floatForIntegers();

    /** ReLU's backward: a (the gradient) where b (ReLU's input) > 0, else 0; not a user op. */
    BinaryKernel RELU_BACKWARD = new ReluBackward();

    /** @throws IllegalArgumentException for a comparison */
    static BinaryKernel of(BinaryOp op) {
        if (op.isComparison()) {
            throw new IllegalArgumentException("binary kernel: " + op + " is a comparison, not arithmetic");
        }
        return Op.ALL[op.ordinal()];
    }

    /** See {@link #RELU_BACKWARD}. */
    final class ReluBackward implements BinaryKernel {
        private ReluBackward() {}

        @Override
        public void f32(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int o, int n) {
            ElementwiseKernels.reluBackward(a, ao, as, b, bo, bs, out, o, n);
        }

        @Override
        public void f64(double[] a, int ao, int as, double[] b, int bo, int bs, double[] out, int o, int n) {
            DoubleElementwiseKernels.reluBackward(a, ao, as, b, bo, bs, out, o, n);
        }

        @Override
        public float f32(float x, float y) {
            return ElementwiseKernels.reluBackward(x, y);
        }

        @Override
        public long integer(long x, long y, DType type) {
            return y > 0 ? x : 0;
        }

        @Override
        public boolean floatForIntegers() {
            return false;
        }
    }

    /** A user-facing arithmetic {@link BinaryOp} through the elementwise kernels. */
    record Op(BinaryOp op) implements BinaryKernel {
        private static final Op[] ALL = java.util.Arrays.stream(BinaryOp.values()).map(Op::new).toArray(Op[]::new);

        @Override
        public void f32(float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int o, int n) {
            ElementwiseKernels.binary(op, a, ao, as, b, bo, bs, out, o, n);
        }

        @Override
        public void f64(double[] a, int ao, int as, double[] b, int bo, int bs, double[] out, int o, int n) {
            DoubleElementwiseKernels.binary(op, a, ao, as, b, bo, bs, out, o, n);
        }

        @Override
        public float f32(float x, float y) {
            return ElementwiseKernels.scalar(op, x, y);
        }

        @Override
        public boolean floatForIntegers() {
            return op == BinaryOp.DIV;
        }

        @Override
        public long integer(long x, long y, DType type) {
            return switch (op) {
                case ADD -> type.isBool() ? (x | y) : x + y;
                case SUB -> x - y;
                case MUL -> type.isBool() ? (x & y) : x * y;
                case MAXIMUM -> Math.max(x, y);
                case MINIMUM -> Math.min(x, y);
                case POW -> pow(x, y);
                default -> throw new IllegalStateException("integer op " + op);
            };
        }

        private static long pow(long x, long y) {
            if (y < 0) {
                if (x == 1) return 1;
                if (x == -1) return (y & 1) == 0 ? 1 : -1;
                throw new ArithmeticException("pow: integers to negative integer powers are not allowed (" + x + "^" + y + ")");
            }
            long r = 1;
            long base = x;
            long e = y;
            while (e > 0) {
                if ((e & 1) == 1) r *= base;
                base *= base;
                e >>= 1;
            }
            return r;
        }
    }
}
