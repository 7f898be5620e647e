package dev.kiln.tensor;

/**
 * Element types of a tensor.
 *
 * <p>F64 computes in exact IEEE double arithmetic end to end (no kernel rounds through float): it is
 * the dtype of finite-difference gradient checks and of golden tests against float64 references.
 * F32 is the default floating type, as in PyTorch: ops that need floats give F32 for integer inputs.
 *
 * <p>F16 and BF16 are storage types on the CPU: kernels widen them to F32, compute, and round the
 * result back (round-to-nearest-even), the way PyTorch's CPU kernels do. Integer types compute in
 * 64-bit integer arithmetic and wrap on overflow like Java (and C) two's-complement arithmetic.
 */
public enum DType {
    F64(8, Kind.FLOAT, 4),
    F32(4, Kind.FLOAT, 3),
    F16(2, Kind.FLOAT, 1),
    BF16(2, Kind.FLOAT, 2),
    I64(8, Kind.INT, 4),
    I32(4, Kind.INT, 3),
    I8(1, Kind.INT, 1),
    BOOL(1, Kind.BOOL, 0);

    private enum Kind { BOOL, INT, FLOAT }

    private final int byteSize;
    private final Kind kind;
    /** Rank within the kind for promotion: the wider type wins. */
    private final int rank;

    DType(int byteSize, Kind kind, int rank) {
        this.byteSize = byteSize;
        this.kind = kind;
        this.rank = rank;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** True for F64, F32, F16 and BF16. */
    public boolean isFloatingPoint() {
        return kind == Kind.FLOAT;
    }

    /** True for I8, I32 and I64 (not BOOL). */
    public boolean isIntegral() {
        return kind == Kind.INT;
    }

    /** True for BOOL. */
    public boolean isBool() {
        return kind == Kind.BOOL;
    }

    /** True for the 16-bit floating types, which the CPU stores but does not compute in. */
    public boolean isHalf() {
        return this == F16 || this == BF16;
    }

    /**
     * The result type of a binary op, following PyTorch's promotion lattice: bool &lt; integers &lt;
     * floats; within a kind the wider type wins (so F64 with anything gives F64); F16 with BF16
     * gives F32 (neither holds the other).
     */
    public static DType promote(DType a, DType b) {
        if (a == b) {
            return a;
        }
        if (a.kind != b.kind) {
            return a.kind.ordinal() > b.kind.ordinal() ? a : b;
        }
        if (a.isHalf() && b.isHalf()) {
            return F32; // F16 with BF16
        }
        return a.rank > b.rank ? a : b;
    }

    /**
     * The floating type an op that needs floats (exp, mean, ...) computes in for this input: the
     * input's own type when floating, else F32 (torch's default dtype, not F64).
     */
    public DType toFloating() {
        return isFloatingPoint() ? this : F32;
    }

    /**
     * The memory layout of one element in {@code order}, unaligned (file offsets need not be): for
     * moving raw tensor bytes between memory and files. F16/BF16 are their 16-bit patterns, BOOL
     * one byte.
     */
    public java.lang.foreign.ValueLayout valueLayout(java.nio.ByteOrder order) {
        return switch (this) {
            case F64 -> java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(order);
            case F32 -> java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(order);
            case F16, BF16 -> java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order);
            case I64 -> java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(order);
            case I32 -> java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(order);
            case I8, BOOL -> java.lang.foreign.ValueLayout.JAVA_BYTE;
        };
    }
}
