package dev.kiln.optim;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import java.util.List;

/**
 * AdamW (Loshchilov &amp; Hutter) as torch.optim.AdamW: Adam whose weight decay is decoupled from
 * the gradient, shrinking each parameter by {@code lr * weightDecay} before the Adam update.
 * torch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01, no AMSGrad.
 *
 * <pre>{@code
 * AdamW opt = AdamW.builder(model.parameters()).lr(3e-4).betas(0.9, 0.95).weightDecay(0.1).build();
 * }</pre>
 *
 * <p>Group hyper-parameters: lr, weight_decay, maximize, beta1, beta2, eps, amsgrad.
 */
public final class AdamW extends Optimizer {
    private AdamW(Builder b) {
        super(b.groups, b.defaults, Adam::checkGroup);
    }

    /** torch.optim.AdamW(params, lr) with every other setting at torch's default (weight decay 0.01). */
    public AdamW(List<Var> params, double lr) {
        this(builder(params).lr(lr));
    }

    public static Builder builder(List<Var> params) {
        return new Builder(single(params));
    }

    public static Builder builder(ParamGroup... groups) {
        return new Builder(List.of(groups));
    }

    /** AdamW's settings, torch's defaults until set. */
    public static final class Builder extends Optimizer.Builder<Builder, AdamW> {
        private Builder(List<ParamGroup> groups) {
            super(groups, 1e-3);
            defaults.put(ParamGroup.WEIGHT_DECAY, 0.01);
            Adam.betasDefaults(this);
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
        public AdamW build() {
            return new AdamW(this);
        }
    }

    @Override
    protected void update(ParamGroup group, Var p, Tensor g, ParamState s) {
        Adam.step(group, p, g, s, true);
    }
}
