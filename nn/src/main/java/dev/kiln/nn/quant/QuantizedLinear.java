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
 * int32 sums. Inference only: the output is a constant (no gradient). Buffers, as saved:
 * {@code weight} (I8), {@code weight_scale} (F32), {@code bias} (F32, when present).
 */
public final class QuantizedLinear extends UnaryModule {
    public final int inFeatures;
    public final int outFeatures;
    private final Tensor weight;
    private final Tensor weightScale;
    private final Tensor bias;

    /**
     * From already quantized parts: weight I8 [out, in], weightScale F32 [out], bias F32 [out] or null.
     * The module keeps (does not copy) the tensors.
     */
    public QuantizedLinear(Tensor weight, Tensor weightScale, Tensor bias) {
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
        return Var.constant(Quantization.int8Linear(x.value(), weight, weightScale, bias));
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null) + ", dtype=I8";
    }
}
