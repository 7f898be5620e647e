package dev.kiln.eval.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects the differences between computed and reference values of one fixture case, so a
 * failure lists every key that diverged and by how much. Allowed error: 1e-12 · max(1, |reference|)
 * (absolute near zero, relative for large values); NaN matches NaN and infinities match exactly.
 */
public final class Tolerance {
    public static final double RTOL = 1e-12;

    private final String where;
    private final List<String> failures = new ArrayList<>();
    private int compared;

    public Tolerance(String where) {
        this.where = where;
    }

    public void check(String key, double expected, double actual) {
        compared++;
        boolean same = Double.isNaN(expected) ? Double.isNaN(actual)
                : Double.isInfinite(expected) ? expected == actual
                : Math.abs(expected - actual) <= RTOL * Math.max(1.0, Math.abs(expected));
        if (!same) {
            failures.add(key + ": expected " + expected + ", got " + actual + " (difference " + (actual - expected) + ")");
        }
    }

    public void check(String key, double[] expected, double[] actual) {
        if (expected.length != actual.length) {
            compared++;
            failures.add(key + ": expected " + expected.length + " values, got " + actual.length);
            return;
        }
        for (int i = 0; i < expected.length; i++) {
            check(key + "[" + i + "]", expected[i], actual[i]);
        }
    }

    public void check(String key, double[][] expected, double[][] actual) {
        if (expected.length != actual.length) {
            compared++;
            failures.add(key + ": expected " + expected.length + " rows, got " + actual.length);
            return;
        }
        for (int i = 0; i < expected.length; i++) {
            check(key + "[" + i + "]", expected[i], actual[i]);
        }
    }

    /** The reference raised for this output; so must Kiln, with an IllegalArgumentException. */
    public void checkRaises(String key, Runnable computation) {
        compared++;
        try {
            computation.run();
            failures.add(key + ": the reference raised, but Kiln returned a value");
        } catch (IllegalArgumentException expected) {
            // both refuse
        }
    }

    public void fail(String message) {
        failures.add(message);
    }

    public int compared() {
        return compared;
    }

    /** Throws an AssertionError listing every divergence; also fails when nothing was compared. */
    public void verify() {
        if (compared == 0) {
            throw new AssertionError(where + ": nothing was compared");
        }
        if (!failures.isEmpty()) {
            throw new AssertionError(where + ": " + failures.size() + " of " + compared + " values diverge:\n  "
                    + String.join("\n  ", failures));
        }
    }
}
