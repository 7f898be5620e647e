package dev.kiln.apps.plot;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Axis ticks at "nice" values: multiples of 1, 2 or 5 times a power of ten, the densest such
 * step whose labels do not overlap on the axis (and at most {@link #MAX_TICKS} of them). Labels
 * are printed with just the decimals the step needs, so 0.1 steps read "0.3", never
 * "0.30000000000000004"; an integer axis (epochs, steps, hours) never gets a fractional tick.
 */
public final class NiceTicks {
    /** More ticks than this crowd a chart even when their labels would fit. */
    public static final int MAX_TICKS = 10;
    private static final int[] MULTIPLIERS = {1, 2, 5};

    private NiceTicks() {}

    /** An axis range and the tick values chosen on it, with their labels. */
    public record Axis(double min, double max, double step, double[] ticks, List<String> labels) {}

    /**
     * The range to draw for data in {@code [lo, hi]}: the data range itself, widened around a
     * single value (or an empty data set, {@code lo > hi}) so that the axis never has zero length.
     */
    public static double[] range(double lo, double hi, boolean integer) {
        if (!Double.isFinite(lo) || !Double.isFinite(hi) || lo > hi) {
            return new double[] {0, 1};
        }
        if (hi > lo) {
            return new double[] {lo, hi};
        }
        double pad = integer ? 1 : Math.max(Math.abs(lo) * 0.1, 1e-3);
        return integer && lo >= 0 && lo < 1 ? new double[] {0, 1} : new double[] {lo - pad, hi + pad};
    }

    /**
     * Chooses the ticks of an axis from {@code min} to {@code max} drawn over {@code pixels}
     * pixels: tick {@code t} sits at {@code (t - min) / (max - min) * pixels}, and a label takes
     * {@code labelSize(label)} pixels along the axis (its width on an x axis, its height on a y
     * axis), centred on its tick; neighbouring labels keep {@code gap} pixels apart.
     *
     * @param integer only whole-number ticks (a step of at least 1)
     * @throws IllegalArgumentException when {@code max <= min}, a bound is not finite, or {@code pixels <= 0}
     */
    public static Axis choose(double min, double max, double pixels, ToDoubleFunction<String> labelSize, double gap,
            boolean integer) {
        if (!Double.isFinite(min) || !Double.isFinite(max) || !(max > min)) {
            throw new IllegalArgumentException("NiceTicks.choose: need finite min < max, got min " + min + ", max " + max);
        }
        if (!(pixels > 0)) {
            throw new IllegalArgumentException("NiceTicks.choose: pixels must be > 0, got " + pixels);
        }
        double span = max - min;
        int exponent = (int) Math.floor(Math.log10(span / MAX_TICKS)) - 1;
        Axis sparsest = null;
        for (int e = exponent; e <= exponent + 3; e++) {
            for (int m : MULTIPLIERS) {
                double step = m * Math.pow(10, e);
                if (integer && step < 1) {
                    continue;
                }
                Axis a = ticksAt(min, max, step, m, e);
                if (a.ticks().length == 0) {
                    continue;
                }
                sparsest = a;
                if (a.ticks().length <= MAX_TICKS && fits(a, pixels, labelSize, gap)) {
                    return a;
                }
            }
        }
        // Not even the sparsest candidate fits (a very short axis): show the first tick only.
        Axis a = sparsest != null ? sparsest : ticksAt(min, max, integer ? Math.max(1, span) : span, 1, 0);
        double[] first = a.ticks().length == 0 ? new double[] {min} : new double[] {a.ticks()[0]};
        return new Axis(min, max, a.step(), first, List.of(a.labels().isEmpty() ? format(min, a.step()) : a.labels().getFirst()));
    }

    private static Axis ticksAt(double min, double max, double step, int multiplier, int exponent) {
        List<Double> values = new ArrayList<>();
        long first = (long) Math.ceil(min / step - 1e-9);
        for (long k = first; k * step <= max + 1e-9 * step; k++) {
            // k * multiplier * 10^e rather than repeated addition: no drift, exact decimals.
            values.add(exponent >= 0 ? k * multiplier * Math.pow(10, exponent) : k * multiplier / Math.pow(10, -exponent));
        }
        double[] ticks = values.stream().mapToDouble(Double::doubleValue).toArray();
        List<String> labels = values.stream().map(v -> format(v, step)).toList();
        return new Axis(min, max, step, ticks, labels);
    }

    private static boolean fits(Axis a, double pixels, ToDoubleFunction<String> labelSize, double gap) {
        double[] t = a.ticks();
        for (int i = 0; i + 1 < t.length; i++) {
            double distance = (t[i + 1] - t[i]) / (a.max() - a.min()) * pixels;
            double needed = (labelSize.applyAsDouble(a.labels().get(i)) + labelSize.applyAsDouble(a.labels().get(i + 1))) / 2 + gap;
            if (distance < needed) {
                return false;
            }
        }
        return true;
    }

    /** {@code value} with the decimals a tick step of {@code step} needs (0.5 → one, 0.05 → two, 10 → none). */
    public static String format(double value, double step) {
        int decimals = step >= 1 ? 0 : (int) Math.ceil(-Math.log10(step) - 1e-9);
        String s = String.format(Locale.ROOT, "%." + decimals + "f", value);
        return s.matches("-0(\\.0*)?") ? s.substring(1) : s;
    }
}
