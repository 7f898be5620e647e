package dev.kiln.nn;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;

/**
 * Root-mean-square normalization over the last dim (as in LLaMA): {@code x / sqrt(mean(x^2) + eps) * weight},
 * weight initialised to ones. Unlike LayerNorm it neither centres nor adds a bias.
 */
public final class RMSNorm extends UnaryModule {
    private final int dim;
    private final double eps;
    public final Var weight;

    public RMSNorm(int dim) {
        this(dim, 1e-6);
    }

    public RMSNorm(int dim, double eps) {
        if (dim < 1) {
            throw new IllegalArgumentException("RMSNorm: dim must be positive, got " + dim);
        }
        this.dim = dim;
        this.eps = eps;
        this.weight = registerParameter("weight", Tensor.ones(dim));
    }

    @Override
    public Var forward(Var x) {
        if (x.value().rank() < 1 || x.value().size(-1) != dim) {
            throw new IllegalArgumentException("RMSNorm: input's last dim must be " + dim + ", got shape " + x.shape());
        }
        return rmsNorm(x, weight, eps);
    }

    /** {@code x / sqrt(mean(x^2, last dim) + eps) * weight}; weight [D] or null. */
    public static Var rmsNorm(Var x, Var weight, double eps) {
        Var meanSquare = x.mul(x).mean(new int[] {-1}, true);
        Var y = x.mul(meanSquare.add(eps).rsqrt());
        return weight == null ? y : y.mul(weight);
    }

    @Override
    protected String extraRepr() {
        return "(" + dim + ",), eps=" + eps;
    }
}
