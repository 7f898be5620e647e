package dev.kiln.optim;

/**
 * Drives an optimizer's learning rates with an {@link LrSchedule}: remembers each group's base lr,
 * sets the schedule's lr at construction (step 0), and advances one step per {@link #step()}
 * (call it after {@code optimizer.step()}, as in torch).
 */
public final class LrScheduler {
    private final Optimizer optimizer;
    private final LrSchedule schedule;
    private final double[] baseLrs;
    private long step;

    public LrScheduler(Optimizer optimizer, LrSchedule schedule) {
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
        for (int i = 0; i < baseLrs.length; i++) {
            optimizer.paramGroups().get(i).setLr(schedule.lr(baseLrs[i], step));
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
}
