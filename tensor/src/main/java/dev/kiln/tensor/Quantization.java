package dev.kiln.tensor;

/**
 * Symmetric int8 quantization for inference (no autograd): per-row scales
 * {@code scale = max|x| / 127}, values {@code q = clamp(rint(x / scale), −127, 127)}, so that
 * {@code x ≈ q · scale} with an error of at most {@code scale / 2} per element. Weights are
 * quantized once per output channel (a row of torch's [out, in] layout); activations per row,
 * dynamically, on every call. The product runs in int8 with int32 sums and is dequantized once:
 * {@code y[i][j] = Σ_p qx[i][p]·qw[j][p] · sx[i] · sw[j] + bias[j]}.
 *
 * <p>Static activation quantization ({@link #quantizeRows(Tensor, float)},
 * {@link #int8LinearStatic}) uses one scale fixed ahead of time from a calibration set for every
 * row instead: no max-abs pass at run time, values past {@code 127·scale} saturate.
 *
 * <p>Stateless and thread-safe; every method throws {@link IllegalArgumentException} on a null,
 * closed or ill-shaped argument, naming it.
 */
public final class Quantization {
    private Quantization() {}

    /**
     * An int8 matrix with one F32 scale per row: values I8 [..., cols], scales F32 [...]. Owns both
     * tensors; close it (or them) when done.
     */
    public record Int8Rows(Tensor values, Tensor scales) implements AutoCloseable {
        /** Back to F32: {@code values · scales} per row (tests and inspection; not a fast path). */
        public Tensor dequantize() {
            try (Tensor v = values.to(DType.F32); Tensor s = scales.unsqueeze(-1)) {
                return v.mul(s);
            }
        }

        @Override
        public void close() {
            values.close();
            scales.close();
        }
    }

    /** The shape of {@code x} without its last dimension, after the checks both quantizeRows share. */
    private static Shape rowsShape(Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException("quantizeRows: x must not be null");
        }
        x.checkOpen("quantizeRows");
        if (x.rank() < 1 || !x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("quantizeRows: x must be a floating-point tensor of rank >= 1, got "
                    + x.dtype() + " " + x.shape());
        }
        int[] dims = x.shape().toArray();
        return Shape.of(java.util.Arrays.copyOf(dims, dims.length - 1));
    }

    /**
     * Quantizes each row (the last dimension) of floating-point {@code x} [..., cols] to int8 with
     * its own scale. Rank ≥ 1; any strides (copied to contiguous F32 first when needed).
     */
    public static Int8Rows quantizeRows(Tensor x) {
        Shape rowsShape = rowsShape(x);
        try (Tensor xc = contiguousF32(x)) {
            Tensor q = Tensor.empty(DType.I8, x.device(), x.shape());
            Tensor s = Tensor.empty(DType.F32, x.device(), rowsShape);
            x.backend().quantizeRows(xc, q, s);
            return new Int8Rows(q, s);
        }
    }

    /**
     * Quantizes every row of floating-point {@code x} [..., cols] with the one fixed {@code scale}
     * (static quantization): {@code q = clamp(rint(x · (1/scale)), −127, 127)}; the returned scales
     * are all {@code scale}. A scale of 0 gives zeros.
     *
     * @throws IllegalArgumentException if scale is negative, NaN or infinite
     */
    public static Int8Rows quantizeRows(Tensor x, float scale) {
        if (!(scale >= 0f) || Float.isInfinite(scale)) {
            throw new IllegalArgumentException("quantizeRows: scale must be finite and >= 0, got " + scale);
        }
        Shape rowsShape = rowsShape(x);
        try (Tensor xc = contiguousF32(x)) {
            Tensor q = Tensor.empty(DType.I8, x.device(), x.shape());
            Tensor s = Tensor.empty(DType.F32, x.device(), rowsShape);
            x.backend().quantizeRowsWithScale(xc, scale, q, s);
            return new Int8Rows(q, s);
        }
    }

    /**
     * {@code x @ W^T + bias} with W held as int8: x floating point [..., in] is quantized per row on
     * the fly, weight is I8 [out, in] with weightScale F32 [out], bias F32 [out] or null; returns
     * F32 [..., out]. The int8 replacement of {@code F.linear}.
     */
    public static Tensor int8Linear(Tensor x, Tensor weight, Tensor weightScale, Tensor bias) {
        return linear(x, -1f, weight, weightScale, bias);
    }

    /**
     * {@link #int8Linear} with static activation quantization: every row of x is quantized with the
     * fixed {@code inputScale} (from calibration) rather than its own max-abs.
     *
     * @throws IllegalArgumentException as {@link #int8Linear}, or if inputScale is negative, NaN or infinite
     */
    public static Tensor int8LinearStatic(Tensor x, float inputScale, Tensor weight, Tensor weightScale, Tensor bias) {
        if (!(inputScale >= 0f) || Float.isInfinite(inputScale)) {
            throw new IllegalArgumentException("int8LinearStatic: inputScale must be finite and >= 0, got " + inputScale);
        }
        return linear(x, inputScale, weight, weightScale, bias);
    }

    /** inputScale < 0: dynamic per-row scales. */
    private static Tensor linear(Tensor x, float inputScale, Tensor weight, Tensor weightScale, Tensor bias) {
        if (x == null || weight == null || weightScale == null) {
            throw new IllegalArgumentException("int8Linear: x, weight and weightScale must not be null (got x="
                    + x + ", weight=" + weight + ", weightScale=" + weightScale + ")");
        }
        if (weight.rank() != 2 || weight.dtype() != DType.I8) {
            throw new IllegalArgumentException("int8Linear: weight must be I8 [out, in], got " + weight.dtype() + " "
                    + weight.shape());
        }
        if (x.rank() < 1 || x.size(-1) != weight.size(1)) {
            throw new IllegalArgumentException("int8Linear: x's last dimension must be in=" + weight.size(1)
                    + ", got shape " + x.shape());
        }
        int[] dims = x.shape().toArray();
        dims[dims.length - 1] = weight.size(0);
        try (Int8Rows qx = inputScale < 0f ? quantizeRows(x) : quantizeRows(x, inputScale);
             Tensor a = qx.values().reshape(-1, weight.size(1));
             Tensor as = qx.scales().reshape(-1)) {
            try (Tensor y = int8Matmul(a, as, weight, true, weightScale, bias)) {
                return y.reshape(dims);
            }
        }
    }

    /**
     * The int8 GEMM dequantized to F32: a I8 [m, k] with aScale F32 [m]; b I8 [n, k] when
     * {@code bIsNK} (torch's weight layout) or [k, n], with bScale F32 [n]; bias F32 [n] or null.
     * Returns F32 [m, n] = (a·b)·aScale[i]·bScale[j] + bias[j], summed exactly in int32.
     */
    public static Tensor int8Matmul(Tensor a, Tensor aScale, Tensor b, boolean bIsNK, Tensor bScale, Tensor bias) {
        if (a == null || aScale == null || b == null || bScale == null) {
            throw new IllegalArgumentException("int8Matmul: a, aScale, b and bScale must not be null");
        }
        for (Tensor t : new Tensor[] {a, aScale, b, bScale, bias}) {
            if (t != null) {
                t.checkOpen("int8Matmul");
                a.checkSameDevice("int8Matmul", t);
            }
        }
        if (a.rank() != 2 || a.dtype() != DType.I8 || b.rank() != 2 || b.dtype() != DType.I8) {
            throw new IllegalArgumentException("int8Matmul: a and b must be 2-D I8, got " + a.dtype() + " " + a.shape()
                    + " and " + b.dtype() + " " + b.shape());
        }
        int m = a.size(0);
        int k = a.size(1);
        int kb = bIsNK ? b.size(1) : b.size(0);
        int n = bIsNK ? b.size(0) : b.size(1);
        if (k != kb) {
            throw new IllegalArgumentException("int8Matmul: a " + a.shape() + " and b " + b.shape() + (bIsNK ? " ([n, k])"
                    : " ([k, n])") + " disagree on k: " + k + " != " + kb);
        }
        checkVector("aScale", aScale, m);
        checkVector("bScale", bScale, n);
        if (bias != null) {
            checkVector("bias", bias, n);
        }
        Tensor out = Tensor.empty(DType.F32, a.device(), Shape.of(m, n));
        try (Tensor ac = a.contiguous(); Tensor bc = b.contiguous(); Tensor asc = aScale.contiguous();
             Tensor bsc = bScale.contiguous(); Tensor biasc = bias == null ? null : bias.contiguous()) {
            a.backend().int8Gemm(ac, asc, bc, bIsNK, bsc, biasc, out);
        }
        return out;
    }

    private static void checkVector(String name, Tensor t, int n) {
        if (t.dtype() != DType.F32 || t.rank() != 1 || t.size(0) != n) {
            throw new IllegalArgumentException("int8Matmul: " + name + " must be F32 [" + n + "], got " + t.dtype() + " "
                    + t.shape());
        }
    }

    private static Tensor contiguousF32(Tensor x) {
        if (x.dtype() == DType.F32) {
            return x.contiguous();
        }
        return x.to(DType.F32);
    }
}
