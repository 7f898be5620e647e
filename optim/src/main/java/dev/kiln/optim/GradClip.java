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

    /** {@link #clipGradNorm(List, double, double, boolean)} with the L2 norm, non-finite norms allowed. */
    public static double clipGradNorm(List<Var> params, double maxNorm) {
        return clipGradNorm(params, maxNorm, 2, false);
    }

    /**
     * torch.nn.utils.clip_grad_norm_: the norm of order {@code normType} (any p > 0, or
     * {@code Double.POSITIVE_INFINITY} for the largest |element|) over all gradients together, as
     * if they were one vector; when it exceeds {@code maxNorm} every gradient is scaled by
     * {@code maxNorm / (norm + 1e-6)}. Returns the norm before clipping.
     *
     * <p>A non-finite norm (an Inf or NaN gradient) throws with {@code errorIfNonfinite}; otherwise
     * it is returned and the gradients are left as they are, for the caller (the loss scaler, the
     * trainer) to skip the step. torch would scale them by 0 or NaN instead.
     *
     * @throws IllegalArgumentException when maxNorm or normType is not positive
     * @throws IllegalStateException when {@code errorIfNonfinite} and the total norm is not finite
     */
    public static double clipGradNorm(List<Var> params, double maxNorm, double normType, boolean errorIfNonfinite) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("clipGradNorm: maxNorm must be positive, got " + maxNorm);
        }
        if (!(normType > 0)) {
            throw new IllegalArgumentException("clipGradNorm: normType must be > 0 (or Infinity), got " + normType);
        }
        double norm = totalNorm(params, normType);
        if (errorIfNonfinite && !Double.isFinite(norm)) {
            throw new IllegalStateException("clipGradNorm: the total norm of order " + normType + " of the gradients is "
                    + norm + ", so they cannot be clipped; pass errorIfNonfinite = false to get the norm back and the"
                    + " gradients unchanged");
        }
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1 && Double.isFinite(norm)) { // an infinite norm would give coef 0 and turn Inf elements into NaN
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

    /**
     * The norm of order {@code p} of all gradients: each gradient's partial result (sum of |g|^p, or
     * max |g|) stays on its device as one F64 scalar, partials add up (or max) per device, and only
     * one number per device is read: no gradient crosses to the host.
     */
    private static double totalNorm(List<Var> params, double p) {
        boolean inf = p == Double.POSITIVE_INFINITY;
        Map<Device, Tensor> totals = new LinkedHashMap<>();
        double total = 0;
        try {
            for (Var v : params) {
                if (v.grad() == null) {
                    continue;
                }
                Tensor part = partial(v.grad(), p);
                Tensor before = totals.put(part.device(), part);
                if (before != null) {
                    totals.put(part.device(), inf ? before.maximum(part) : before.add(part));
                    before.close();
                    part.close();
                }
            }
            for (Tensor t : totals.values()) {
                double x = t.item();
                total = inf ? Math.max(total, x) : total + x; // Math.max keeps a NaN, as torch's max does
            }
        } finally {
            totals.values().forEach(Tensor::close);
        }
        return inf ? total : p == 2 ? Math.sqrt(total) : p == 1 ? total : Math.pow(total, 1 / p);
    }

    /** sum(|g|^p) (max |g| for p = Infinity) of one gradient, as an F64 scalar on its device. */
    private static Tensor partial(Tensor g, double p) {
        if (p == 2) {
            return TrainingOps.sumOfSquares(g); // the fused kernel every backend has
        }
        try (Tensor wide = g.to(DType.F64); Tensor abs = wide.abs()) {
            if (p == Double.POSITIVE_INFINITY) {
                return abs.max();
            }
            if (p == 1) {
                return abs.sum();
            }
            try (Tensor pow = abs.pow(p)) {
                return pow.sum();
            }
        }
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
