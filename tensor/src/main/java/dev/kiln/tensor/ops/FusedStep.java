package dev.kiln.tensor.ops;

/**
 * The scalars of one fused, in-place optimizer update ({@link dev.kiln.tensor.backend.Backend#sgdStep}
 * and its siblings): everything the kernel needs besides the tensors, already reduced to what
 * torch's single-tensor kernels compute per step (bias corrections, decayed learning rates), so a
 * backend only runs arithmetic. The formulas are those of {@code dev.kiln.tensor.kernels.cpu.OptimizerKernels},
 * which every backend must reproduce operation by operation (including fused multiply-adds).
 */
public sealed interface FusedStep {
    /**
     * SGD: {@code d = fma(weightDecay, p, g)}; with a momentum buffer, {@code buf = d} on the
     * first step, else {@code fma(1 - dampening, d, buf * momentum)}, and {@code d = nesterov ?
     * fma(momentum, buf, d) : buf}; {@code p = fma(-lr, d, p)}.
     */
    record Sgd(float lr, float weightDecay, float momentum, double dampening, boolean nesterov, boolean firstStep)
            implements FusedStep {}

    /**
     * Adam / AdamW: moments {@code m = fma(1-beta1, g, m*beta1)}, {@code v = fma((1-beta2) g, g,
     * v*beta2)}; {@code denom = sqrt(v or max(v)) / bc2Sqrt + eps}; {@code p += (-stepSize m) / denom}.
     * {@code coupledDecay} (Adam) is added to the gradient first, {@code decoupledScale} (AdamW,
     * {@code 1 - lr * weightDecay}) multiplies the parameter first; 0 and 1 switch them off.
     */
    record Adam(double beta1, double beta2, float eps, float stepSize, float bc2Sqrt, float coupledDecay,
                float decoupledScale) implements FusedStep {}

    /**
     * RMSprop: {@code sq = fma((1-alpha) d, d, sq*alpha)}; centered also tracks the mean gradient;
     * with a momentum buffer {@code buf = buf*momentum + d / avg, p = fma(-lr, buf, p)}, else
     * {@code p += (-lr d) / avg}.
     */
    record Rmsprop(float lr, double alpha, float eps, float weightDecay, float momentum) implements FusedStep {}

    /** Adagrad: {@code d = fma(wd, p, g); sum = fma(d, d, sum); p += (-clr d) / (sqrt(sum) + eps)}. */
    record Adagrad(float clr, float eps, float weightDecay) implements FusedStep {}
}
