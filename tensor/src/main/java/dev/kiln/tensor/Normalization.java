package dev.kiln.tensor;

/**
 * Fused layer normalization over the trailing {@code normalizedDims} dims (one row per
 * normalized slice): the forward also returns each row's mean and reciprocal standard deviation,
 * which is all its backward needs. Computes in F32; other float dtypes are converted to F32 and
 * the results back (F64 callers that need exact double arithmetic compose the op from primitives).
 */
final class Normalization {
    private Normalization() {}

    private static int rowLength(String op, Tensor x, int normalizedDims) {
        if (normalizedDims < 1 || normalizedDims > x.rank()) {
            throw new IllegalArgumentException(op + ": normalizedDims must be in [1, " + x.rank() + "] for shape " + x.shape()
                    + ", got " + normalizedDims);
        }
        int d = 1;
        for (int i = x.rank() - normalizedDims; i < x.rank(); i++) {
            d *= x.size(i);
        }
        return d;
    }

    private static void checkParam(String op, String name, Tensor p, int d) {
        if (p != null && p.numel() != d) {
            throw new IllegalArgumentException(op + ": " + name + " must have " + d + " elements (the normalized shape), got shape "
                    + p.shape());
        }
    }

    static Tensor.LayerNorm layerNorm(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) {
        x.checkOpen("layerNorm");
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("layerNorm: input must be floating point, got " + x.dtype());
        }
        int d = rowLength("layerNorm", x, normalizedDims);
        checkParam("layerNorm", "weight", weight, d);
        checkParam("layerNorm", "bias", bias, d);
        int rows = d == 0 ? 0 : x.numel() / d;
        try (Tensor x32 = x.to(DType.F32).contiguous();
             Tensor w32 = weight == null ? null : weight.to(DType.F32).contiguous();
             Tensor b32 = bias == null ? null : bias.to(DType.F32).contiguous()) {
            Tensor y = Tensor.empty(DType.F32, x.device(), x.shape());
            Tensor mean = Tensor.empty(DType.F32, x.device(), Shape.of(rows));
            Tensor rstd = Tensor.empty(DType.F32, x.device(), Shape.of(rows));
            x.backend().layerNorm(x32, w32, b32, eps, d, y, mean, rstd);
            if (x.dtype() != DType.F32) {
                try (Tensor yf = y) {
                    y = yf.to(x.dtype());
                }
            }
            return new Tensor.LayerNorm(y, mean, rstd);
        }
    }

    /** {dx, dweight (or null), dbias (or null)} for {@code dy} given the forward's saved statistics. */
    static Tensor[] layerNormBackward(Tensor dy, Tensor x, int normalizedDims, Tensor weight, Tensor mean, Tensor rstd,
                                      boolean needWeight, boolean needBias) {
        int d = rowLength("layerNormBackward", x, normalizedDims);
        if (!dy.shape().equals(x.shape())) {
            throw new IllegalArgumentException("layerNormBackward: dy " + dy.shape() + " and x " + x.shape() + " differ");
        }
        int[] paramShape = java.util.Arrays.copyOfRange(x.shape().toArray(), x.rank() - normalizedDims, x.rank());
        try (Tensor g32 = dy.to(DType.F32).contiguous(); Tensor x32 = x.to(DType.F32).contiguous();
             Tensor w32 = weight == null ? null : weight.to(DType.F32).contiguous()) {
            Tensor dx = Tensor.empty(DType.F32, x.device(), x.shape());
            Tensor dw = needWeight ? Tensor.empty(DType.F32, x.device(), Shape.of(paramShape)) : null;
            Tensor db = needBias ? Tensor.empty(DType.F32, x.device(), Shape.of(paramShape)) : null;
            x.backend().layerNormBackward(g32, x32, w32, mean, rstd, d, dx, dw, db);
            if (x.dtype() != DType.F32) {
                try (Tensor f = dx) {
                    dx = f.to(x.dtype());
                }
            }
            return new Tensor[] {dx, dw, db};
        }
    }
}
