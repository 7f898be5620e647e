package dev.kiln.optim;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TrainingOps;
import dev.kiln.tensor.ops.FusedStep;
import java.util.List;

/**
 * RMSprop as torch.optim.RMSprop. torch's defaults: lr 1e-2, alpha 0.99, eps 1e-8, no weight
 * decay, no momentum, not centered.
 *
 * <p>Group hyper-parameters: lr, weight_decay, maximize, alpha, eps, momentum, centered.
 */
public final class RMSprop extends Optimizer {
    private RMSprop(Builder b) {
        super(b.groups, b.defaults, (g, where) -> {});
    }

    /** torch.optim.RMSprop(params, lr) with every other setting at torch's default. */
    public RMSprop(List<Var> params, double lr) {
        this(builder(params).lr(lr));
    }

    public static Builder builder(List<Var> params) {
        return new Builder(single(params));
    }

    public static Builder builder(ParamGroup... groups) {
        return new Builder(List.of(groups));
    }

    /** RMSprop's settings, torch's defaults until set. */
    public static final class Builder extends Optimizer.Builder<Builder, RMSprop> {
        private Builder(List<ParamGroup> groups) {
            super(groups, 1e-2);
            defaults.put(ParamGroup.ALPHA, 0.99);
            defaults.put(ParamGroup.EPS, 1e-8);
            defaults.put(ParamGroup.MOMENTUM, 0.0);
            defaults.put(ParamGroup.CENTERED, false);
        }

        public Builder alpha(double alpha) {
            return put(ParamGroup.ALPHA, alpha);
        }

        public Builder eps(double eps) {
            return put(ParamGroup.EPS, eps);
        }

        public Builder momentum(double momentum) {
            return put(ParamGroup.MOMENTUM, momentum);
        }

        public Builder centered(boolean centered) {
            return put(ParamGroup.CENTERED, centered);
        }

        @Override
        public RMSprop build() {
            return new RMSprop(this);
        }
    }

    @Override
    protected void update(ParamGroup group, Var p, Tensor g, ParamState s) {
        double momentum = group.getDouble(ParamGroup.MOMENTUM);
        TrainingOps.rmsprop(new FusedStep.Rmsprop((float) group.lr(), group.getDouble(ParamGroup.ALPHA),
                (float) group.getDouble(ParamGroup.EPS), (float) group.weightDecay(), (float) momentum), p.value(), g,
                s.tensor("square_avg", p), group.getBoolean(ParamGroup.CENTERED) ? s.tensor("grad_avg", p) : null,
                momentum > 0 ? s.tensor("momentum_buffer", p) : null);
    }
}
