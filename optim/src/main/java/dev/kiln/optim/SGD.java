package dev.kiln.optim;

import dev.kiln.autograd.Var;
import dev.kiln.optim.kernels.FusedUpdates;
import dev.kiln.tensor.Tensor;
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
        float[] pa = floats(p.value(), "parameter");
        float[] ga = floats(g, "gradient");
        float[] buf = momentum != 0 ? floats(s.tensor("momentum_buffer", p), "state") : null;
        int po = p.value().offset(), go = g.offset();
        boolean first = s.step() == 1;
        forRange(p.value().numel(), (from, to) -> FusedUpdates.sgd(pa, po, ga, go, buf, from, to, (float) group.lr(),
                (float) group.weightDecay(), (float) momentum, dampening, nesterov, first));
        p.value().storage().bumpVersion();
    }
}
