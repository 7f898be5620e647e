package dev.kiln.nn.quant;

import dev.kiln.autograd.Var;
import dev.kiln.nn.Linear;
import dev.kiln.nn.UnaryModule;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Quantization;
import dev.kiln.tensor.Tensor;

/**
 * {@code y = x @ W^T + bias} with W in int8 (torch's {@code nn.quantized.dynamic.Linear}): x F32
 * [..., in] is quantized per row (scale max|x|/127) on every call, weight is I8 [out, in] with one
 * F32 scale per output channel (max|w|/127), bias F32 [out] or absent; the product runs in int8 with
 * int32 sums. With an {@code input_scale} (static quantization, torch's {@code nn.quantized.Linear}
 * with symmetric activations) every row of x uses that one calibrated scale instead of its own.
 * Inference only: the output is a constant (no gradient). Buffers, as saved: {@code weight} (I8),
 * {@code weight_scale} (F32), {@code bias} (F32, when present), {@code input_scale} (F32 [1], static only).
 * Immutable once built; forward may run on several threads at once.
 */
public final class QuantizedLinear extends UnaryModule {
    public final int inFeatures;
    public final int outFeatures;
    private final Tensor weight;
    private final Tensor weightScale;
    private final Tensor bias;
    /** The static activation scale, or -1 for dynamic per-row scales. */
    private final float inputScale;

    /**
     * From already quantized parts, dynamic activations: weight I8 [out, in], weightScale F32 [out],
     * bias F32 [out] or null. The module keeps (does not copy) the tensors.
     */
    public QuantizedLinear(Tensor weight, Tensor weightScale, Tensor bias) {
        this(weight, weightScale, bias, null);
    }

    /**
     * As {@link #QuantizedLinear(Tensor, Tensor, Tensor)}, with static activations when
     * {@code inputScale} (F32 [1], finite, ≥ 0) is not null.
     *
     * @throws IllegalArgumentException on a tensor of the wrong dtype or shape, naming it
     */
    public QuantizedLinear(Tensor weight, Tensor weightScale, Tensor bias, Tensor inputScale) {
        if (weight == null || weight.dtype() != DType.I8 || weight.rank() != 2) {
            throw new IllegalArgumentException("QuantizedLinear: weight must be I8 [out, in], got "
                    + (weight == null ? "null" : weight.dtype() + " " + weight.shape()));
        }
        this.outFeatures = weight.size(0);
        this.inFeatures = weight.size(1);
        checkVector("weightScale", weightScale, outFeatures);
        if (bias != null) {
            checkVector("bias", bias, outFeatures);
        }
        this.weight = registerBuffer("weight", weight);
        this.weightScale = registerBuffer("weight_scale", weightScale);
        this.bias = bias == null ? null : registerBuffer("bias", bias);
        this.inputScale = inputScale == null ? -1f : scalarScale(registerBuffer("input_scale", inputScale));
    }

    /** The value of a static input scale F32 [1]. */
    static float scalarScale(Tensor t) {
        checkVector("input_scale", t, 1);
        float s = t.toFloatArray()[0];
        if (!(s >= 0f) || Float.isInfinite(s)) {
            throw new IllegalArgumentException("quantized layer: input_scale must be finite and >= 0, got " + s);
        }
        return s;
    }

    static void checkVector(String name, Tensor t, int n) {
        if (t == null || t.dtype() != DType.F32 || t.rank() != 1 || t.size(0) != n) {
            throw new IllegalArgumentException("quantized layer: " + name + " must be F32 [" + n + "], got "
                    + (t == null ? "null" : t.dtype() + " " + t.shape()));
        }
    }

    /** Quantizes {@code linear}'s weight per output channel; the bias is copied as F32. */
    public static QuantizedLinear from(Linear linear) {
        try (Quantization.Int8Rows q = Quantization.quantizeRows(linear.weight.value())) {
            return new QuantizedLinear(q.values().copy(), q.scales().copy(),
                    linear.bias == null ? null : linear.bias.value().copy());
        }
    }

    /**
     * Quantizes {@code linear}'s weight per output channel with static activations: inputs are
     * quantized with {@code inputScale} (max-abs of the calibration inputs / 127).
     */
    public static QuantizedLinear from(Linear linear, float inputScale) {
        try (Quantization.Int8Rows q = Quantization.quantizeRows(linear.weight.value())) {
            return new QuantizedLinear(q.values().copy(), q.scales().copy(),
                    linear.bias == null ? null : linear.bias.value().copy(), Tensor.fromArray(new float[] {inputScale}, 1));
        }
    }

    /** Whether activations use a fixed calibrated scale (static) rather than one per row (dynamic). */
    public boolean isStatic() {
        return inputScale >= 0f;
    }

    /** The static activation scale; -1 when dynamic. */
    public float inputScale() {
        return inputScale;
    }

    /** The int8 weight [out, in] (owned by this module). */
    public Tensor weight() {
        return weight;
    }

    /** The per-output-channel weight scales [out] (owned by this module). */
    public Tensor weightScale() {
        return weightScale;
    }

    @Override
    public Var forward(Var x) {
        return Var.constant(isStatic() ? Quantization.int8LinearStatic(x.value(), inputScale, weight, weightScale, bias)
                : Quantization.int8Linear(x.value(), weight, weightScale, bias));
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null) + ", dtype=I8"
                + (isStatic() ? ", input_scale=" + inputScale : "");
    }
}
