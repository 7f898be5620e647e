package dev.kiln.nn;

import dev.kiln.autograd.Functional;
import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;

/** Layer normalization over the trailing {@code normalizedShape}, with an elementwise affine (weight 1, bias 0 at start). */
public final class LayerNorm extends UnaryModule {
    private final int[] normalizedShape;
    private final double eps;
    public final Var weight;
    public final Var bias;

    public LayerNorm(int... normalizedShape) {
        this(normalizedShape, 1e-5, true);
    }

    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine) {
        if (normalizedShape.length == 0) {
            throw new IllegalArgumentException("LayerNorm: normalizedShape must name at least one dim");
        }
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        if (elementwiseAffine) {
            weight = registerParameter("weight", Tensor.ones(normalizedShape));
            bias = registerParameter("bias", Tensor.zeros(normalizedShape));
        } else {
            weight = null;
            bias = null;
        }
    }

    /** The trailing dims normalised over (a copy). */
    public int[] normalizedShape() {
        return normalizedShape.clone();
    }

    /** The epsilon added to the variance. */
    public double eps() {
        return eps;
    }

    @Override
    public Var forward(Var x) {
        int rank = x.value().rank();
        int k = normalizedShape.length;
        int[] tail = rank >= k ? java.util.Arrays.copyOfRange(x.value().shape().toArray(), rank - k, rank) : new int[0];
        if (!java.util.Arrays.equals(tail, normalizedShape)) {
            throw new IllegalArgumentException("LayerNorm: input shape " + x.shape() + " does not end with the normalized shape "
                    + java.util.Arrays.toString(normalizedShape));
        }
        return Functional.layerNorm(x, k, weight, bias, eps);
    }

    @Override
    protected String extraRepr() {
        String shape = java.util.Arrays.toString(normalizedShape).replace('[', '(').replace(']', ')');
        if (normalizedShape.length == 1) {
            shape = "(" + normalizedShape[0] + ",)";
        }
        return shape + ", eps=" + eps + ", elementwise_affine=" + (weight != null);
    }
}
