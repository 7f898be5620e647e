package dev.kiln.tensor.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Layer normalization over rows of length d, forward and backward side by side (llm.c's
 * layernorm_forward/backward): one pass for the statistics and one for the output, instead of the
 * eight elementwise ops and five saved tensors of the composite form.
 *
 * <pre>
 *   forward:  mean = Σx/d,  rstd = 1/sqrt(Σ(x-mean)²/d + eps),  xhat = (x-mean)·rstd,  y = xhat·w + b
 *   backward: dxhat = dy·w;  dx = rstd·(dxhat - mean(dxhat) - xhat·mean(dxhat·xhat));
 *             dw += Σ_rows dy·xhat;  db += Σ_rows dy
 * </pre>
 * Sums accumulate in float lanes and are added left to right (the variance is two-pass, not
 * E[x²]-E[x]², so it does not cancel).
 */
public final class LayerNormKernels {
    private static final VectorSpecies<Float> S = FloatSpecies.PREFERRED;

    private LayerNormKernels() {}

    /** Rows [from, to) of x (row r at xo + r*d) into y; w and b may be null (1 and 0); mean/rstd per row. */
    public static void forward(float[] x, int xo, float[] w, int wo, float[] b, int bo, float eps, int d, int from, int to,
                               float[] y, int yo, float[] mean, float[] rstd) {
        for (int r = from; r < to; r++) {
            int base = xo + r * d;
            float m = sum(x, base, d) / d;
            float v = sumSquaredDeviation(x, base, d, m) / d;
            float rs = (float) (1 / Math.sqrt(v + eps));
            mean[r] = m;
            rstd[r] = rs;
            int out = yo + r * d;
            int i = 0;
            int bound = S.loopBound(d);
            for (; i < bound; i += S.length()) {
                FloatVector xh = FloatVector.fromArray(S, x, base + i).sub(m).mul(rs);
                if (w != null) {
                    xh = xh.mul(FloatVector.fromArray(S, w, wo + i));
                }
                if (b != null) {
                    xh = xh.add(FloatVector.fromArray(S, b, bo + i));
                }
                xh.intoArray(y, out + i);
            }
            for (; i < d; i++) {
                float xh = (x[base + i] - m) * rs;
                if (w != null) {
                    xh *= w[wo + i];
                }
                if (b != null) {
                    xh += b[bo + i];
                }
                y[out + i] = xh;
            }
        }
    }

    /**
     * Rows [from, to): dx for each row, and this range's contributions to dw and db added into
     * {@code dwAcc}/{@code dbAcc} (length d, owned by the caller's thread; null to skip).
     */
    public static void backward(float[] dy, int dyo, float[] x, int xo, float[] w, int wo, float[] mean, float[] rstd,
                                int d, int from, int to, float[] dx, int dxo, float[] dwAcc, float[] dbAcc) {
        for (int r = from; r < to; r++) {
            int gb = dyo + r * d;
            int xb = xo + r * d;
            float m = mean[r];
            float rs = rstd[r];
            // mean(dxhat) and mean(dxhat * xhat) over the row
            double sumD = 0;
            double sumDX = 0;
            for (int i = 0; i < d; i++) {
                float xhat = (x[xb + i] - m) * rs;
                float dxhat = w == null ? dy[gb + i] : dy[gb + i] * w[wo + i];
                sumD += dxhat;
                sumDX += dxhat * xhat;
                if (dwAcc != null) {
                    dwAcc[i] += dy[gb + i] * xhat;
                }
                if (dbAcc != null) {
                    dbAcc[i] += dy[gb + i];
                }
            }
            float meanD = (float) (sumD / d);
            float meanDX = (float) (sumDX / d);
            int ob = dxo + r * d;
            for (int i = 0; i < d; i++) {
                float xhat = (x[xb + i] - m) * rs;
                float dxhat = w == null ? dy[gb + i] : dy[gb + i] * w[wo + i];
                dx[ob + i] = rs * (dxhat - meanD - xhat * meanDX);
            }
        }
    }

    private static float sum(float[] x, int off, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        for (; i < bound; i += S.length()) {
            acc = acc.add(FloatVector.fromArray(S, x, off + i));
        }
        float s = VectorMath.sum(acc);
        for (; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    private static float sumSquaredDeviation(float[] x, int off, int n, float m) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        for (; i < bound; i += S.length()) {
            FloatVector dv = FloatVector.fromArray(S, x, off + i).sub(m);
            acc = dv.fma(dv, acc);
        }
        float s = VectorMath.sum(acc);
        for (; i < n; i++) {
            float dv = x[off + i] - m;
            s += dv * dv;
        }
        return s;
    }
}
