package dev.kiln.serve.model;

/** Host-side softmax of logit rows, in double (as {@code kiln eval} computes it), rounded to float. */
public final class Softmax {
    private Softmax() {}

    /** Writes the softmax of {@code z[offset, offset + n)} into {@code out} at the same offset. */
    public static void row(float[] z, int offset, int n, float[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) {
            max = Math.max(max, z[offset + k]);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            p[k] = Math.exp(z[offset + k] - max);
            sum += p[k];
        }
        for (int k = 0; k < n; k++) {
            out[offset + k] = (float) (p[k] / sum);
        }
    }
}
