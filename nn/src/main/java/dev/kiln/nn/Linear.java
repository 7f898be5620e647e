package dev.kiln.nn;

import dev.kiln.autograd.Functional;
import dev.kiln.autograd.Var;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;

/**
 * {@code y = x @ weight^T + bias}: weight [out, in], bias [out]. Initialised as torch does:
 * weight Kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in)), and the same range for bias.
 */
public final class Linear extends UnaryModule {
    public final int inFeatures;
    public final int outFeatures;
    public final Var weight;
    /** Null when constructed without a bias. */
    public final Var bias;

    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true, Init.globalGenerator());
    }

    public Linear(int inFeatures, int outFeatures, boolean bias, Generator g) {
        if (inFeatures < 1 || outFeatures < 1) {
            throw new IllegalArgumentException("Linear: feature counts must be positive, got in=" + inFeatures
                    + ", out=" + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        Tensor w = Tensor.empty(outFeatures, inFeatures);
        Init.kaimingUniform(w, Math.sqrt(5), Init.FanMode.FAN_IN, Init.Nonlinearity.LEAKY_RELU, g);
        this.weight = registerParameter("weight", w);
        if (bias) {
            double bound = 1 / Math.sqrt(inFeatures);
            this.bias = registerParameter("bias", Init.uniform(Tensor.empty(outFeatures), -bound, bound, g));
        } else {
            this.bias = null;
        }
    }

    @Override
    public Var forward(Var x) {
        return Functional.linear(x, weight, bias);
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null);
    }
}
