package dev.kiln.optim;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TrainingOps;
import dev.kiln.tensor.ops.FusedStep;
import java.util.List;

/**
 * Adam (Kingma &amp; Ba) as torch.optim.Adam: bias-corrected first and second moments, the AMSGrad
 * option, weight decay added to the gradient (L2; see {@link AdamW} for decoupled decay), one
 * fused pass per parameter.
 *
 * <pre>{@code
 * Adam opt = Adam.builder(model.parameters()).lr(1e-3).betas(0.9, 0.999).eps(1e-8)
 *         .weightDecay(0).amsgrad(false).maximize(false).build();   // torch's defaults
 * }</pre>
 *
 * <p>Group hyper-parameters: lr, weight_decay, maximize, beta1, beta2, eps, amsgrad.
 */
public final class Adam extends Optimizer {
    private Adam(Builder b) {
        super(b.groups, b.defaults, Adam::checkGroup);
    }

    /** torch.optim.Adam(params, lr) with every other setting at torch's default. */
    public Adam(List<Var> params, double lr) {
        this(builder(params).lr(lr));
    }

    public static Builder builder(List<Var> params) {
        return new Builder(single(params));
    }

    public static Builder builder(ParamGroup... groups) {
        return new Builder(List.of(groups));
    }

    /** Adam's settings, torch's defaults until set: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay, no AMSGrad. */
    public static final class Builder extends Optimizer.Builder<Builder, Adam> {
        private Builder(List<ParamGroup> groups) {
            super(groups, 1e-3);
            betasDefaults(this);
        }

        public Builder betas(double beta1, double beta2) {
            ParamGroup.checkBeta("betas[0]", beta1);
            ParamGroup.checkBeta("betas[1]", beta2);
            return put(ParamGroup.BETA1, beta1).put(ParamGroup.BETA2, beta2);
        }

        public Builder eps(double eps) {
            return put(ParamGroup.EPS, eps);
        }

        public Builder amsgrad(boolean amsgrad) {
            return put(ParamGroup.AMSGRAD, amsgrad);
        }

        @Override
        public Adam build() {
            return new Adam(this);
        }
    }

    /** The defaults Adam and AdamW share besides lr and weight decay. */
    static void betasDefaults(Optimizer.Builder<?, ?> b) {
        b.defaults.put(ParamGroup.BETA1, 0.9);
        b.defaults.put(ParamGroup.BETA2, 0.999);
        b.defaults.put(ParamGroup.EPS, 1e-8);
        b.defaults.put(ParamGroup.AMSGRAD, false);
    }

    static void checkGroup(ParamGroup g, String where) {
        if (!(g.getDouble(ParamGroup.BETA1) < 1) || !(g.getDouble(ParamGroup.BETA2) < 1)) {
            throw new IllegalArgumentException(where + ": betas must be in [0, 1), got (" + g.getDouble(ParamGroup.BETA1)
                    + ", " + g.getDouble(ParamGroup.BETA2) + ")");
        }
    }

    @Override
    protected void update(ParamGroup group, Var p, Tensor g, ParamState s) {
        step(group, p, g, s, false);
    }

    /**
     * One Adam or AdamW update with {@code group}'s hyper-parameters: AdamW ({@code decoupled})
     * shrinks the parameter by {@code lr * weightDecay} first, Adam adds {@code weightDecay * p}
     * to the gradient.
     */
    static void step(ParamGroup group, Var p, Tensor g, ParamState s, boolean decoupled) {
        double beta1 = group.getDouble(ParamGroup.BETA1);
        double beta2 = group.getDouble(ParamGroup.BETA2);
        double t = s.step();
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        float stepSize = (float) (group.lr() / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float coupled = decoupled ? 0f : (float) group.weightDecay();
        float scale = decoupled ? (float) (1 - group.lr() * group.weightDecay()) : 1f;
        boolean amsgrad = group.getBoolean(ParamGroup.AMSGRAD);
        TrainingOps.adam(new FusedStep.Adam(beta1, beta2, (float) group.getDouble(ParamGroup.EPS), stepSize, bc2Sqrt, coupled,
                scale), p.value(), g, s.tensor("exp_avg", p), s.tensor("exp_avg_sq", p),
                amsgrad ? s.tensor("max_exp_avg_sq", p) : null);
    }
}
