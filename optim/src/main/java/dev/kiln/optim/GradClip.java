package dev.kiln.optim;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TrainingOps;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_), in place on the parameters' gradients. */
public final class GradClip {
    private GradClip() {}

    /**
     * Scales every gradient by {@code maxNorm / (norm + 1e-6)} when the global L2 norm over all
     * of them exceeds {@code maxNorm}. Returns the norm before clipping (Infinity or NaN when a
     * gradient is not finite; gradients are then left as they are, for the caller to skip the step).
     */
    public static double clipGradNorm(List<Var> params, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("clipGradNorm: maxNorm must be positive, got " + maxNorm);
        }
        // Sums of squares add up on each gradient's device, one F64 scalar each, and are read once
        // per device: no gradient and no per-tensor number crosses to the host.
        Map<Device, Tensor> totals = new LinkedHashMap<>();
        double sumSquares = 0;
        try {
            for (Var p : params) {
                if (p.grad() != null) {
                    Tensor ss = TrainingOps.sumOfSquares(p.grad());
                    Tensor before = totals.put(ss.device(), ss);
                    if (before != null) {
                        totals.put(ss.device(), before.add(ss));
                        before.close();
                        ss.close();
                    }
                }
            }
            for (Tensor t : totals.values()) {
                sumSquares += t.item();
            }
        } finally {
            totals.values().forEach(Tensor::close);
        }
        double norm = Math.sqrt(sumSquares);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) {
            for (Var p : params) {
                if (p.grad() != null) {
                    try (Tensor flag = Tensor.empty(DType.F32, p.grad().device(), Shape.of(1))) {
                        TrainingOps.scaleAndCheckFinite(p.grad(), coef, flag); // the flag is unused: the norm was finite
                    }
                }
            }
        }
        return norm;
    }

    /** Clamps every gradient element to [-clipValue, clipValue]. */
    public static void clipGradValue(List<Var> params, double clipValue) {
        if (!(clipValue > 0)) {
            throw new IllegalArgumentException("clipGradValue: clipValue must be positive, got " + clipValue);
        }
        for (Var p : params) {
            if (p.grad() != null) {
                try (Tensor c = p.grad().clamp(-clipValue, clipValue)) {
                    p.grad().copyFrom(c);
                }
            }
        }
    }
}
