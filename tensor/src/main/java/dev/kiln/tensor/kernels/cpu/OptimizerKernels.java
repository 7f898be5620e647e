package dev.kiln.tensor.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One-pass optimizer updates over F32 arrays: each reads the parameter, its gradient and its
 * state once and writes them back once, instead of the five or six full passes (and temporaries)
 * the same update costs as separate tensor ops. Callers split large parameters into ranges across
 * threads; every index is independent. Every array has its own start offset (views into larger
 * buffers are fine); index {@code i} of a range is element {@code offset + i} of each array.
 *
 * <p>The arithmetic follows PyTorch's single-tensor implementations operation by operation,
 * including where its kernels fuse a multiply-add ({@code add_(x, alpha)} and {@code addcmul_}
 * are FMAs on CPU; {@code addcdiv_(a, b, value)} is {@code (value * a) / b}), so float32 results
 * agree with torch's to the bit in the common case rather than drifting by association order.
 */
public final class OptimizerKernels {
    private static final VectorSpecies<Float> S = FloatSpecies.PREFERRED;

    private OptimizerKernels() {}

    /**
     * Adam / AdamW over [from, to), in torch's float32 operation order (checked bit for bit against
     * torch 1.13 on CPU): {@code m = fma(1-b1, g, m*b1)}, {@code v = fma((1-b2)*g, g, v*b2)},
     * {@code denom = sqrt(v') / bc2Sqrt + eps} (v' = running max of v when {@code vmax} is not
     * null: AMSGrad), {@code p = p + (-stepSize * m) / denom}. Weight decay: coupled (Adam) makes
     * {@code g = fma(wd, p, g)} first; decoupled (AdamW) multiplies p by {@code 1 - lr*wd} first.
     */
    public static void adam(float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, float[] vmax, int xo,
                            int from, int to,
                            double beta1, double beta2, float eps, float stepSize, float bc2Sqrt,
                            float coupledDecay, float decoupledScale) {
        // Scalars as torch passes them: computed in double by Python, rounded to float by the kernel.
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float ob1 = (float) (1 - beta1);
        float ob2 = (float) (1 - beta2);
        float negStep = -stepSize;
        int i = from;
        if (vmax == null) {
            int bound = from + S.loopBound(to - from);
            for (; i < bound; i += S.length()) {
                FloatVector pv = FloatVector.fromArray(S, p, po + i);
                FloatVector gv = FloatVector.fromArray(S, g, go + i);
                if (coupledDecay != 0) {
                    gv = pv.fma(FloatVector.broadcast(S, coupledDecay), gv);
                }
                if (decoupledScale != 1) {
                    pv = pv.mul(decoupledScale);
                }
                FloatVector mv = gv.fma(FloatVector.broadcast(S, ob1), FloatVector.fromArray(S, m, mo + i).mul(b1));
                FloatVector vv = gv.mul(ob2).fma(gv, FloatVector.fromArray(S, v, vo + i).mul(b2));
                FloatVector denom = vv.lanewise(VectorOperators.SQRT).div(bc2Sqrt).add(eps);
                mv.intoArray(m, mo + i);
                vv.intoArray(v, vo + i);
                pv.add(mv.mul(negStep).div(denom)).intoArray(p, po + i);
            }
        }
        for (; i < to; i++) {
            float pi = p[po + i];
            float gi = g[go + i];
            if (coupledDecay != 0) {
                gi = Math.fma(coupledDecay, pi, gi);
            }
            if (decoupledScale != 1) {
                pi = pi * decoupledScale;
            }
            float mi = Math.fma(ob1, gi, m[mo + i] * b1);
            float vi = Math.fma(ob2 * gi, gi, v[vo + i] * b2);
            m[mo + i] = mi;
            v[vo + i] = vi;
            float vUse = vi;
            if (vmax != null) {
                vUse = Math.max(vmax[xo + i], vi);
                vmax[xo + i] = vUse;
            }
            float denom = (float) Math.sqrt(vUse) / bc2Sqrt + eps;
            p[po + i] = pi + negStep * mi / denom;
        }
    }

    /**
     * SGD over [from, to), torch's order: {@code d = fma(wd, p, g)}; with momentum,
     * {@code buf = d} on the first step else {@code buf = fma(1 - dampening, d, buf*mu)}, and
     * {@code d = nesterov ? fma(mu, buf, d) : buf}; {@code p = fma(-lr, d, p)}. {@code buf} is null
     * without momentum.
     */
    public static void sgd(float[] p, int po, float[] g, int go, float[] buf, int bo, int from, int to, float lr, float wd,
                           float momentum, double dampening, boolean nesterov, boolean firstStep) {
        float keep = (float) (1 - dampening);
        for (int i = from; i < to; i++) {
            float d = g[go + i];
            if (wd != 0) {
                d = Math.fma(wd, p[po + i], d);
            }
            if (buf != null) {
                float b = firstStep ? d : Math.fma(keep, d, buf[bo + i] * momentum);
                buf[bo + i] = b;
                d = nesterov ? Math.fma(momentum, b, d) : b;
            }
            p[po + i] = Math.fma(-lr, d, p[po + i]);
        }
    }

    /**
     * RMSprop over [from, to), torch's order: {@code sq = fma((1-alpha) d, d, sq*alpha)}; centered
     * also tracks {@code ga = fma(1-alpha, d, ga*alpha)} and uses {@code sqrt(fma(-ga, ga, sq)) + eps},
     * else {@code sqrt(sq) + eps}; with momentum {@code buf = buf*mu + d / avg; p = fma(-lr, buf, p)},
     * else {@code p = p + (-lr d) / avg}.
     */
    public static void rmsprop(float[] p, int po, float[] g, int go, float[] sq, int so, float[] gradAvg, int ao, float[] buf, int bo,
                               int from, int to,
                               float lr, double alpha, float eps, float wd, float momentum) {
        float oneMinus = (float) (1 - alpha);
        float a32 = (float) alpha;
        for (int i = from; i < to; i++) {
            float d = g[go + i];
            if (wd != 0) {
                d = Math.fma(wd, p[po + i], d);
            }
            float s = Math.fma(oneMinus * d, d, sq[so + i] * a32);
            sq[so + i] = s;
            float avg;
            if (gradAvg != null) {
                float a = Math.fma(oneMinus, d, gradAvg[ao + i] * a32);
                gradAvg[ao + i] = a;
                avg = (float) Math.sqrt(Math.fma(-a, a, s)) + eps;
            } else {
                avg = (float) Math.sqrt(s) + eps;
            }
            if (buf != null) {
                float b = buf[bo + i] * momentum + d / avg;
                buf[bo + i] = b;
                p[po + i] = Math.fma(-lr, b, p[po + i]);
            } else {
                p[po + i] = p[po + i] + -lr * d / avg;
            }
        }
    }

    /** Adagrad over [from, to), torch's order: {@code d = fma(wd, p, g); sum = fma(d, d, sum); p = p + (-clr d) / (sqrt(sum) + eps)}. */
    public static void adagrad(float[] p, int po, float[] g, int go, float[] sum, int so, int from, int to, float clr, float eps,
                               float wd) {
        for (int i = from; i < to; i++) {
            float d = g[go + i];
            if (wd != 0) {
                d = Math.fma(wd, p[po + i], d);
            }
            float s = Math.fma(d, d, sum[so + i]);
            sum[so + i] = s;
            p[po + i] = p[po + i] + -clr * d / ((float) Math.sqrt(s) + eps);
        }
    }
}
