package dev.kiln.tensor;

import dev.kiln.tensor.ops.BinaryOp;
import dev.kiln.tensor.ops.UnaryOp;
import java.util.function.BinaryOperator;

/** Elementwise ops: argument checks, broadcasting and result dtypes; kernels are the backend's. */
final class Elementwise {
    private Elementwise() {}

    /** A backend kernel writing an op's result into out, a fresh contiguous tensor. */
    @FunctionalInterface
    private interface Kernel {
        void run(Tensor a, Tensor b, Tensor out);
    }

    static Tensor unary(UnaryOp op, Tensor x) {
        return unary(op.opName(), op.keepsIntegers(), x, (in, unused, out) -> in.backend().unary(op, in, out));
    }

    /** The exact GELU's derivative (its backward in one pass): a float function of one tensor, like gelu. */
    static Tensor geluErfDerivative(Tensor x) {
        return unary("gelu_erf_derivative", false, x, (in, unused, out) -> in.backend().geluErfDerivative(in, out));
    }

    private static Tensor unary(String name, boolean keepsIntegers, Tensor x, Kernel kernel) {
        x.checkOpen(name);
        DType out = x.dtype().isFloatingPoint() || keepsIntegers ? x.dtype() : DType.F32;
        if (x.dtype().isBool() && keepsIntegers) {
            throw new IllegalArgumentException(name + ": not supported for BOOL tensors (shape " + x.shape() + ")");
        }
        Tensor result = Tensor.empty(out, x.device(), x.shape());
        kernel.run(x, null, result);
        return result;
    }

    static DType resultType(BinaryOp op, DType a, DType b) {
        if (op.isComparison()) {
            return DType.BOOL;
        }
        DType p = DType.promote(a, b);
        if (op == BinaryOp.DIV) {
            return p.toFloating();
        }
        if (p.isBool() && (op == BinaryOp.SUB || op == BinaryOp.POW)) {
            throw new IllegalArgumentException(op.opName() + ": not supported for two BOOL tensors");
        }
        return p;
    }

    /** ReLU's backward keeps the promoted dtype of the gradient and the input; two BOOLs are rejected. */
    private static DType reluBackwardType(DType grad, DType input) {
        DType p = DType.promote(grad, input);
        if (p.isBool()) {
            throw new IllegalArgumentException("reluBackward: not supported for two BOOL tensors");
        }
        return p;
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        return binary(op.opName(), a, b, (x, y) -> resultType(op, x, y), (ea, eb, out) -> a.backend().binary(op, ea, eb, out));
    }

    /** ReLU's backward in one pass: grad where input > 0, else 0; broadcasts like mul. */
    static Tensor reluBackward(Tensor grad, Tensor input) {
        return binary("reluBackward", grad, input, Elementwise::reluBackwardType,
                (eg, ei, out) -> grad.backend().reluBackward(eg, ei, out));
    }

    private static Tensor binary(String name, Tensor a, Tensor b, BinaryOperator<DType> resultType, Kernel kernel) {
        a.checkOpen(name);
        b.checkOpen(name);
        if (!a.device().equals(b.device())) {
            throw new IllegalArgumentException(name + ": tensors are on different devices: " + a.device()
                    + " and " + b.device());
        }
        Shape shape = Shape.broadcast(name, a.shape(), b.shape());
        DType out = resultType.apply(a.dtype(), b.dtype());
        try (Tensor ea = a.expandTo(shape); Tensor eb = b.expandTo(shape)) {
            Tensor result = Tensor.empty(out, a.device(), shape);
            kernel.run(ea, eb, result);
            return result;
        }
    }

    /** A Python-scalar operand: it does not widen a tensor's dtype except int tensor with a fractional scalar. */
    static Tensor binaryScalar(BinaryOp op, Tensor a, double s) {
        a.checkOpen(op.opName());
        DType st = a.dtype().isFloatingPoint() ? a.dtype()
                : (s == Math.rint(s) && !Double.isInfinite(s) ? (a.dtype().isBool() ? DType.I64 : a.dtype()) : DType.F32);
        try (Tensor scalar = a.newScalar(s, st == a.dtype() && a.dtype().isHalf() ? DType.F32 : st)) {
            if (a.dtype().isHalf()) {
                // Keep the half dtype: compute against an F32 scalar, then round once.
                try (Tensor wide = binary(op, a, scalar)) {
                    return op.isComparison() ? wide.to(DType.BOOL) : wide.to(a.dtype());
                }
            }
            return binary(op, a, scalar);
        }
    }

    static Tensor clamp(Tensor x, double min, double max) {
        x.checkOpen("clamp");
        if (!Double.isNaN(min) && !Double.isNaN(max) && min > max) {
            throw new IllegalArgumentException("clamp: min " + min + " is greater than max " + max);
        }
        if (x.dtype().isBool()) {
            throw new IllegalArgumentException("clamp: not supported for BOOL tensors");
        }
        if (!x.dtype().isFloatingPoint() && (isFractional(min) || isFractional(max))) {
            // torch promotes an integer tensor with a fractional bound to the default float type.
            try (Tensor f = x.to(DType.F32)) {
                return clamp(f, min, max);
            }
        }
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        x.backend().clamp(x, min, max, out);
        return out;
    }

    private static boolean isFractional(double v) {
        return !Double.isNaN(v) && v != Math.rint(v);
    }

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        cond.checkOpen("where");
        a.checkOpen("where");
        b.checkOpen("where");
        a.checkSameDevice("where", b);
        a.checkSameDevice("where", cond);
        if (cond.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("where: condition must be BOOL, got " + cond.dtype());
        }
        Shape shape = Shape.broadcast("where", Shape.broadcast("where", cond.shape(), a.shape()), b.shape());
        DType out = DType.promote(a.dtype(), b.dtype());
        try (Tensor ec = cond.expandTo(shape); Tensor ea = a.expandTo(shape); Tensor eb = b.expandTo(shape)) {
            Tensor result = Tensor.empty(out, a.device(), shape);
            a.backend().where(ec, ea, eb, result);
            return result;
        }
    }

    static Tensor maskedFill(Tensor x, Tensor mask, double value) {
        mask.checkOpen("maskedFill");
        if (mask.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("maskedFill: mask must be BOOL, got " + mask.dtype());
        }
        Shape s = Shape.broadcast("maskedFill", x.shape(), mask.shape());
        if (!s.equals(x.shape())) {
            throw new IllegalArgumentException("maskedFill: mask of shape " + mask.shape()
                    + " does not broadcast to the tensor's shape " + x.shape());
        }
        try (Tensor fill = x.newScalar(value, x.dtype())) {
            return where(mask, fill, x);
        }
    }
}
