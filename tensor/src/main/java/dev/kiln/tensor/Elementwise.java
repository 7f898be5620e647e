package dev.kiln.tensor;

import dev.kiln.tensor.ops.BinaryOp;
import dev.kiln.tensor.ops.UnaryOp;

/** Elementwise ops: argument checks, broadcasting and result dtypes; kernels are the backend's. */
final class Elementwise {
    private Elementwise() {}

    static Tensor unary(UnaryOp op, Tensor x) {
        x.checkOpen(op.opName());
        DType out = x.dtype().isFloatingPoint() || op.keepsIntegers() ? x.dtype() : DType.F32;
        if (x.dtype().isBool() && op.keepsIntegers()) {
            throw new IllegalArgumentException(op.opName() + ": not supported for BOOL tensors (shape " + x.shape() + ")");
        }
        Tensor result = Tensor.empty(out, x.device(), x.shape());
        x.backend().unary(op, x, result);
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
        if (p.isBool() && (op == BinaryOp.SUB || op == BinaryOp.POW || op == BinaryOp.RELU_BACKWARD)) {
            throw new IllegalArgumentException(op.opName() + ": not supported for two BOOL tensors");
        }
        return p;
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        a.checkOpen(op.opName());
        b.checkOpen(op.opName());
        if (!a.device().equals(b.device())) {
            throw new IllegalArgumentException(op.opName() + ": tensors are on different devices: " + a.device()
                    + " and " + b.device());
        }
        Shape shape = Shape.broadcast(op.opName(), a.shape(), b.shape());
        DType out = resultType(op, a.dtype(), b.dtype());
        try (Tensor ea = a.expandTo(shape); Tensor eb = b.expandTo(shape)) {
            Tensor result = Tensor.empty(out, a.device(), shape);
            a.backend().binary(op, ea, eb, result);
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
