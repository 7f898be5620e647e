package dev.kiln.optim;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TrainingOps;
import dev.kiln.tensor.ops.FusedStep;
import java.util.List;

/** Adagrad as torch.optim.Adagrad: {@code clr = lr / (1 + (t-1) lrDecay)}, accumulated squared gradients. */
public final class Adagrad extends Optimizer {
    private final double lrDecay;
    private final double initialAccumulator;
    private final double eps;

    /** Defaults as torch: no lr decay, accumulator starting at 0, eps 1e-10. */
    public Adagrad(List<Var> params, double lr) {
        this(List.of(new ParamGroup(params, lr, 0)), 0, 0, 1e-10);
    }

    public Adagrad(List<ParamGroup> groups, double lrDecay, double initialAccumulatorValue, double eps) {
        super(groups);
        ParamGroup.checkNonNegative("lrDecay", lrDecay);
        ParamGroup.checkNonNegative("initialAccumulatorValue", initialAccumulatorValue);
        ParamGroup.checkNonNegative("eps", eps);
        this.lrDecay = lrDecay;
        this.initialAccumulator = initialAccumulatorValue;
        this.eps = eps;
    }

    @Override
    protected void update(ParamGroup group, Var p, Tensor g, ParamState s) {
        boolean fresh = !s.has("sum");
        Tensor sumT = s.tensor("sum", p);
        if (fresh && initialAccumulator != 0) {
            sumT.fill(initialAccumulator);
        }
        float clr = (float) (group.lr() / (1 + (s.step() - 1) * lrDecay));
        TrainingOps.adagrad(new FusedStep.Adagrad(clr, (float) eps, (float) group.weightDecay()), p.value(), g, sumT);
    }
}
