package dev.kiln.autograd;

import dev.kiln.tensor.DType;
import java.util.Map;

/**
 * The one table of autocast classes (torch's autocast op lists): which ops run in the scope's low
 * precision, which are forced up to F32, and — for every op not listed — none (the op runs in its
 * inputs' promoted dtype). Op entry points call {@link #cast} with their name; no op decides for
 * itself. The op registry's tests check each op's behaviour against {@link #of}.
 */
public enum AutocastPolicy {
    /** Fast and safe in half precision: floating inputs are cast to the scope's F16/BF16. */
    LOWER_PRECISION,
    /** Needs range or sums many terms: half inputs are cast up to F32. */
    FP32,
    /** Not cast: runs in its inputs' (promoted) dtype. */
    NONE;

    private static final Map<String, AutocastPolicy> TABLE = Map.ofEntries(
            // matrix products and what is built on them
            Map.entry("matmul", LOWER_PRECISION),
            Map.entry("linear", LOWER_PRECISION),
            Map.entry("conv2d", LOWER_PRECISION),
            // range: exponentials, logarithms, powers, reciprocal roots
            Map.entry("exp", FP32),
            Map.entry("log", FP32),
            Map.entry("log1p", FP32),
            Map.entry("pow", FP32),
            Map.entry("rsqrt", FP32),
            // many-term accumulations and the normalizations/losses built on them
            Map.entry("sum", FP32),
            Map.entry("logsumexp", FP32),
            Map.entry("softmax", FP32),
            Map.entry("logSoftmax", FP32),
            Map.entry("layerNorm", FP32),
            Map.entry("crossEntropy", FP32),
            Map.entry("mseLoss", FP32),
            Map.entry("l1Loss", FP32),
            Map.entry("smoothL1Loss", FP32),
            Map.entry("huberLoss", FP32),
            Map.entry("binaryCrossEntropyWithLogits", FP32));

    /** The class of {@code op} (a Var or Functional method name); {@link #NONE} for ops not in the table. */
    public static AutocastPolicy of(String op) {
        return TABLE.getOrDefault(op, NONE);
    }

    /**
     * {@code x} as op {@code op} must see it under the current autocast scope: unchanged when
     * autocast is off or the op's class is NONE; otherwise cast (differentiably) to the scope's low
     * precision or to F32. Non-floating inputs (indices, masks) are never cast.
     *
     * @throws IllegalArgumentException when {@code op} is not in the table (a caller that casts
     *                                  must be listed, so a misspelt name cannot silently do nothing)
     */
    public static Var cast(String op, Var x) {
        AutocastPolicy p = TABLE.get(op);
        if (p == null) {
            throw new IllegalArgumentException("AutocastPolicy.cast: op \"" + op + "\" is not in the autocast table");
        }
        DType low = Autocast.lowPrecision();
        if (low == null || x == null || !x.value().dtype().isFloatingPoint()) {
            return x;
        }
        DType d = x.value().dtype();
        return switch (p) {
            case LOWER_PRECISION -> d == low ? x : ElementwiseOps.to(x, low);
            case FP32 -> d.isHalf() ? ElementwiseOps.to(x, DType.F32) : x;
            case NONE -> x;
        };
    }
}
