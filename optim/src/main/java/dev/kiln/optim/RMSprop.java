package dev.kiln.optim;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TrainingOps;
import dev.kiln.tensor.ops.FusedStep;
import java.util.List;

/** RMSprop as torch.optim.RMSprop (alpha, eps, weight decay, momentum, centered). */
public final class RMSprop extends Optimizer {
    private final double alpha;
    private final double eps;
    private final double momentum;
    private final boolean centered;

    /** Defaults as torch: alpha 0.99, eps 1e-8, no momentum, not centered. */
    public RMSprop(List<Var> params, double lr) {
        this(List.of(new ParamGroup(params, lr, 0)), 0.99, 1e-8, 0, false);
    }

    public RMSprop(List<ParamGroup> groups, double alpha, double eps, double momentum, boolean centered) {
        super(groups);
        ParamGroup.checkNonNegative("alpha", alpha);
        ParamGroup.checkNonNegative("eps", eps);
        ParamGroup.checkNonNegative("momentum", momentum);
        this.alpha = alpha;
        this.eps = eps;
        this.momentum = momentum;
        this.centered = centered;
    }

    @Override
    protected void update(ParamGroup group, Var p, Tensor g, ParamState s) {
        TrainingOps.rmsprop(new FusedStep.Rmsprop((float) group.lr(), alpha, (float) eps, (float) group.weightDecay(),
                (float) momentum), p.value(), g, s.tensor("square_avg", p), centered ? s.tensor("grad_avg", p) : null,
                momentum > 0 ? s.tensor("momentum_buffer", p) : null);
    }
}
