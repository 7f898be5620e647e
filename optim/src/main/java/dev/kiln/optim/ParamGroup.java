package dev.kiln.optim;

import dev.kiln.autograd.Var;
import java.util.List;

/**
 * Parameters that share hyper-parameters (torch's param_groups): e.g. weights with weight decay
 * and biases/norms without. {@code lr} and {@code weightDecay} are mutable so schedules can set
 * them; optimizer-specific settings live in the optimizer.
 */
public final class ParamGroup {
    private final List<Var> params;
    private double lr;
    private double weightDecay;

    public ParamGroup(List<Var> params, double lr, double weightDecay) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException("ParamGroup: a group needs at least one parameter");
        }
        for (int i = 0; i < params.size(); i++) {
            Var p = params.get(i);
            if (!p.isLeaf() || !p.requiresGrad()) {
                throw new IllegalArgumentException("ParamGroup: parameter " + i + " (" + p
                        + ") must be a leaf that requires a gradient");
            }
        }
        checkNonNegative("lr", lr);
        checkNonNegative("weightDecay", weightDecay);
        this.params = List.copyOf(params);
        this.lr = lr;
        this.weightDecay = weightDecay;
    }

    static void checkNonNegative(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be a finite value >= 0, got " + v);
        }
    }

    public List<Var> params() {
        return params;
    }

    public double lr() {
        return lr;
    }

    public void setLr(double lr) {
        checkNonNegative("lr", lr);
        this.lr = lr;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public void setWeightDecay(double weightDecay) {
        checkNonNegative("weightDecay", weightDecay);
        this.weightDecay = weightDecay;
    }
}
