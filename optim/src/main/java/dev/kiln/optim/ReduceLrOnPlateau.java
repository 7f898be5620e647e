package dev.kiln.optim;

/**
 * torch ReduceLROnPlateau (mode "min", relative threshold): after {@code patience} evaluations
 * without an improvement of more than {@code threshold} (relative) over the best metric, multiplies
 * every group's lr by {@code factor} (not below {@code minLr}), then waits {@code cooldown}
 * evaluations before counting again.
 */
public final class ReduceLrOnPlateau {
    private final Optimizer optimizer;
    private final double factor;
    private final int patience;
    private final double threshold;
    private final int cooldown;
    private final double minLr;
    private double best = Double.POSITIVE_INFINITY;
    private int badEpochs;
    private int cooldownLeft;

    public ReduceLrOnPlateau(Optimizer optimizer) {
        this(optimizer, 0.1, 10, 1e-4, 0, 0);
    }

    public ReduceLrOnPlateau(Optimizer optimizer, double factor, int patience, double threshold, int cooldown, double minLr) {
        if (!(factor > 0 && factor < 1)) {
            throw new IllegalArgumentException("ReduceLrOnPlateau: factor must be in (0, 1), got " + factor);
        }
        this.optimizer = optimizer;
        this.factor = factor;
        this.patience = patience;
        this.threshold = threshold;
        this.cooldown = cooldown;
        this.minLr = minLr;
    }

    /** Reports a validation metric (lower is better). */
    public void step(double metric) {
        if (metric < best * (1 - threshold)) {
            best = metric;
            badEpochs = 0;
        } else {
            badEpochs++;
        }
        if (cooldownLeft > 0) {
            cooldownLeft--;
            badEpochs = 0;
        }
        if (badEpochs > patience) {
            for (ParamGroup g : optimizer.paramGroups()) {
                double newLr = Math.max(g.lr() * factor, minLr);
                if (g.lr() - newLr > 1e-8) { // torch's eps: ignore reductions smaller than this
                    g.setLr(newLr);
                }
            }
            cooldownLeft = cooldown;
            badEpochs = 0;
        }
    }
}
