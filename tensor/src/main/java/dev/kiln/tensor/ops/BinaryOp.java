package dev.kiln.tensor.ops;

/** Elementwise functions of two broadcast tensors. Comparisons produce BOOL. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM,
    EQ, NE, LT, LE, GT, GE;

    public boolean isComparison() {
        return ordinal() >= EQ.ordinal();
    }

    public String opName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
