package dev.kiln.tensor.cpu;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.kernels.cpu.CpuParallel;
import dev.kiln.tensor.kernels.cpu.OptimizerKernels;
import dev.kiln.tensor.ops.FusedStep;
import dev.kiln.tensor.storage.CpuStorage;

/**
 * The CPU side of the training operations of {@link dev.kiln.tensor.backend.Backend}: fused
 * optimizer updates (split across the kernel pool for large parameters; every index is
 * independent, so the result does not depend on the split), the per-tensor sum of squares for
 * gradient clipping and the unscale-and-check of dynamic loss scaling.
 */
final class CpuTraining {
    /** Elements below which an update runs on the calling thread. */
    private static final int GRAIN = 1 << 16;

    private CpuTraining() {}

    private static float[] f(Tensor t) {
        return t == null ? null : ((CpuStorage) t.storage()).floats();
    }

    private static int off(Tensor t) {
        return t == null ? 0 : t.offset();
    }

    static void sgd(FusedStep.Sgd s, Tensor p, Tensor g, Tensor buf) {
        float[] pa = f(p), ga = f(g), ba = f(buf);
        int po = p.offset(), go = g.offset(), bo = off(buf);
        CpuParallel.forRange(p.numel(), GRAIN, (from, to) -> OptimizerKernels.sgd(pa, po, ga, go, ba, bo, from, to, s.lr(),
                s.weightDecay(), s.momentum(), s.dampening(), s.nesterov(), s.firstStep()));
    }

    static void adam(FusedStep.Adam s, Tensor p, Tensor g, Tensor m, Tensor v, Tensor vmax) {
        float[] pa = f(p), ga = f(g), ma = f(m), va = f(v), xa = f(vmax);
        int po = p.offset(), go = g.offset(), mo = m.offset(), vo = v.offset(), xo = off(vmax);
        CpuParallel.forRange(p.numel(), GRAIN, (from, to) -> OptimizerKernels.adam(pa, po, ga, go, ma, mo, va, vo, xa, xo,
                from, to, s.beta1(), s.beta2(), s.eps(), s.stepSize(), s.bc2Sqrt(), s.coupledDecay(), s.decoupledScale()));
    }

    static void rmsprop(FusedStep.Rmsprop s, Tensor p, Tensor g, Tensor sq, Tensor avg, Tensor buf) {
        float[] pa = f(p), ga = f(g), sa = f(sq), aa = f(avg), ba = f(buf);
        int po = p.offset(), go = g.offset(), so = sq.offset(), ao = off(avg), bo = off(buf);
        CpuParallel.forRange(p.numel(), GRAIN, (from, to) -> OptimizerKernels.rmsprop(pa, po, ga, go, sa, so, aa, ao, ba, bo,
                from, to, s.lr(), s.alpha(), s.eps(), s.weightDecay(), s.momentum()));
    }

    static void adagrad(FusedStep.Adagrad s, Tensor p, Tensor g, Tensor sum) {
        float[] pa = f(p), ga = f(g), sa = f(sum);
        int po = p.offset(), go = g.offset(), so = sum.offset();
        CpuParallel.forRange(p.numel(), GRAIN, (from, to) -> OptimizerKernels.adagrad(pa, po, ga, go, sa, so, from, to, s.clr(),
                s.eps(), s.weightDecay()));
    }

    /** Sequential double accumulation in element order, so the result is the same at any thread count. */
    static void sumOfSquares(Tensor in, Tensor out) {
        double sum = 0;
        if (in.numel() > 0) {
            if (in.dtype() == DType.F32 && in.isContiguous()) {
                float[] a = f(in);
                for (int i = in.offset(), end = in.offset() + in.numel(); i < end; i++) {
                    double v = a[i];
                    sum += v * v;
                }
            } else {
                try (Tensor c = in.contiguous()) {
                    CpuStorage s = (CpuStorage) c.storage();
                    for (int i = c.offset(), end = c.offset() + c.numel(); i < end; i++) {
                        double v = s.getDouble(i);
                        sum += v * v;
                    }
                }
            }
        }
        ((CpuStorage) out.storage()).setDouble(out.offset(), sum);
    }

    static void scaleAndCheckFinite(Tensor t, double scale, Tensor foundNonFinite) {
        boolean bad = false;
        CpuStorage s = (CpuStorage) t.storage();
        int from = t.offset(), to = t.offset() + t.numel();
        if (t.dtype() == DType.F32) {
            float[] a = s.floats();
            float k = (float) scale;
            for (int i = from; i < to; i++) {
                float v = a[i] * k;
                a[i] = v;
                bad |= !Float.isFinite(v);
            }
        } else {
            for (int i = from; i < to; i++) {
                s.setDouble(i, s.getDouble(i) * scale);
                bad |= !Double.isFinite(s.getDouble(i));
            }
        }
        if (bad) {
            ((CpuStorage) foundNonFinite.storage()).setDouble(foundNonFinite.offset(), 1);
        }
    }
}
