package dev.kiln.tensor.cpu;

import static dev.kiln.tensor.cpu.CpuTensors.storage;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.kernels.cpu.FlashAttentionKernels;

/** Fused scaled-dot-product attention (F32) and its backward through {@link FlashAttentionKernels}, on contiguous copies. */
final class CpuAttention {
    private CpuAttention() {}

    static void attentionForward(Tensor q, Tensor k, Tensor v, Tensor keyPadding, boolean causal, double scale,
                                 Tensor out, Tensor lse) {
        try (Tensor qc = q.contiguous(); Tensor kc = k.contiguous(); Tensor vc = v.contiguous();
             Tensor pad = keyPadding == null ? null : keyPadding.contiguous()) {
            FlashAttentionKernels.forward(attentionGeometry(qc, kc, pad, causal, scale),
                    slab(qc), slab(kc), slab(vc), slab(out), slab(lse));
        }
    }

    static void attentionBackward(Tensor gradOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse,
                                  Tensor keyPadding, boolean causal, double scale,
                                  Tensor gradQ, Tensor gradK, Tensor gradV) {
        try (Tensor qc = q.contiguous(); Tensor kc = k.contiguous(); Tensor vc = v.contiguous();
             Tensor oc = out.contiguous(); Tensor lc = lse.contiguous(); Tensor gc = gradOut.contiguous();
             Tensor pad = keyPadding == null ? null : keyPadding.contiguous()) {
            FlashAttentionKernels.backward(attentionGeometry(qc, kc, pad, causal, scale),
                    slab(qc), slab(kc), slab(vc), slab(oc), slab(lc), slab(gc), slab(gradQ), slab(gradK), slab(gradV));
        }
    }

    private static FlashAttentionKernels.Geometry attentionGeometry(Tensor q, Tensor k, Tensor pad, boolean causal,
                                                                    double scale) {
        return new FlashAttentionKernels.Geometry(q.size(0), q.size(1), k.size(1), q.size(2), k.size(2), q.size(3),
                causal, (float) scale, pad == null ? null : storage(pad).bytes(), pad == null ? 0 : pad.offset());
    }

    private static FlashAttentionKernels.Slab slab(Tensor t) {
        return new FlashAttentionKernels.Slab(storage(t).floats(), t.offset());
    }
}
