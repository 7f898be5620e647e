package dev.kiln.optim.train;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Thrown by {@link TrainingLoop#fit} under {@link NonFiniteLossPolicy#STOP} when a step's loss is
 * NaN or infinite. The step's record has been written (so the metrics show it); nothing after it
 * ran, and the checkpoint directory still holds only checkpoints of earlier, finite steps.
 */
public final class NonFiniteLossException extends ArithmeticException {
    private static final long serialVersionUID = 1L;

    private final long step;
    private final long epoch;
    private final double loss;
    private final transient Path lastCheckpoint;

    /**
     * @param step the trainer's step count after the bad step (1 for the first step)
     * @param epoch the epoch of the step, from 0
     * @param loss the non-finite loss
     * @param lastCheckpoint the newest checkpoint written before it, or null
     */
    public NonFiniteLossException(long step, long epoch, double loss, Path lastCheckpoint) {
        super("loss is " + loss + " at step " + step + " (epoch " + (epoch + 1) + ")"
                + (lastCheckpoint != null ? "; the last good checkpoint is " + lastCheckpoint
                        : "; no checkpoint was written before it"));
        this.step = step;
        this.epoch = epoch;
        this.loss = loss;
        this.lastCheckpoint = lastCheckpoint;
    }

    /** The trainer's step count after the bad step (1-based, as in the step records). */
    public long step() {
        return step;
    }

    /** The epoch of the bad step, from 0 (as in the step records; the message counts from 1). */
    public long epoch() {
        return epoch;
    }

    /** The loss: NaN, or an infinity. */
    public double loss() {
        return loss;
    }

    /** The newest checkpoint written before the bad step, if any. */
    public Optional<Path> lastCheckpoint() {
        return Optional.ofNullable(lastCheckpoint);
    }
}
