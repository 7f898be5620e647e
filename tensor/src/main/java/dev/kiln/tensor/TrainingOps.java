package dev.kiln.tensor;

import dev.kiln.tensor.ops.FusedStep;

/**
 * The in-place, fused operations an optimizer step is made of (torch's {@code _fused_adam_},
 * {@code _foreach_norm} and {@code _amp_foreach_non_finite_check_and_unscale_}): each checks its
 * tensors, then runs as one backend kernel on the tensors' device, so an optimizer, a gradient
 * clipper or a loss scaler never reaches into a device's memory and never copies a tensor to the
 * host. Every method that writes a tensor bumps its storage version, as any in-place op does.
 */
public final class TrainingOps {
    private TrainingOps() {}

    /** One SGD update of {@code param} in place; {@code momentumBuffer} is null without momentum. */
    public static void sgd(FusedStep.Sgd step, Tensor param, Tensor grad, Tensor momentumBuffer) {
        check("sgd", param, grad, momentumBuffer);
        param.backend().sgdStep(step, param, grad, momentumBuffer);
        bump(param, momentumBuffer);
    }

    /** One Adam/AdamW update in place; {@code maxExpAvgSq} is null unless AMSGrad. */
    public static void adam(FusedStep.Adam step, Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq,
                            Tensor maxExpAvgSq) {
        check("adam", param, grad, expAvg, expAvgSq, maxExpAvgSq);
        param.backend().adamStep(step, param, grad, expAvg, expAvgSq, maxExpAvgSq);
        bump(param, expAvg, expAvgSq, maxExpAvgSq);
    }

    /** One RMSprop update in place; {@code gradAvg} (centered) and {@code momentumBuffer} may be null. */
    public static void rmsprop(FusedStep.Rmsprop step, Tensor param, Tensor grad, Tensor squareAvg, Tensor gradAvg,
                               Tensor momentumBuffer) {
        check("rmsprop", param, grad, squareAvg, gradAvg, momentumBuffer);
        param.backend().rmspropStep(step, param, grad, squareAvg, gradAvg, momentumBuffer);
        bump(param, squareAvg, gradAvg, momentumBuffer);
    }

    /** One Adagrad update in place. */
    public static void adagrad(FusedStep.Adagrad step, Tensor param, Tensor grad, Tensor sum) {
        check("adagrad", param, grad, sum);
        param.backend().adagradStep(step, param, grad, sum);
        bump(param, sum);
    }

    /**
     * The sum of the squares of {@code t}'s elements as an F64 scalar tensor on t's device,
     * accumulated in double (t may be any floating dtype and any view).
     */
    public static Tensor sumOfSquares(Tensor t) {
        t.checkOpen("sumOfSquares");
        if (!t.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("sumOfSquares: tensor must be floating point, got " + t.dtype());
        }
        Tensor out = Tensor.empty(DType.F64, t.device(), Shape.of());
        t.backend().sumOfSquares(t, out);
        return out;
    }

    /**
     * Multiplies {@code t} by {@code scale} in place and sets {@code foundNonFinite} (an F32
     * one-element tensor on t's device) to 1 when any result is inf or NaN; it is left unchanged
     * otherwise, so one flag collects many tensors and the caller reads it once.
     */
    public static void scaleAndCheckFinite(Tensor t, double scale, Tensor foundNonFinite) {
        t.checkOpen("scaleAndCheckFinite");
        foundNonFinite.checkOpen("scaleAndCheckFinite");
        if (!t.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("scaleAndCheckFinite: tensor must be floating point, got " + t.dtype());
        }
        if (foundNonFinite.dtype() != DType.F32 || foundNonFinite.numel() != 1) {
            throw new IllegalArgumentException("scaleAndCheckFinite: the flag must be a one-element F32 tensor, got "
                    + foundNonFinite.dtype() + " " + foundNonFinite.shape());
        }
        sameDevice("scaleAndCheckFinite", t, foundNonFinite);
        if (t.isContiguous()) {
            t.backend().scaleAndCheckFinite(t, scale, foundNonFinite);
        } else {
            try (Tensor c = t.contiguous()) {
                t.backend().scaleAndCheckFinite(c, scale, foundNonFinite);
                t.copyFrom(c);
            }
        }
        t.storage().bumpVersion();
    }

    private static void check(String op, Tensor param, Tensor grad, Tensor... state) {
        requireF32("param", op, param, param);
        requireF32("grad", op, grad, param);
        for (Tensor s : state) {
            if (s != null) {
                requireF32("state", op, s, param);
            }
        }
    }

    private static void requireF32(String what, String op, Tensor t, Tensor param) {
        t.checkOpen(op);
        if (t.dtype() != DType.F32 || !t.isContiguous()) {
            throw new IllegalArgumentException(op + ": the " + what + " must be a contiguous F32 tensor, got " + t.dtype()
                    + (t.isContiguous() ? "" : " (non-contiguous)")
                    + "; keep F32 master weights (see the mixed-precision support) for half-precision models");
        }
        if (t.numel() != param.numel()) {
            throw new IllegalArgumentException(op + ": the " + what + " has " + t.numel() + " elements (shape " + t.shape()
                    + ") but the parameter has " + param.numel() + " (shape " + param.shape() + ")");
        }
        sameDevice(op, param, t);
    }

    private static void sameDevice(String op, Tensor a, Tensor b) {
        if (!a.device().equals(b.device())) {
            throw new IllegalArgumentException(op + ": tensors are on different devices: " + a.device() + " and " + b.device());
        }
    }

    private static void bump(Tensor param, Tensor... state) {
        param.storage().bumpVersion();
        for (Tensor s : state) {
            if (s != null) {
                s.storage().bumpVersion();
            }
        }
    }
}
