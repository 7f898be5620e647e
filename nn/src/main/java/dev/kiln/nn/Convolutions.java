package dev.kiln.nn;

import dev.kiln.autograd.Functional;
import dev.kiln.autograd.PaddingOps;
import dev.kiln.autograd.Var;

/**
 * Convolution functions beyond {@link Functional#conv2d}: 1-D convolution (computed as a 2-D
 * convolution of a 1 x L image with a 1 x k kernel) and torch's {@code padding='same'}.
 *
 * <p>'same' (stride 1 only) pads a total of {@code dilation * (k - 1)} per spatial dim, {@code total / 2}
 * before and the rest after, as torch does: when the total is odd the extra element goes after
 * (right/bottom), which im2col's symmetric padding cannot express, so that one is an explicit
 * {@link PaddingOps#pad2d} step.
 */
public final class Convolutions {
    private Convolutions() {}

    /**
     * 1-D convolution (cross-correlation): x [N, C, L], weight [OC, C/groups, k], bias [OC] or null
     * -> [N, OC, OL] with {@code OL = floor((L + 2*padding - dilation*(k-1) - 1) / stride) + 1}.
     */
    public static Var conv1d(Var x, Var weight, Var bias, int stride, int padding, int dilation, int groups) {
        check1d(x, weight);
        Var y = Functional.conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, 1, stride, 0, padding, 1, dilation, groups);
        return y.squeeze(2);
    }

    /** 1-D convolution with {@code padding='same'} (stride 1): the output has the input's length. */
    public static Var conv1dSame(Var x, Var weight, Var bias, int dilation, int groups) {
        check1d(x, weight);
        int total = dilation * (weight.value().size(2) - 1);
        Var x2 = x.unsqueeze(2); // [N, C, 1, L]
        if (total % 2 != 0) {
            x2 = PaddingOps.pad2d(x2, 0, 1, 0, 0, 0);
        }
        Var y = Functional.conv2d(x2, weight.unsqueeze(2), bias, 1, 1, 0, total / 2, 1, dilation, groups);
        return y.squeeze(2);
    }

    /** 2-D convolution with {@code padding='same'} (stride 1): the output has the input's height and width. */
    public static Var conv2dSame(Var x, Var weight, Var bias, int dilationH, int dilationW, int groups) {
        if (x.value().rank() != 4 || weight.value().rank() != 4) {
            throw new IllegalArgumentException("conv2d (padding='same'): input must be 4-D [N, C, H, W] and weight 4-D "
                    + "[OC, C/groups, kh, kw], got input " + x.shape() + " and weight " + weight.shape());
        }
        int totalH = dilationH * (weight.value().size(2) - 1);
        int totalW = dilationW * (weight.value().size(3) - 1);
        if (totalH % 2 != 0 || totalW % 2 != 0) {
            x = PaddingOps.pad2d(x, 0, totalW % 2, 0, totalH % 2, 0);
        }
        return Functional.conv2d(x, weight, bias, 1, 1, totalH / 2, totalW / 2, dilationH, dilationW, groups);
    }

    /**
     * Validates torch's string padding for {@code op}: returns {@code "same"} or {@code "valid"}.
     *
     * @throws IllegalArgumentException for any other string (or null)
     */
    static String paddingMode(String op, String mode) {
        if (!"same".equals(mode) && !"valid".equals(mode)) {
            throw new IllegalArgumentException(op + ": padding must be \"same\" or \"valid\" (or numbers), got "
                    + (mode == null ? "null" : "\"" + mode + "\""));
        }
        return mode;
    }

    private static void check1d(Var x, Var weight) {
        if (x.value().rank() != 3) {
            throw new IllegalArgumentException("conv1d: input must be 3-D [N, C, L], got shape " + x.shape());
        }
        if (weight.value().rank() != 3) {
            throw new IllegalArgumentException("conv1d: weight must be 3-D [OC, C/groups, k], got shape " + weight.shape());
        }
    }
}
