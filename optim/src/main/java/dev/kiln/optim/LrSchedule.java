package dev.kiln.optim;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;

/**
 * A learning-rate schedule as a pure function of the step: a group's learning rate after
 * {@code step} scheduler steps (0 = before the first) from its base learning rate. Pure functions
 * make checkpoints trivial (the step count is the whole state) and match torch's closed forms
 * (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, {@link OneCycle}).
 *
 * <p>Schedules combine instead of overwriting each other: {@link #chain} applies several in the
 * same step (torch's ChainedScheduler) and {@link #sequential} switches from one to the next at
 * milestones (torch's SequentialLR). One {@link LrScheduler} drives one optimizer.
 */
@FunctionalInterface
public interface LrSchedule {
    /** The learning rate at {@code step} for a group whose initial learning rate is {@code baseLr}. */
    double lr(double baseLr, long step);

    /**
     * The momentum (SGD, RMSprop) or beta1 (Adam, AdamW) the schedule sets at {@code step}, if it
     * cycles momentum ({@link OneCycle}); empty for schedules that leave momentum alone.
     */
    default OptionalDouble momentum(long step) {
        return OptionalDouble.empty();
    }

    /**
     * torch ChainedScheduler: every schedule acts in the same step, each on the learning rate the
     * previous one produced ({@code last(...second(first(base, t), t)..., t)}). For the
     * multiplicative schedules (step, multiStep, exponential, linear) that is the product of their
     * factors, which is what torch's chainable updates compute; the momentum is the last one set.
     */
    static LrSchedule chain(LrSchedule... schedules) {
        if (schedules.length == 0) {
            throw new IllegalArgumentException("chain: needs at least one schedule, got none");
        }
        LrSchedule[] parts = schedules.clone();
        return new LrSchedule() {
            @Override
            public double lr(double baseLr, long step) {
                double lr = baseLr;
                for (LrSchedule s : parts) {
                    lr = s.lr(lr, step);
                }
                return lr;
            }

            @Override
            public OptionalDouble momentum(long step) {
                OptionalDouble m = OptionalDouble.empty();
                for (LrSchedule s : parts) {
                    OptionalDouble here = s.momentum(step);
                    if (here.isPresent()) {
                        m = here;
                    }
                }
                return m;
            }
        };
    }

    /**
     * torch SequentialLR: {@code schedules.get(i)} runs from milestone {@code i-1} (0 for the first)
     * and restarts from the group's base lr at its own step 0, as torch's {@code step(0)} does.
     * {@code milestones} are strictly increasing and one fewer than the schedules.
     */
    static LrSchedule sequential(List<LrSchedule> schedules, int... milestones) {
        if (schedules.size() != milestones.length + 1) {
            throw new IllegalArgumentException("sequential: expects one more schedule than milestones, got "
                    + schedules.size() + " schedules and milestones " + Arrays.toString(milestones));
        }
        for (int i = 0; i < milestones.length; i++) {
            if (milestones[i] < 1 || (i > 0 && milestones[i] <= milestones[i - 1])) {
                throw new IllegalArgumentException("sequential: milestones must be positive and strictly increasing, got "
                        + Arrays.toString(milestones));
            }
        }
        LrSchedule[] parts = schedules.toArray(new LrSchedule[0]);
        int[] ms = milestones.clone();
        return new LrSchedule() {
            private int active(long step) {
                int i = 0;
                while (i < ms.length && step >= ms[i]) { // bisect_right
                    i++;
                }
                return i;
            }

            private long local(int i, long step) {
                return i == 0 ? step : step - ms[i - 1];
            }

            @Override
            public double lr(double baseLr, long step) {
                int i = active(step);
                return parts[i].lr(baseLr, local(i, step));
            }

            @Override
            public OptionalDouble momentum(long step) {
                int i = active(step);
                return parts[i].momentum(local(i, step));
            }
        };
    }

    /**
     * torch LinearLR: the factor of the base lr moves linearly from {@code startFactor} to
     * {@code endFactor} over {@code totalIters} steps, then stays.
     */
    static LrSchedule linear(double startFactor, double endFactor, int totalIters) {
        if (!(startFactor > 0 && startFactor <= 1) || !(endFactor >= 0 && endFactor <= 1)) {
            throw new IllegalArgumentException("linear: need 0 < startFactor <= 1 and 0 <= endFactor <= 1, got "
                    + startFactor + " and " + endFactor);
        }
        if (totalIters < 1) {
            throw new IllegalArgumentException("linear: totalIters must be positive, got " + totalIters);
        }
        return (base, step) -> base * (startFactor + (endFactor - startFactor) * Math.min(totalIters, step) / totalIters);
    }

    /** torch LinearLR's defaults: from a third of the base lr up to all of it over 5 steps. */
    static LrSchedule linear() {
        return linear(1.0 / 3, 1.0, 5);
    }

    static LrSchedule constant() {
        return (base, step) -> base;
    }

    /** torch ConstantLR: {@code base * factor} for the first {@code totalIters} steps, then {@code base}. */
    static LrSchedule constant(double factor, int totalIters) {
        if (!(factor >= 0 && factor <= 1)) {
            throw new IllegalArgumentException("constant: factor must be in [0, 1], got " + factor);
        }
        if (totalIters < 0) {
            throw new IllegalArgumentException("constant: totalIters must be >= 0, got " + totalIters);
        }
        return (base, step) -> step < totalIters ? base * factor : base;
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
        Arrays.sort(ms);
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
}
