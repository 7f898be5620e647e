package dev.kiln.nn;

import dev.kiln.autograd.Functional;
import dev.kiln.autograd.Var;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;

/**
 * {@code y = x @ weight^T + bias} (torch's {@code nn.Linear}): x [..., in] -> [..., out], weight
 * [out, in], bias [out]. Initialised as torch does: weight Kaiming-uniform with a = sqrt(5), i.e.
 * U(-1/sqrt(in), 1/sqrt(in)), and the same range for bias.
 *
 * <p>{@code new Linear(in, out)}, {@code new Linear(in, out, false)} and
 * {@code Linear.builder(in, out).bias(false).build()} draw from {@link Generator#defaultGenerator()}
 * ({@link Generator#manualSeed} makes them reproducible); pass a generator to draw from your own.
 */
public final class Linear extends UnaryModule {
    public final int inFeatures;
    public final int outFeatures;
    public final Var weight;
    /** Null when constructed without a bias. */
    public final Var bias;
    private UnaryModule forwardReplacement;

    /** With a bias, weights from the default generator. */
    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true, Generator.defaultGenerator());
    }

    /** torch's {@code nn.Linear(in, out, bias=...)}, weights from the default generator. */
    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this(inFeatures, outFeatures, bias, Generator.defaultGenerator());
    }

    /** Weights (and bias) drawn from {@code g}. */
    public Linear(int inFeatures, int outFeatures, boolean bias, Generator g) {
        if (g == null) {
            throw new IllegalArgumentException("Linear: generator must not be null (use new Linear(in, out, bias) for the "
                    + "default generator)");
        }
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

    /** A builder with torch's defaults (a bias, the default generator). */
    public static Builder builder(int inFeatures, int outFeatures) {
        return new Builder(inFeatures, outFeatures);
    }

    /**
     * Routes {@link #forward} to {@code replacement} (an inference-only layer such as
     * {@code dev.kiln.nn.quant.QuantizedLinear}, installed by {@code Quantizer.quantize}), or back to
     * this layer's own F32 weights with null. A hook rather than a swap in the parent: models hold
     * their layers in final fields, so a replacement must be reachable through the layer itself.
     */
    public void replaceForward(UnaryModule replacement) {
        this.forwardReplacement = replacement;
    }

    /** The layer {@link #forward} currently delegates to, or null when it runs its own weights. */
    public UnaryModule forwardReplacement() {
        return forwardReplacement;
    }

    @Override
    public Var forward(Var x) {
        if (forwardReplacement != null) {
            return forwardReplacement.forward(x);
        }
        return Functional.linear(x, weight, bias);
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null);
    }

    /** torch's keyword arguments of {@code nn.Linear}. Not thread-safe; {@link #build()} may be called again. */
    public static final class Builder {
        private final int inFeatures;
        private final int outFeatures;
        private boolean bias = true;
        private Generator generator;

        private Builder(int inFeatures, int outFeatures) {
            this.inFeatures = inFeatures;
            this.outFeatures = outFeatures;
        }

        public Builder bias(boolean bias) {
            this.bias = bias;
            return this;
        }

        /** Where the initial weights come from (default: {@link Generator#defaultGenerator()} at build time). */
        public Builder generator(Generator g) {
            if (g == null) {
                throw new IllegalArgumentException("Linear.Builder: generator must not be null (leave it unset for the "
                        + "default generator)");
            }
            this.generator = g;
            return this;
        }

        public Linear build() {
            return new Linear(inFeatures, outFeatures, bias, generator != null ? generator : Generator.defaultGenerator());
        }
    }
}
