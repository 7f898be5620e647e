package dev.kiln.optim;

/**
 * A learning-rate schedule as a pure function of the step: the multiplier of a group's base
 * learning rate after {@code step} scheduler steps (0 = before the first). Pure functions make
 * checkpoints trivial (the step count is the whole state) and match torch's closed forms
 * (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, OneCycleLR).
 */
@FunctionalInterface
public interface LrSchedule {
    /** The learning rate at {@code step} for a group whose initial learning rate is {@code baseLr}. */
    double lr(double baseLr, long step);

    static LrSchedule constant() {
        return (base, step) -> base;
    }

    /** torch StepLR: {@code base * gamma^(step / stepSize)}. */
    static LrSchedule step(int stepSize, double gamma) {
        if (stepSize < 1) {
            throw new IllegalArgumentException("step schedule: stepSize must be positive, got " + stepSize);
        }
        return (base, step) -> base * Math.pow(gamma, Math.floorDiv(step, stepSize));
    }

    /** torch MultiStepLR: multiplied by gamma at each milestone reached. */
    static LrSchedule multiStep(int[] milestones, double gamma) {
        int[] ms = milestones.clone();
        java.util.Arrays.sort(ms);
        return (base, step) -> {
            int passed = 0;
            for (int m : ms) {
                if (step >= m) {
                    passed++;
                }
            }
            return base * Math.pow(gamma, passed);
        };
    }

    /** torch ExponentialLR: {@code base * gamma^step}. */
    static LrSchedule exponential(double gamma) {
        return (base, step) -> base * Math.pow(gamma, step);
    }

    /** torch CosineAnnealingLR (closed form): from base down to etaMin over tMax steps, then back up (a cosine period of 2 tMax). */
    static LrSchedule cosine(int tMax, double etaMin) {
        if (tMax < 1) {
            throw new IllegalArgumentException("cosine schedule: tMax must be positive, got " + tMax);
        }
        return (base, step) -> etaMin + (base - etaMin) * (1 + Math.cos(Math.PI * step / tMax)) / 2;
    }

    /**
     * Linear warm-up from 0 to base over {@code warmupSteps}, then cosine decay to {@code minLr}
     * at {@code totalSteps}, constant after (the GPT recipe; lr at step s uses s+1 during warm-up
     * so the first update is not at lr 0).
     */
    static LrSchedule warmupCosine(int warmupSteps, int totalSteps, double minLr) {
        if (warmupSteps < 0 || totalSteps <= warmupSteps) {
            throw new IllegalArgumentException("warmupCosine: need 0 <= warmupSteps < totalSteps, got " + warmupSteps
                    + " and " + totalSteps);
        }
        return (base, step) -> {
            if (step < warmupSteps) {
                return base * (step + 1) / warmupSteps;
            }
            if (step >= totalSteps) {
                return minLr;
            }
            double progress = (double) (step - warmupSteps) / (totalSteps - warmupSteps);
            return minLr + (base - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
        };
    }

    /**
     * torch OneCycleLR with cosine annealing and the default three-phase off: from
     * {@code maxLr / divFactor} up to maxLr over {@code pctStart * totalSteps - 1} steps, then down to
     * {@code initial / finalDivFactor} at step {@code totalSteps - 1}. The group's base lr is ignored
     * (OneCycle defines its own), as in torch.
     */
    static LrSchedule oneCycle(double maxLr, int totalSteps, double pctStart, double divFactor, double finalDivFactor) {
        if (totalSteps < 2 || !(pctStart > 0 && pctStart < 1)) {
            throw new IllegalArgumentException("oneCycle: need totalSteps >= 2 and 0 < pctStart < 1, got " + totalSteps
                    + " and " + pctStart);
        }
        double initial = maxLr / divFactor;
        double min = initial / finalDivFactor;
        double upEnd = pctStart * totalSteps - 1;
        double downEnd = totalSteps - 1;
        return (base, step) -> {
            if (step > totalSteps) { // torch raises from the (totalSteps + 1)-th step on
                throw new IllegalStateException("oneCycle: stepped " + step + " times, beyond totalSteps " + totalSteps);
            }
            if (step <= upEnd) {
                return annealCos(initial, maxLr, step / upEnd);
            }
            return annealCos(maxLr, min, (step - upEnd) / (downEnd - upEnd));
        };
    }

    private static double annealCos(double start, double end, double pct) {
        return end + (start - end) / 2.0 * (Math.cos(Math.PI * pct) + 1);
    }
}
