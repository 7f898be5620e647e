package dev.kiln.nn.loss;

import dev.kiln.autograd.Autocast;
import dev.kiln.autograd.AutocastPolicy;
import dev.kiln.autograd.Var;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Loss functions with torch's semantics ({@code torch.nn.functional}), composed from differentiable
 * Var ops; Kiln's only home for losses. Under {@link Autocast} they compute in F32, as torch's
 * autocast runs its losses. Targets never leave their device: checking class indices reads back
 * two scalars (their min and max), not the whole tensor. Class-index losses take the target as an I64/I32 {@link Tensor}; regression losses take
 * a {@link Var} target (it may require gradients too) of exactly the input's shape.
 *
 * <p>Class-index losses accept input [N, C] with target [N], input [N, C, d1, ...] with target
 * [N, d1, ...], or an unbatched input [C] with a 0-dim target.
 */
public final class Losses {
    private Losses() {}

    /** torch's default {@code ignore_index}. */
    public static final long IGNORE_INDEX = -100;

    // ---------------------------------------------------------------- class-index losses

    /** Mean cross-entropy of logits against class indices, no weights, nothing ignored but -100, no smoothing. */
    public static Var crossEntropy(Var input, Tensor target) {
        return crossEntropy(input, target, null, IGNORE_INDEX, Reduction.MEAN, 0);
    }

    /**
     * torch's {@code F.cross_entropy} with class-index targets: {@code nllLoss(logSoftmax(input, 1), ...)}.
     * With label smoothing ε the result is {@code (1 - ε) * nll + (ε / C) * smooth}, where
     * {@code smooth_i = -sum_c weight_c * logp[i, c]} (weight_c = 1 without weights), zero for
     * ignored targets, reduced like nll: summed, or for the mean divided by the same denominator
     * as nll (the sum of the target weights of counted elements, or their count without weights).
     *
     * @param weight per-class weights [C], or null
     * @param labelSmoothing in [0, 1]
     */
    public static Var crossEntropy(Var input, Tensor target, Tensor weight, long ignoreIndex, Reduction reduction,
                                   double labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException("crossEntropy: labelSmoothing must be in [0, 1], got " + labelSmoothing);
        }
        checkClassInput("crossEntropy", input);
        input = AutocastPolicy.cast("crossEntropy", input);
        return classIndexLoss("crossEntropy", input.logSoftmax(input.value().rank() == 1 ? 0 : 1), target, weight,
                ignoreIndex, reduction, labelSmoothing);
    }

    /** Mean negative log-likelihood of log-probabilities against class indices (no weights, ignore -100). */
    public static Var nllLoss(Var input, Tensor target) {
        return nllLoss(input, target, null, IGNORE_INDEX, Reduction.MEAN);
    }

    /**
     * torch's {@code F.nll_loss}: {@code l_i = -weight[t_i] * input[i, t_i]}, 0 where {@code t_i == ignoreIndex}.
     * MEAN divides the sum by {@code sum_i weight[t_i]} over the non-ignored elements (their count
     * without weights), so all targets ignored gives NaN, as in torch.
     *
     * @param input log-probabilities [N, C], [N, C, d1, ...] or [C]
     * @param weight per-class weights [C], or null
     */
    public static Var nllLoss(Var input, Tensor target, Tensor weight, long ignoreIndex, Reduction reduction) {
        checkClassInput("nllLoss", input);
        return classIndexLoss("nllLoss", AutocastPolicy.cast("crossEntropy", input), target, weight, ignoreIndex, reduction, 0);
    }

    private static void checkClassInput(String op, Var input) {
        if (input.value().rank() < 1 || !input.value().dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": input must be floating point [N, C, ...] or [C], got shape "
                    + input.shape() + " " + input.value().dtype());
        }
    }

    // logp [N, C, d...] (or [C]) -> loss; see crossEntropy for the smoothing term.
    private static Var classIndexLoss(String op, Var logp, Tensor target, Tensor weight, long ignoreIndex,
                                      Reduction reduction, double smoothing) {
        Tensor v = logp.value();
        DType dt = v.dtype();
        boolean unbatched = v.rank() == 1;
        int classes = unbatched ? v.size(0) : v.size(1);
        int[] targetShape = targetShape(v.shape());
        if (target.dtype() != DType.I64 && target.dtype() != DType.I32) {
            throw new IllegalArgumentException(op + ": target must hold class indices (I64 or I32), got " + target.dtype());
        }
        if (!java.util.Arrays.equals(target.shape().toArray(), targetShape)) {
            throw new IllegalArgumentException(op + ": target must have shape " + Shape.of(targetShape) + " for input "
                    + logp.shape() + ", got " + target.shape());
        }
        if (weight != null && (weight.rank() != 1 || weight.size(0) != classes || !weight.dtype().isFloatingPoint())) {
            throw new IllegalArgumentException(op + ": weight must be a floating-point [" + classes + "] (one per class), got "
                    + weight.shape() + " " + weight.dtype());
        }
        // Rows [M, C] with the class dim last, so one gather picks every target's log-probability.
        Var rows;
        if (unbatched) {
            rows = logp.reshape(1, classes);
        } else if (v.rank() == 2) {
            rows = logp;
        } else {
            int[] order = new int[v.rank()];
            order[0] = 0;
            for (int d = 2; d < v.rank(); d++) {
                order[d - 1] = d;
            }
            order[v.rank() - 1] = 1;
            rows = logp.permute(order).reshape(v.numel() / classes, classes);
        }
        // Everything stays on the target's device: the only values read back are two scalars, the
        // smallest and largest counted target, to check the range.
        int m = v.numel() / classes;
        Tensor flat = target.reshape(m).to(DType.I64);
        Tensor ignored = flat.eq(ignoreIndex);
        Tensor safe = flat.maskedFill(ignored, 0);
        checkRange(op, flat, safe, m, classes, ignoreIndex);
        Tensor negCounted = ignored.to(dt).sub(1); // -1, +0 where ignored (+0 keeps an ignored loss +0, as torch)
        Tensor negTargetWeight = weight == null ? negCounted : weight.to(dt).gather(0, safe).mul(negCounted);
        Tensor denominator = negTargetWeight.sum().neg(); // count of counted targets, or their weight sum
        Var nll = rows.gather(1, safe.reshape(m, 1)).reshape(m).mul(Var.constant(negTargetWeight));
        Var loss = reduce(nll, reduction, denominator, targetShape);
        if (smoothing > 0) {
            Var weighted = weight == null ? rows : rows.mul(Var.constant(weight.to(dt).reshape(1, classes)));
            Var smooth = weighted.sum(new int[] {1}, false).mul(Var.constant(negCounted));
            // torch divides the smoothing term by the count of counted targets without weights, by
            // the same weight sum as nll with them: both are `denominator` here.
            loss = loss.mul(1 - smoothing).add(reduce(smooth, reduction, denominator, targetShape).mul(smoothing / classes));
        }
        return loss;
    }

    private static int[] targetShape(Shape inputShape) {
        int rank = inputShape.rank();
        if (rank == 1) {
            return new int[0];
        }
        int[] s = new int[rank - 1];
        s[0] = inputShape.size(0);
        for (int d = 2; d < rank; d++) {
            s[d - 1] = inputShape.size(d);
        }
        return s;
    }

    private static Var reduce(Var flat, Reduction reduction, Tensor meanDenominator, int[] shape) {
        return switch (reduction) {
            case NONE -> flat.reshape(shape);
            case SUM -> flat.sum();
            case MEAN -> flat.sum().div(Var.constant(meanDenominator));
        };
    }

    /**
     * Throws when a counted target (one not equal to {@code ignoreIndex}) is outside [0, classes).
     * {@code safe} is {@code flat} with ignored targets set to 0. Only the failing case copies the
     * targets to the host, to name the first bad one.
     */
    private static void checkRange(String op, Tensor flat, Tensor safe, int m, int classes, long ignoreIndex) {
        if (m == 0 || (safe.min().item() >= 0 && safe.max().item() < classes)) {
            return;
        }
        long[] t = flat.toLongArray();
        for (int i = 0; i < m; i++) {
            if (t[i] != ignoreIndex && (t[i] < 0 || t[i] >= classes)) {
                throw new IndexOutOfBoundsException(op + ": target " + t[i] + " at flat position " + i + " is out of range for "
                        + classes + " classes (ignoreIndex " + ignoreIndex + ")");
            }
        }
    }

    // ---------------------------------------------------------------- regression losses

    /** Mean squared error. */
    public static Var mseLoss(Var input, Var target) {
        return mseLoss(input, target, Reduction.MEAN);
    }

    /** torch's {@code F.mse_loss}: {@code (input - target)^2}, reduced. */
    public static Var mseLoss(Var input, Var target, Reduction reduction) {
        Var d = difference("mseLoss", input, target);
        return reduce(d.mul(d), reduction);
    }

    /** Mean absolute error. */
    public static Var l1Loss(Var input, Var target) {
        return l1Loss(input, target, Reduction.MEAN);
    }

    /** torch's {@code F.l1_loss}: {@code |input - target|}, reduced (gradient 0 where they are equal). */
    public static Var l1Loss(Var input, Var target, Reduction reduction) {
        return reduce(difference("l1Loss", input, target).abs(), reduction);
    }

    /**
     * torch's {@code F.smooth_l1_loss}: with {@code d = |input - target|}, {@code 0.5 d^2 / beta} where
     * {@code d < beta}, else {@code d - 0.5 beta}; {@code beta = 0} is the L1 loss.
     */
    public static Var smoothL1Loss(Var input, Var target, Reduction reduction, double beta) {
        if (!(beta >= 0)) {
            throw new IllegalArgumentException("smoothL1Loss: beta must be non-negative, got " + beta);
        }
        Var d = difference("smoothL1Loss", input, target);
        Var ad = d.abs();
        if (beta == 0) {
            return reduce(ad, reduction);
        }
        Tensor quadratic = ad.value().lt(beta);
        return reduce(Var.where(quadratic, d.mul(d).mul(0.5 / beta), ad.sub(0.5 * beta)), reduction);
    }

    /**
     * torch's {@code F.huber_loss}: with {@code d = |input - target|}, {@code 0.5 d^2} where
     * {@code d < delta}, else {@code delta (d - 0.5 delta)} (smooth-L1 times delta, with beta = delta).
     */
    public static Var huberLoss(Var input, Var target, Reduction reduction, double delta) {
        if (!(delta > 0)) {
            throw new IllegalArgumentException("huberLoss: delta must be positive, got " + delta);
        }
        Var d = difference("huberLoss", input, target);
        Var ad = d.abs();
        Tensor quadratic = ad.value().lt(delta);
        return reduce(Var.where(quadratic, d.mul(d).mul(0.5), ad.sub(0.5 * delta).mul(delta)), reduction);
    }

    // ---------------------------------------------------------------- binary cross-entropy

    /** Mean binary cross-entropy with logits, no weights. */
    public static Var binaryCrossEntropyWithLogits(Var input, Var target) {
        return binaryCrossEntropyWithLogits(input, target, null, null, Reduction.MEAN);
    }

    /**
     * torch's {@code F.binary_cross_entropy_with_logits}:
     * {@code l = weight * [(1 - y) x + (1 + (posWeight - 1) y) softplus(-x)]}, i.e.
     * {@code -weight [posWeight y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]}, reduced (MEAN is
     * the plain mean over elements). {@code softplus(-x) = max(-x, 0) + log1p(exp(-|x|))} never
     * overflows; the two kinks at x = 0 are written with one shared condition so that the gradient
     * there is the true -sigmoid(0) = -1/2 rather than the sum of two subgradients.
     *
     * @param weight rescales each element; broadcasts to the input's shape; null for none
     * @param posWeight weight of the positive term per class, broadcast along the last dim
     *     (rank 1, the size of the input's last dim); null for none
     */
    public static Var binaryCrossEntropyWithLogits(Var input, Var target, Tensor weight, Tensor posWeight,
                                                   Reduction reduction) {
        String op = "binaryCrossEntropyWithLogits";
        difference(op, input, target); // shape and dtype checks
        input = AutocastPolicy.cast(op, input); // FP32 under autocast, as torch's
        target = AutocastPolicy.cast(op, target);
        Tensor v = input.value();
        DType dt = v.dtype();
        Tensor negative = v.lt(0.0);
        Var absX = Var.where(negative, input.neg(), input);
        Var reluNegX = Var.where(negative, input.neg(), input.mul(0.0));
        Var softplusNegX = reluNegX.add(absX.neg().exp().log1p());
        Var positive = softplusNegX; // -log sigmoid(x)
        if (posWeight != null) {
            int last = v.rank() == 0 ? 1 : v.size(-1);
            if (posWeight.rank() != 1 || (posWeight.size(0) != last && posWeight.size(0) != 1)) {
                throw new IllegalArgumentException(op + ": posWeight must be [" + last + "] (one per class, the input's last "
                        + "dim), got " + posWeight.shape() + " for input " + input.shape());
            }
            // (1 + (pw - 1) y) * softplus(-x)
            Var logWeight = target.mul(Var.constant(posWeight.to(dt).sub(1.0))).add(1.0);
            positive = logWeight.mul(softplusNegX);
        }
        Var loss = target.neg().add(1.0).mul(input).add(positive);
        if (weight != null) {
            if (!broadcastsTo(weight.shape(), v.shape())) {
                throw new IllegalArgumentException(op + ": weight of shape " + weight.shape()
                        + " does not broadcast to the input's shape " + input.shape());
            }
            loss = loss.mul(Var.constant(weight.to(dt)));
        }
        return reduce(loss, reduction);
    }

    // ---------------------------------------------------------------- helpers

    private static Var difference(String op, Var input, Var target) {
        if (!input.shape().equals(target.shape())) {
            throw new IllegalArgumentException(op + ": input shape " + input.shape() + " and target shape " + target.shape()
                    + " differ");
        }
        if (!input.value().dtype().isFloatingPoint() || !target.value().dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": input and target must be floating point, got "
                    + input.value().dtype() + " and " + target.value().dtype());
        }
        // each regression loss has its own entry in the autocast table (all FP32, as torch's)
        return AutocastPolicy.cast(op, input).sub(AutocastPolicy.cast(op, target));
    }

    private static Var reduce(Var elementwise, Reduction reduction) {
        return switch (reduction) {
            case NONE -> elementwise;
            case SUM -> elementwise.sum();
            case MEAN -> elementwise.mean();
        };
    }

    private static boolean broadcastsTo(Shape from, Shape to) {
        if (from.rank() > to.rank()) {
            return false;
        }
        for (int i = 1; i <= from.rank(); i++) {
            int a = from.size(from.rank() - i);
            if (a != 1 && a != to.size(to.rank() - i)) {
                return false;
            }
        }
        return true;
    }
}
