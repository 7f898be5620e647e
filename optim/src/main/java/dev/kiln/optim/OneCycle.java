package dev.kiln.optim;

import java.util.OptionalDouble;

/**
 * torch OneCycleLR (Smith &amp; Topin): the lr rises from {@code maxLr / divFactor} to {@code maxLr}
 * over the first {@code pctStart} of {@code totalSteps}, then falls to {@code initial /
 * finalDivFactor} at step {@code totalSteps - 1}; with {@code threePhase} it first falls back to
 * the initial lr and only then anneals to the minimum. With {@code cycleMomentum} (torch's default)
 * the momentum (SGD, RMSprop) or beta1 (Adam, AdamW) moves the opposite way, between
 * {@code maxMomentum} and {@code baseMomentum}. The group's base lr is ignored (OneCycle defines
 * its own), as in torch.
 *
 * <pre>{@code
 * LrScheduler s = new LrScheduler(opt, OneCycle.builder(0.1, 1000).pctStart(0.3).build());
 * }</pre>
 */
public final class OneCycle implements LrSchedule {
    /** How each phase moves from its start to its end value (torch's anneal_strategy). */
    public enum Anneal { COS, LINEAR }

    private final int totalSteps;
    private final Anneal anneal;
    private final boolean cycleMomentum;
    // Phases as torch lays them out: end step, lr from -> to, momentum from -> to.
    private final double[] endSteps;
    private final double[] lrFrom;
    private final double[] lrTo;
    private final double[] momentumFrom;
    private final double[] momentumTo;

    private OneCycle(Builder b) {
        this.totalSteps = b.totalSteps;
        this.anneal = b.anneal;
        this.cycleMomentum = b.cycleMomentum;
        double maxLr = b.maxLr;
        double maxMomentum = b.maxMomentum;
        double baseMomentum = b.baseMomentum;
        double initial = maxLr / b.divFactor;
        double min = initial / b.finalDivFactor;
        double up = b.pctStart * totalSteps - 1;
        double last = totalSteps - 1;
        if (b.threePhase) {
            endSteps = new double[] {up, 2 * b.pctStart * totalSteps - 2, last};
            lrFrom = new double[] {initial, maxLr, initial};
            lrTo = new double[] {maxLr, initial, min};
            momentumFrom = new double[] {maxMomentum, baseMomentum, maxMomentum};
            momentumTo = new double[] {baseMomentum, maxMomentum, maxMomentum};
        } else {
            endSteps = new double[] {up, last};
            lrFrom = new double[] {initial, maxLr};
            lrTo = new double[] {maxLr, min};
            momentumFrom = new double[] {maxMomentum, baseMomentum};
            momentumTo = new double[] {baseMomentum, maxMomentum};
        }
    }

    /** torch OneCycleLR(optimizer, max_lr, total_steps) with its defaults until set. */
    public static Builder builder(double maxLr, int totalSteps) {
        return new Builder(maxLr, totalSteps);
    }

    @Override
    public double lr(double baseLr, long step) {
        // At step totalSteps (after the last update, so no update uses it) torch extrapolates the
        // linear anneal below the minimum, to a negative lr that a ParamGroup refuses: clamp at 0.
        return Math.max(0, at(step, lrFrom, lrTo));
    }

    @Override
    public OptionalDouble momentum(long step) {
        return cycleMomentum ? OptionalDouble.of(at(step, momentumFrom, momentumTo)) : OptionalDouble.empty();
    }

    /** torch's get_lr: the first phase whose end is not passed (or the last one), annealed by the fraction done. */
    private double at(long step, double[] from, double[] to) {
        if (step > totalSteps) { // torch raises from the (totalSteps + 1)-th step on
            throw new IllegalStateException("OneCycle: stepped " + step + " times, beyond totalSteps " + totalSteps);
        }
        double start = 0;
        for (int i = 0; i < endSteps.length; i++) {
            double end = endSteps[i];
            if (step <= end || i == endSteps.length - 1) {
                double pct = (step - start) / (end - start);
                return anneal == Anneal.COS
                        ? to[i] + (from[i] - to[i]) / 2.0 * (Math.cos(Math.PI * pct) + 1)
                        : (to[i] - from[i]) * pct + from[i];
            }
            start = end;
        }
        throw new AssertionError("unreachable: the last phase always matches");
    }

    /** OneCycle's settings, torch's defaults until set. */
    public static final class Builder {
        private final double maxLr;
        private final int totalSteps;
        private double pctStart = 0.3;
        private Anneal anneal = Anneal.COS;
        private boolean cycleMomentum = true;
        private double baseMomentum = 0.85;
        private double maxMomentum = 0.95;
        private double divFactor = 25;
        private double finalDivFactor = 1e4;
        private boolean threePhase;

        private Builder(double maxLr, int totalSteps) {
            if (!(maxLr > 0) || Double.isInfinite(maxLr)) {
                throw new IllegalArgumentException("OneCycle: maxLr must be positive and finite, got " + maxLr);
            }
            if (totalSteps < 2) {
                throw new IllegalArgumentException("OneCycle: totalSteps must be >= 2, got " + totalSteps);
            }
            this.maxLr = maxLr;
            this.totalSteps = totalSteps;
        }

        /** The fraction of the steps spent raising the lr, in (0, 1) (0.3). */
        public Builder pctStart(double pctStart) {
            if (!(pctStart > 0 && pctStart < 1)) {
                throw new IllegalArgumentException("OneCycle: pctStart must be in (0, 1), got " + pctStart);
            }
            this.pctStart = pctStart;
            return this;
        }

        public Builder anneal(Anneal anneal) {
            if (anneal == null) {
                throw new IllegalArgumentException("OneCycle: anneal must be COS or LINEAR, got null");
            }
            this.anneal = anneal;
            return this;
        }

        /** Whether momentum / beta1 cycles between maxMomentum and baseMomentum (true). */
        public Builder cycleMomentum(boolean cycleMomentum) {
            this.cycleMomentum = cycleMomentum;
            return this;
        }

        /** The momentum at the lr's peak (0.85). */
        public Builder baseMomentum(double baseMomentum) {
            ParamGroup.checkBeta("OneCycle: baseMomentum", baseMomentum);
            this.baseMomentum = baseMomentum;
            return this;
        }

        /** The momentum at the start and the end (0.95). */
        public Builder maxMomentum(double maxMomentum) {
            ParamGroup.checkBeta("OneCycle: maxMomentum", maxMomentum);
            this.maxMomentum = maxMomentum;
            return this;
        }

        /** The initial lr is {@code maxLr / divFactor} (25). */
        public Builder divFactor(double divFactor) {
            if (!(divFactor > 0) || Double.isInfinite(divFactor)) {
                throw new IllegalArgumentException("OneCycle: divFactor must be positive and finite, got " + divFactor);
            }
            this.divFactor = divFactor;
            return this;
        }

        /** The final lr is {@code initial / finalDivFactor} (1e4). */
        public Builder finalDivFactor(double finalDivFactor) {
            if (!(finalDivFactor > 0) || Double.isInfinite(finalDivFactor)) {
                throw new IllegalArgumentException("OneCycle: finalDivFactor must be positive and finite, got " + finalDivFactor);
            }
            this.finalDivFactor = finalDivFactor;
            return this;
        }

        /** Up, back down to the initial lr, then down to the minimum (false: up, then down to the minimum). */
        public Builder threePhase(boolean threePhase) {
            this.threePhase = threePhase;
            return this;
        }

        public OneCycle build() {
            return new OneCycle(this);
        }
    }
}
