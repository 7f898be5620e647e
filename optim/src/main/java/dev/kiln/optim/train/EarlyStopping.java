package dev.kiln.optim.train;

import java.util.Map;

/**
 * Stops a {@link TrainingLoop} when a monitored metric has not improved for {@code patience}
 * evaluations in a row (Keras' {@code EarlyStopping}, Lightning's {@code EarlyStopping}): an
 * evaluation improves when it beats the best so far by more than {@code minDelta} (lower for
 * {@link Mode#MIN}, higher for {@link Mode#MAX}). Its state (best value, evaluations without
 * improvement) goes into the loop's checkpoints.
 *
 * <p>Not thread-safe; one loop uses it.
 */
public final class EarlyStopping {
    /** Whether a smaller or a larger value is better. */
    public enum Mode { MIN, MAX }

    private final String metric;
    private final Mode mode;
    private final int patience;
    private final double minDelta;
    private double best = Double.NaN;
    private int bad;

    /**
     * @param metric the evaluator's metric to watch
     * @param patience evaluations without improvement before stopping, {@code >= 1}
     * @param minDelta how much better a value must be to count as an improvement, {@code >= 0}
     */
    public EarlyStopping(String metric, Mode mode, int patience, double minDelta) {
        if (metric == null || metric.isEmpty() || mode == null) {
            throw new IllegalArgumentException("EarlyStopping: metric and mode must be given, got '" + metric + "' and " + mode);
        }
        if (patience < 1) {
            throw new IllegalArgumentException("EarlyStopping: patience must be >= 1, got " + patience);
        }
        if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
            throw new IllegalArgumentException("EarlyStopping: minDelta must be >= 0 and finite, got " + minDelta);
        }
        this.metric = metric;
        this.mode = mode;
        this.patience = patience;
        this.minDelta = minDelta;
    }

    public String metric() {
        return metric;
    }

    /** The best value seen, NaN before the first evaluation. */
    public double best() {
        return best;
    }

    /**
     * Takes one evaluation's metrics; returns true when training should stop.
     *
     * @throws IllegalArgumentException when the metrics lack the monitored one or it is not a number
     */
    public boolean update(Map<String, Object> metrics) {
        if (!(metrics.get(metric) instanceof Number n)) {
            throw new IllegalArgumentException("EarlyStopping: the evaluation has no number '" + metric + "'; it has "
                    + metrics.keySet());
        }
        double v = n.doubleValue();
        boolean improved = Double.isNaN(best) ? !Double.isNaN(v)
                : mode == Mode.MIN ? v < best - minDelta : v > best + minDelta;
        if (improved) {
            best = v;
            bad = 0;
        } else {
            bad++;
        }
        return bad >= patience;
    }

    Map<String, String> state() {
        return Map.of("best", Double.toString(best), "bad", Integer.toString(bad));
    }

    void restore(Map<String, String> state) {
        String b = state.get("best");
        String c = state.get("bad");
        if (b == null || c == null) {
            throw new IllegalArgumentException("EarlyStopping.restore: the checkpoint has no early-stopping state (best, bad), got "
                    + state.keySet());
        }
        best = Double.parseDouble(b);
        bad = Integer.parseInt(c);
    }
}
