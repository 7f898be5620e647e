package dev.kiln.optim;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TrainingOps;
import dev.kiln.tensor.ops.FusedStep;
import java.util.List;

/**
 * Adagrad as torch.optim.Adagrad: {@code clr = lr / (1 + (t-1) lrDecay)}, accumulated squared
 * gradients. torch's defaults: lr 1e-2, no lr decay, no weight decay, accumulator starting at 0,
 * eps 1e-10.
 *
 * <p>A group's own initial_accumulator_value fills its accumulators (torch 1.13 uses the
 * constructor's value for every group, ignoring the group's).
 *
 * <p>Group hyper-parameters: lr, weight_decay, maximize, lr_decay, initial_accumulator_value, eps.
 */
public final class Adagrad extends Optimizer {
    private Adagrad(Builder b) {
        super(b.groups, b.defaults, (g, where) -> {});
    }

    /** torch.optim.Adagrad(params, lr) with every other setting at torch's default. */
    public Adagrad(List<Var> params, double lr) {
        this(builder(params).lr(lr));
    }

    public static Builder builder(List<Var> params) {
        return new Builder(single(params));
    }

    public static Builder builder(ParamGroup... groups) {
        return new Builder(List.of(groups));
    }

    /** Adagrad's settings, torch's defaults until set. */
    public static final class Builder extends Optimizer.Builder<Builder, Adagrad> {
        private Builder(List<ParamGroup> groups) {
            super(groups, 1e-2);
            defaults.put(ParamGroup.LR_DECAY, 0.0);
            defaults.put(ParamGroup.INITIAL_ACCUMULATOR_VALUE, 0.0);
            defaults.put(ParamGroup.EPS, 1e-10);
        }

        public Builder lrDecay(double lrDecay) {
            return put(ParamGroup.LR_DECAY, lrDecay);
        }

        public Builder initialAccumulatorValue(double value) {
            return put(ParamGroup.INITIAL_ACCUMULATOR_VALUE, value);
        }

        public Builder eps(double eps) {
            return put(ParamGroup.EPS, eps);
        }

        @Override
        public Adagrad build() {
            return new Adagrad(this);
        }
    }

    @Override
    protected void update(ParamGroup group, Var p, Tensor g, ParamState s) {
        boolean fresh = !s.has("sum");
        Tensor sumT = s.tensor("sum", p);
        double initial = group.getDouble(ParamGroup.INITIAL_ACCUMULATOR_VALUE);
        if (fresh && initial != 0) {
            sumT.fill(initial);
        }
        float clr = (float) (group.lr() / (1 + (s.step() - 1) * group.getDouble(ParamGroup.LR_DECAY)));
        TrainingOps.adagrad(new FusedStep.Adagrad(clr, (float) group.getDouble(ParamGroup.EPS), (float) group.weightDecay()),
                p.value(), g, sumT);
    }
}
