package dev.kiln.tensor.kernels.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Double-precision matrix product, one output row at a time: c[j] = Σ_p a[p]·b[p, j] with A's row
 * and B at arbitrary element strides (transposed, sliced, broadcast views need no copy).
 *
 * <p>Not a packed, register-blocked GEMM like {@link PackedGemm}: F64 serves gradient checks and
 * golden tests, where the products are small and exactness matters. Two loop orders, picked by
 * B's layout so the innermost loop walks memory with stride 1:
 * <ul>
 *   <li>B rows contiguous: c += a[p]·B[p, :] for p = 0, 1, ... (row "axpy"); the output row stays
 *       in L1 and each element sees the same operations in the same order at every vector width,
 *       so results are bit-identical across widths.
 *   <li>B columns contiguous (a transposed operand) and A's row contiguous: one dot product per
 *       output, vector lanes accumulating interleaved partial sums.
 *   <li>anything else: a plain strided dot product.
 * </ul>
 * Products are rounded before they are added (no FMA), matching a naive loop's arithmetic.
 */
public final class DoubleGemm {
    private static final VectorSpecies<Double> S = DoubleSpecies.PREFERRED;

    private DoubleGemm() {}

    /**
     * c[cOff + j] = Σ_{p&lt;k} a[aOff + p·aStep] · b[bOff + p·bRow + j·bCol] for j in [0, n).
     *
     * @param aStep stride between consecutive elements of A's row
     * @param bRow stride between B's rows (consecutive p)
     * @param bCol stride between B's columns (consecutive j)
     */
    public static void row(double[] a, int aOff, int aStep, double[] b, int bOff, int bRow, int bCol, int k, int n,
                           double[] c, int cOff) {
        if (bCol == 1) {
            axpyRow(a, aOff, aStep, b, bOff, bRow, k, n, c, cOff);
        } else if (bRow == 1 && aStep == 1) {
            for (int j = 0; j < n; j++) {
                c[cOff + j] = dot(a, aOff, b, bOff + j * bCol, k);
            }
        } else {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                int bj = bOff + j * bCol;
                for (int p = 0; p < k; p++) {
                    acc += a[aOff + p * aStep] * b[bj + p * bRow];
                }
                c[cOff + j] = acc;
            }
        }
    }

    private static void axpyRow(double[] a, int aOff, int aStep, double[] b, int bOff, int bRow, int k, int n,
                                double[] c, int cOff) {
        java.util.Arrays.fill(c, cOff, cOff + n, 0.0);
        int bound = S.loopBound(n);
        for (int p = 0; p < k; p++) {
            double ap = a[aOff + p * aStep];
            int bp = bOff + p * bRow;
            int j = 0;
            if (bound > 0) {
                DoubleVector va = DoubleVector.broadcast(S, ap);
                for (; j < bound; j += S.length()) {
                    DoubleVector.fromArray(S, c, cOff + j).add(va.mul(DoubleVector.fromArray(S, b, bp + j)))
                            .intoArray(c, cOff + j);
                }
            }
            for (; j < n; j++) {
                c[cOff + j] += ap * b[bp + j];
            }
        }
    }

    /** Σ x[xo + p]·y[yo + p] for p in [0, k). */
    static double dot(double[] x, int xo, double[] y, int yo, int k) {
        int p = 0;
        int bound = S.loopBound(k);
        double s = 0;
        if (bound > 0) {
            DoubleVector acc = DoubleVector.zero(S);
            for (; p < bound; p += S.length()) {
                acc = acc.add(DoubleVector.fromArray(S, x, xo + p).mul(DoubleVector.fromArray(S, y, yo + p)));
            }
            s = VectorMath.sum(acc);
        }
        for (; p < k; p++) {
            s += x[xo + p] * y[yo + p];
        }
        return s;
    }
}
