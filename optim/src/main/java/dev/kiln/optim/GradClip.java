package dev.kiln.optim;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TrainingOps;
import java.util.List;

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
        double sumSquares = 0;
        // One F64 scalar per gradient, summed on the host in parameter order: the only host traffic
        // is one number per tensor, never a gradient.
        for (Var p : params) {
            if (p.grad() != null) {
                try (Tensor ss = TrainingOps.sumOfSquares(p.grad())) {
                    sumSquares += ss.item();
                }
            }
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
