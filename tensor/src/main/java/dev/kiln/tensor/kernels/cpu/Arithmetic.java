package dev.kiln.tensor.kernels.cpu;

import dev.kiln.tensor.ops.BinaryOp;

/**
 * The functions the binary elementwise kernels compute: {@link BinaryOp}'s arithmetic ops plus
 * RELU_BACKWARD ({@code a} where {@code b > 0}, else 0), which is a backward kernel, not a user op.
 */
enum Arithmetic {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, RELU_BACKWARD;

    private static final Arithmetic[] OF_OP = new Arithmetic[BinaryOp.values().length];

    static {
        for (BinaryOp op : BinaryOp.values()) {
            if (!op.isComparison()) {
                OF_OP[op.ordinal()] = valueOf(op.name());
            }
        }
    }

    /** @throws IllegalArgumentException for a comparison (those produce BOOL, not these kernels) */
    static Arithmetic of(BinaryOp op) {
        Arithmetic a = OF_OP[op.ordinal()];
        if (a == null) {
            throw new IllegalArgumentException("binary kernel: unsupported op " + op);
        }
        return a;
    }
}
