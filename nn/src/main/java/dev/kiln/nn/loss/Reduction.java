package dev.kiln.nn.loss;

/** How a loss reduces its per-element values (torch's {@code reduction='none' | 'mean' | 'sum'}). */
public enum Reduction {
    /** The per-element losses, in the target's shape. */
    NONE,
    /** Their mean (weighted, for the class-index losses: see {@link Losses#nllLoss}). */
    MEAN,
    /** Their sum. */
    SUM
}
