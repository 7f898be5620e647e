package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;

/** Fused normalization ops, forward and backward side by side. */
final class NormOps {
    private NormOps() {}

    // y = layerNorm(x) over the trailing dims; saves x, the per-row mean and rstd, and the weight.
    // dx, dweight, dbias from the fused backward kernel (see LayerNormKernels for the formulas).
    static Var layerNorm(Var x, int normalizedDims, Var weight, Var bias, double eps) {
        Tensor xv = x.value();
        Tensor w = weight == null ? null : weight.value();
        Tensor b = bias == null ? null : bias.value();
        Tensor.LayerNorm r = xv.layerNorm(normalizedDims, w, b, eps);
        Tensor mean = r.mean();
        Tensor rstd = r.rstd();
        Backward back = g -> {
            Tensor[] grads = Tensor.layerNormBackward(g, xv, normalizedDims, w, mean, rstd,
                    weight != null && weight.requiresGrad(), bias != null && bias.requiresGrad());
            Tensor dw = grads[1] == null ? null : grads[1].reshape(w.shape().toArray());
            Tensor db = grads[2] == null ? null : grads[2].reshape(b.shape().toArray());
            if (weight == null) {
                return bias == null ? new Tensor[] {grads[0]} : new Tensor[] {grads[0], db};
            }
            return bias == null ? new Tensor[] {grads[0], dw} : new Tensor[] {grads[0], dw, db};
        };
        if (weight == null && bias == null) {
            return Var.op("layerNorm", r.output(), back, x);
        }
        if (weight == null) {
            return Var.op("layerNorm", r.output(), back, x, bias);
        }
        return bias == null ? Var.op("layerNorm", r.output(), back, x, weight) : Var.op("layerNorm", r.output(), back, x, weight, bias);
    }
}
