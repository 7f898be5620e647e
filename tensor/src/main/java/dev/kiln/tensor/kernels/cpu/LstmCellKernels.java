package dev.kiln.tensor.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The elementwise half of an LSTM step, forward and backward, over rows of F32 gate
 * pre-activations {@code a = [a_i, a_f, a_g, a_o]} (each H long, torch's gate order):
 *
 * <pre>
 * i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)
 * c' = f·c + i·g          h' = o·tanh(c')
 * </pre>
 *
 * Backward, for incoming gradients dh' and dc' (c' is an output too: the next step's state):
 *
 * <pre>
 * dc = dc' + dh'·o·(1 - tanh²(c'))
 * da_i = dc·g·i(1-i)   da_f = dc·c·f(1-f)   da_g = dc·i·(1-g²)   da_o = dh'·tanh(c')·o(1-o)
 * dc_prev = dc·f
 * </pre>
 *
 * The activations are recomputed from {@code a} in the backward rather than saved (four [N, H]
 * tensors per step): recomputing is a few vector ops, saving would be memory traffic and
 * allocation. One pass each way replaces the ~12 separate elementwise ops of the composite form.
 */
public final class LstmCellKernels {
    private static final VectorSpecies<Float> S = FloatSpecies.PREFERRED;

    private LstmCellKernels() {}

    /** Rows [r0, r1): hc[r] = [h' (H), c' (H)] from gates[r] (4H) and c[r] (H); all rows contiguous. */
    public static void forward(float[] a, int ao, float[] c, int co, int hidden, int r0, int r1, float[] hc, int hco) {
        int bound = S.loopBound(hidden);
        for (int r = r0; r < r1; r++) {
            int ar = ao + r * 4 * hidden, cr = co + r * hidden, out = hco + r * 2 * hidden;
            int j = 0;
            for (; j < bound; j += S.length()) {
                FloatVector i = sig(FloatVector.fromArray(S, a, ar + j));
                FloatVector f = sig(FloatVector.fromArray(S, a, ar + hidden + j));
                FloatVector g = VectorMath.tanh(FloatVector.fromArray(S, a, ar + 2 * hidden + j));
                FloatVector o = sig(FloatVector.fromArray(S, a, ar + 3 * hidden + j));
                FloatVector c2 = f.mul(FloatVector.fromArray(S, c, cr + j)).add(i.mul(g));
                o.mul(VectorMath.tanh(c2)).intoArray(hc, out + j);
                c2.intoArray(hc, out + hidden + j);
            }
            for (; j < hidden; j++) {
                float i = sig(a[ar + j]), f = sig(a[ar + hidden + j]);
                float g = (float) Math.tanh(a[ar + 2 * hidden + j]), o = sig(a[ar + 3 * hidden + j]);
                float c2 = f * c[cr + j] + i * g;
                hc[out + j] = o * (float) Math.tanh(c2);
                hc[out + hidden + j] = c2;
            }
        }
    }

    /**
     * Rows [r0, r1): dGates[r] (4H) and dC[r] (H) from gates[r], the previous state c[r], this
     * step's c'[r] (read from the forward output hc[r], second half) and the output gradient
     * grad[r] = [dh', dc'].
     */
    public static void backward(float[] a, int ao, float[] c, int co, float[] hc, int hco, float[] grad, int go, int hidden,
                                int r0, int r1, float[] da, int dao, float[] dc, int dco) {
        int bound = S.loopBound(hidden);
        for (int r = r0; r < r1; r++) {
            int ar = ao + r * 4 * hidden, cr = co + r * hidden, hr = hco + r * 2 * hidden, gr = go + r * 2 * hidden;
            int dar = dao + r * 4 * hidden, dcr = dco + r * hidden;
            int j = 0;
            for (; j < bound; j += S.length()) {
                FloatVector i = sig(FloatVector.fromArray(S, a, ar + j));
                FloatVector f = sig(FloatVector.fromArray(S, a, ar + hidden + j));
                FloatVector g = VectorMath.tanh(FloatVector.fromArray(S, a, ar + 2 * hidden + j));
                FloatVector o = sig(FloatVector.fromArray(S, a, ar + 3 * hidden + j));
                FloatVector tc = VectorMath.tanh(FloatVector.fromArray(S, hc, hr + hidden + j));
                FloatVector dh = FloatVector.fromArray(S, grad, gr + j);
                FloatVector dcNext = FloatVector.fromArray(S, grad, gr + hidden + j);
                FloatVector dcTotal = dh.mul(o).mul(tc.mul(tc).neg().add(1f)).add(dcNext);
                FloatVector cPrev = FloatVector.fromArray(S, c, cr + j);
                dcTotal.mul(g).mul(i).mul(i.neg().add(1f)).intoArray(da, dar + j);
                dcTotal.mul(cPrev).mul(f).mul(f.neg().add(1f)).intoArray(da, dar + hidden + j);
                dcTotal.mul(i).mul(g.mul(g).neg().add(1f)).intoArray(da, dar + 2 * hidden + j);
                dh.mul(tc).mul(o).mul(o.neg().add(1f)).intoArray(da, dar + 3 * hidden + j);
                dcTotal.mul(f).intoArray(dc, dcr + j);
            }
            for (; j < hidden; j++) {
                float i = sig(a[ar + j]), f = sig(a[ar + hidden + j]);
                float g = (float) Math.tanh(a[ar + 2 * hidden + j]), o = sig(a[ar + 3 * hidden + j]);
                float tc = (float) Math.tanh(hc[hr + hidden + j]);
                float dh = grad[gr + j];
                float dcTotal = dh * o * (1 - tc * tc) + grad[gr + hidden + j];
                da[dar + j] = dcTotal * g * i * (1 - i);
                da[dar + hidden + j] = dcTotal * c[cr + j] * f * (1 - f);
                da[dar + 2 * hidden + j] = dcTotal * i * (1 - g * g);
                da[dar + 3 * hidden + j] = dh * tc * o * (1 - o);
                dc[dcr + j] = dcTotal * f;
            }
        }
    }

    private static FloatVector sig(FloatVector a) {
        return VectorMath.sigmoid(a);
    }

    private static float sig(float a) {
        return (float) (1 / (1 + Math.exp(-a)));
    }
}
