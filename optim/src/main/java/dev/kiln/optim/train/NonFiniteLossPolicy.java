package dev.kiln.optim.train;

/**
 * What a {@link TrainingLoop} does when a step's loss is NaN or infinite (a diverged run: a
 * learning rate too high, an exploding gradient, bad data). Keras' {@code TerminateOnNaN} is
 * {@link #STOP}; plain PyTorch loops are {@link #CONTINUE}.
 */
public enum NonFiniteLossPolicy {
    /**
     * Stop at once with a {@link NonFiniteLossException} naming the step and the epoch: no
     * evaluation, no checkpoint of the broken weights (the last one written stays the newest).
     * The default.
     */
    STOP,
    /** Keep training; the step records carry the non-finite loss for a listener or sink to report. */
    CONTINUE
}
