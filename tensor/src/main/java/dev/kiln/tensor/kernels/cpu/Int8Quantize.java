package dev.kiln.tensor.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Symmetric int8 quantization of the rows of a row-major F32 matrix, the dynamic activation half of
 * the int8 GEMM: per row {@code scale = max|x| / 127} and {@code q = clamp(rint(x · (1/scale)), −127, 127)}
 * (round half to even, as torch's {@code quantize_per_tensor}); an all-zero row gets scale 0 and
 * zeros. −128 is never produced, so the range is symmetric and {@code q·scale} errs by at most
 * {@code scale/2} per element.
 *
 * <p>{@link #quantizeRowsWithScale} is the static half: one scale fixed ahead of time (from a
 * calibration set) for every row, so values beyond {@code 127·scale} saturate at ±127.
 */
public final class Int8Quantize {
    private static final VectorSpecies<Float> F = FloatSpecies.PREFERRED;

    private Int8Quantize() {}

    /**
     * Quantizes {@code rows} rows of {@code cols} floats ({@code x[xOff + r*cols + c]}) into
     * {@code q[qOff + r*cols + c]} and {@code scales[sOff + r]}. Rows run in parallel.
     */
    public static void quantizeRows(int rows, int cols, float[] x, int xOff, byte[] q, int qOff, float[] scales,
                                    int sOff) {
        int grain = Math.max(1, (1 << 14) / Math.max(1, cols));
        CpuParallel.forRange(rows, grain, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                quantizeRow(cols, x, xOff + r * cols, q, qOff + r * cols, scales, sOff + r);
            }
        });
    }

    /**
     * Quantizes {@code rows × cols} floats with the one fixed {@code scale} (≥ 0, finite):
     * {@code q = clamp(rint(x · (1/scale)), −127, 127)}, 0 everywhere when scale is 0; every
     * {@code scales[sOff + r]} is set to {@code scale} so the GEMM's epilogue is the dynamic one.
     */
    public static void quantizeRowsWithScale(int rows, int cols, float[] x, int xOff, float scale, byte[] q, int qOff,
                                             float[] scales, int sOff) {
        float inv = scale == 0f ? 0f : 1f / scale;
        java.util.Arrays.fill(scales, sOff, sOff + rows, scale);
        int grain = Math.max(1, (1 << 14) / Math.max(1, cols));
        CpuParallel.forRange(rows, grain, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                round(cols, x, xOff + r * cols, inv, q, qOff + r * cols);
            }
        });
    }

    private static void quantizeRow(int cols, float[] x, int x0, byte[] q, int q0, float[] scales, int s) {
        int cv = F.loopBound(cols);
        FloatVector maxV = FloatVector.zero(F);
        for (int c = 0; c < cv; c += F.length()) {
            maxV = maxV.max(FloatVector.fromArray(F, x, x0 + c).abs());
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (int c = cv; c < cols; c++) {
            max = Math.max(max, Math.abs(x[x0 + c]));
        }
        float scale = max / 127f;
        scales[s] = scale;
        // A NaN row gives scale NaN; its products become NaN in the dequantized output, as in F32.
        round(cols, x, x0, scale == 0f ? 0f : 1f / scale, q, q0);
    }

    private static void round(int cols, float[] x, int x0, float inv, byte[] q, int q0) {
        for (int c = 0; c < cols; c++) {
            float v = (float) Math.rint(x[x0 + c] * inv);
            q[q0 + c] = (byte) Math.max(-127f, Math.min(127f, v));
        }
    }
}
