package dev.kiln.tensor.cpu;

import static dev.kiln.tensor.cpu.CpuTensors.rowGrain;
import static dev.kiln.tensor.cpu.CpuTensors.storage;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.kernels.cpu.CpuParallel;
import dev.kiln.tensor.kernels.cpu.LayerNormKernels;
import dev.kiln.tensor.kernels.cpu.LstmCellKernels;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Whole layers fused into one pass each, forward beside backward: layer norm and the elementwise
 * part of an LSTM step. All contiguous F32; rows are split across threads.
 */
final class CpuFusedLayers {
    private CpuFusedLayers() {}

    static void layerNorm(Tensor x, Tensor weight, Tensor bias, double eps, int d, Tensor y, Tensor mean, Tensor rstd) {
        int rows = mean.numel();
        float[] xs = storage(x).floats();
        float[] ws = weight == null ? null : storage(weight).floats();
        float[] bs = bias == null ? null : storage(bias).floats();
        float[] ys = storage(y).floats();
        float[] ms = storage(mean).floats();
        float[] rs = storage(rstd).floats();
        int xo = x.offset(), yo = y.offset();
        int wo = weight == null ? 0 : weight.offset();
        int bo = bias == null ? 0 : bias.offset();
        if (mean.offset() != 0 || rstd.offset() != 0) {
            throw new IllegalStateException("layerNorm: statistics tensors must start at offset 0");
        }
        CpuParallel.forRange(rows, rowGrain(d), (s, e) ->
                LayerNormKernels.forward(xs, xo, ws, wo, bs, bo, (float) eps, d, s, e, ys, yo, ms, rs));
    }

    static void layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd, int d, Tensor dx,
                                  Tensor dweight, Tensor dbias) {
        int rows = mean.numel();
        float[] gs = storage(dy).floats();
        float[] xs = storage(x).floats();
        float[] ws = weight == null ? null : storage(weight).floats();
        float[] ms = storage(mean).floats();
        float[] rs = storage(rstd).floats();
        float[] dxs = storage(dx).floats();
        int go = dy.offset(), xo = x.offset(), dxo = dx.offset();
        int wo = weight == null ? 0 : weight.offset();
        float[] dwTotal = dweight == null ? null : new float[d];
        float[] dbTotal = dbias == null ? null : new float[d];
        // Rows are split across threads, the parameter gradients are shared: each chunk sums dw/db
        // privately, and the partial sums are added in chunk order afterwards, not in the order the
        // threads finish, so a backward pass is bit-identical run to run.
        ConcurrentSkipListMap<Integer, float[][]> partials = new ConcurrentSkipListMap<>();
        CpuParallel.forRange(rows, rowGrain(d), (s, e) -> {
            float[] dwPart = dwTotal == null ? null : new float[d];
            float[] dbPart = dbTotal == null ? null : new float[d];
            LayerNormKernels.backward(gs, go, xs, xo, ws, wo, ms, rs, d, s, e, dxs, dxo, dwPart, dbPart);
            partials.put(s, new float[][] {dwPart, dbPart});
        });
        for (float[][] part : partials.values()) {
            for (int i = 0; i < d; i++) {
                if (part[0] != null) {
                    dwTotal[i] += part[0][i];
                }
                if (part[1] != null) {
                    dbTotal[i] += part[1][i];
                }
            }
        }
        if (dweight != null) {
            System.arraycopy(dwTotal, 0, storage(dweight).floats(), dweight.offset(), d);
        }
        if (dbias != null) {
            System.arraycopy(dbTotal, 0, storage(dbias).floats(), dbias.offset(), d);
        }
    }

    static void lstmCell(Tensor gates, Tensor c, Tensor hc) {
        int rows = c.size(0), hidden = c.size(1);
        float[] as = storage(gates).floats(), cs = storage(c).floats(), out = storage(hc).floats();
        int ao = gates.offset(), co = c.offset(), oo = hc.offset();
        CpuParallel.forRange(rows, rowGrain(8 * hidden), (s, e) ->
                LstmCellKernels.forward(as, ao, cs, co, hidden, s, e, out, oo));
    }

    static void lstmCellBackward(Tensor gates, Tensor c, Tensor hc, Tensor grad, Tensor dGates, Tensor dC) {
        int rows = c.size(0), hidden = c.size(1);
        float[] as = storage(gates).floats(), cs = storage(c).floats(), hs = storage(hc).floats(), gs = storage(grad).floats();
        float[] das = storage(dGates).floats(), dcs = storage(dC).floats();
        int ao = gates.offset(), co = c.offset(), ho = hc.offset(), go = grad.offset(), dao = dGates.offset(), dco = dC.offset();
        CpuParallel.forRange(rows, rowGrain(12 * hidden), (s, e) ->
                LstmCellKernels.backward(as, ao, cs, co, hs, ho, gs, go, hidden, s, e, das, dao, dcs, dco));
    }
}
