package dev.kiln.optim;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TrainingOps;
import dev.kiln.tensor.ops.FusedStep;
import java.util.List;

/**
 * Stochastic gradient descent with momentum, dampening, Nesterov and (coupled) weight decay, as
 * torch.optim.SGD. torch requires lr; the rest defaults to 0 / false.
 *
 * <pre>{@code
 * SGD opt = SGD.builder(model.parameters()).lr(0.1).momentum(0.9).weightDecay(5e-4).nesterov(true).build();
 * }</pre>
 *
 * <p>Group hyper-parameters: lr, weight_decay, maximize, momentum, dampening, nesterov.
 */
public final class SGD extends Optimizer {
    private SGD(Builder b) {
        super(b.groups, b.defaults, SGD::checkGroup);
    }

    /** torch.optim.SGD(params, lr): plain gradient descent. */
    public SGD(List<Var> params, double lr) {
        this(builder(params).lr(lr));
    }

    public static Builder builder(List<Var> params) {
        return new Builder(single(params));
    }

    public static Builder builder(ParamGroup... groups) {
        return new Builder(List.of(groups));
    }

    /** SGD's settings: lr required (here or in every group), momentum 0, dampening 0, no Nesterov. */
    public static final class Builder extends Optimizer.Builder<Builder, SGD> {
        private Builder(List<ParamGroup> groups) {
            super(groups, Double.NaN);
            defaults.put(ParamGroup.MOMENTUM, 0.0);
            defaults.put(ParamGroup.DAMPENING, 0.0);
            defaults.put(ParamGroup.NESTEROV, false);
        }

        public Builder momentum(double momentum) {
            return put(ParamGroup.MOMENTUM, momentum);
        }

        public Builder dampening(double dampening) {
            return put(ParamGroup.DAMPENING, dampening);
        }

        public Builder nesterov(boolean nesterov) {
            return put(ParamGroup.NESTEROV, nesterov);
        }

        @Override
        public SGD build() {
            return new SGD(this);
        }
    }

    private static void checkGroup(ParamGroup g, String where) {
        double momentum = g.getDouble(ParamGroup.MOMENTUM);
        double dampening = g.getDouble(ParamGroup.DAMPENING);
        if (g.getBoolean(ParamGroup.NESTEROV) && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException(where + ": Nesterov momentum requires momentum > 0 and zero dampening, got momentum "
                    + momentum + ", dampening " + dampening);
        }
    }

    @Override
    protected void update(ParamGroup group, Var p, Tensor g, ParamState s) {
        double momentum = group.getDouble(ParamGroup.MOMENTUM);
        // torch starts the buffer on the first step with momentum (a schedule may turn momentum on later)
        boolean firstStep = !s.has("momentum_buffer");
        Tensor buf = momentum != 0 ? s.tensor("momentum_buffer", p) : null;
        TrainingOps.sgd(new FusedStep.Sgd((float) group.lr(), (float) group.weightDecay(), (float) momentum,
                group.getDouble(ParamGroup.DAMPENING), group.getBoolean(ParamGroup.NESTEROV), firstStep), p.value(), g, buf);
    }
}
