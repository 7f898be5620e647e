package dev.kiln.tensor.ops;

/** Elementwise functions of one tensor. Float results for float inputs; see {@link #keepsIntegers()}. */
public enum UnaryOp {
    NEG, ABS, SIGN, RELU,
    EXP, LOG, LOG1P, SQRT, RSQRT, TANH, SIGMOID, GELU_TANH, GELU_ERF, SILU, SIN, COS, ERF;

    /** True when an integer input keeps its dtype (neg, abs, sign, relu), as in PyTorch. */
    public boolean keepsIntegers() {
        return this == NEG || this == ABS || this == SIGN || this == RELU;
    }

    /** The op's name as users write it (for error messages). */
    public String opName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
