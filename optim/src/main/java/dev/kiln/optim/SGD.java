package dev.kiln.optim;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TrainingOps;
import dev.kiln.tensor.ops.FusedStep;
import java.util.List;

/** Stochastic gradient descent with momentum, dampening, Nesterov and (coupled) weight decay, as torch.optim.SGD. */
public final class SGD extends Optimizer {
    private final double momentum;
    private final double dampening;
    private final boolean nesterov;

    public SGD(List<Var> params, double lr) {
        this(single(params, lr, 0), 0, 0, false);
    }

    public SGD(List<Var> params, double lr, double momentum, double weightDecay) {
        this(single(params, lr, weightDecay), momentum, 0, false);
    }

    public SGD(List<ParamGroup> groups, double momentum, double dampening, boolean nesterov) {
        super(groups);
        ParamGroup.checkNonNegative("momentum", momentum);
        ParamGroup.checkNonNegative("dampening", dampening);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("SGD: Nesterov momentum requires momentum > 0 and zero dampening, got momentum "
                    + momentum + ", dampening " + dampening);
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
    }

    @Override
    protected void update(ParamGroup group, Var p, Tensor g, ParamState s) {
        Tensor buf = momentum != 0 ? s.tensor("momentum_buffer", p) : null;
        TrainingOps.sgd(new FusedStep.Sgd((float) group.lr(), (float) group.weightDecay(), (float) momentum, dampening, nesterov,
                s.step() == 1), p.value(), g, buf);
    }
}
