package dev.kiln.optim;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TrainingOps;
import dev.kiln.tensor.ops.FusedStep;
import java.util.List;

/**
 * Adam (Kingma &amp; Ba) and AdamW (Loshchilov &amp; Hutter, decoupled weight decay), with the AMSGrad
 * option, as torch.optim.Adam / AdamW: bias-corrected first and second moments, one fused pass
 * per parameter. Adam's weight decay is added to the gradient; AdamW's shrinks the parameter by
 * {@code lr * weightDecay} before the update.
 */
public final class Adam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final boolean decoupled;
    private final boolean amsgrad;

    /** torch.optim.Adam with default betas (0.9, 0.999), eps 1e-8. */
    public static Adam adam(List<Var> params, double lr) {
        return new Adam(List.of(new ParamGroup(params, lr, 0)), 0.9, 0.999, 1e-8, false, false);
    }

    /** torch.optim.AdamW with default betas (0.9, 0.999), eps 1e-8. */
    public static Adam adamW(List<Var> params, double lr, double weightDecay) {
        return new Adam(List.of(new ParamGroup(params, lr, weightDecay)), 0.9, 0.999, 1e-8, true, false);
    }

    public Adam(List<ParamGroup> groups, double beta1, double beta2, double eps, boolean decoupledWeightDecay, boolean amsgrad) {
        super(groups);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam: betas must be in [0, 1), got (" + beta1 + ", " + beta2 + ")");
        }
        ParamGroup.checkNonNegative("eps", eps);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.decoupled = decoupledWeightDecay;
        this.amsgrad = amsgrad;
    }

    @Override
    protected void update(ParamGroup group, Var p, Tensor g, ParamState s) {
        double t = s.step();
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        float stepSize = (float) (group.lr() / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float coupled = decoupled ? 0f : (float) group.weightDecay();
        float scale = decoupled ? (float) (1 - group.lr() * group.weightDecay()) : 1f;
        TrainingOps.adam(new FusedStep.Adam(beta1, beta2, (float) eps, stepSize, bc2Sqrt, coupled, scale), p.value(), g,
                s.tensor("exp_avg", p), s.tensor("exp_avg_sq", p), amsgrad ? s.tensor("max_exp_avg_sq", p) : null);
    }
}
