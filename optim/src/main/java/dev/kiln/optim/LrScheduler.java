package dev.kiln.optim;

import java.util.OptionalDouble;

/**
 * Drives an optimizer's learning rates with an {@link LrSchedule}: remembers each group's base lr,
 * sets the schedule's lr at construction (step 0), and advances one step per {@link #step()}
 * (call it after {@code optimizer.step()}, as in torch). A schedule that cycles momentum
 * ({@link OneCycle}) also sets each group's beta1 (Adam, AdamW) or momentum (SGD, RMSprop).
 *
 * <p>One scheduler per optimizer: a second one would overwrite the first's learning rates, so it
 * is refused; combine schedules with {@link LrSchedule#chain} or {@link LrSchedule#sequential}.
 */
public final class LrScheduler {
    private final Optimizer optimizer;
    private final LrSchedule schedule;
    private final double[] baseLrs;
    /** The group hyper-parameter the schedule's momentum goes to, or null when it sets none. */
    private final String momentumName;
    private long step;

    public LrScheduler(Optimizer optimizer, LrSchedule schedule) {
        if (optimizer == null || schedule == null) {
            throw new IllegalArgumentException("LrScheduler: optimizer and schedule must not be null, got " + optimizer
                    + " and " + schedule);
        }
        if (schedule.momentum(0).isPresent()) {
            ParamGroup first = optimizer.paramGroups().get(0);
            if (first.has(ParamGroup.BETA1)) {
                momentumName = ParamGroup.BETA1;
            } else if (first.has(ParamGroup.MOMENTUM)) {
                momentumName = ParamGroup.MOMENTUM;
            } else {
                throw new IllegalArgumentException("LrScheduler: the schedule cycles momentum, but "
                        + optimizer.getClass().getSimpleName() + " has neither momentum nor betas (its hyper-parameters are "
                        + optimizer.defaults().keySet() + "); turn cycleMomentum off");
            }
        } else {
            momentumName = null;
        }
        optimizer.attachScheduler(this);
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.baseLrs = new double[optimizer.paramGroups().size()];
        for (int i = 0; i < baseLrs.length; i++) {
            baseLrs[i] = optimizer.paramGroups().get(i).lr();
        }
        apply();
    }

    public void step() {
        step++;
        apply();
    }

    private void apply() {
        OptionalDouble momentum = momentumName == null ? OptionalDouble.empty() : schedule.momentum(step);
        for (int i = 0; i < baseLrs.length; i++) {
            ParamGroup g = optimizer.paramGroups().get(i);
            g.setLr(schedule.lr(baseLrs[i], step));
            if (momentum.isPresent()) {
                g.set(momentumName, momentum.getAsDouble());
            }
        }
    }

    /** Steps taken so far (the scheduler's whole state, for checkpoints). */
    public long stepCount() {
        return step;
    }

    /** Resumes at {@code step} (from a checkpoint). */
    public void setStepCount(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("LrScheduler: step must be >= 0, got " + step);
        }
        this.step = step;
        apply();
    }

    /** The current learning rate of group {@code i}. */
    public double lr(int i) {
        return optimizer.paramGroups().get(i).lr();
    }

    /** The current momentum (or beta1) of group {@code i}, the value a momentum-cycling schedule sets. */
    public double momentum(int i) {
        ParamGroup g = optimizer.paramGroups().get(i);
        return g.getDouble(g.has(ParamGroup.BETA1) ? ParamGroup.BETA1 : ParamGroup.MOMENTUM);
    }
}
