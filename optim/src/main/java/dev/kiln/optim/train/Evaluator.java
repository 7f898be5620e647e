package dev.kiln.optim.train;

import java.util.Map;

/**
 * Evaluates the model for a {@link TrainingLoop}: returns named metrics ({@code "val_loss"},
 * {@code "test_accuracy"}...), numbers in the order they should be recorded. It must leave the
 * model in training mode and must not draw from generators the training uses (a resumed run would
 * diverge otherwise).
 */
@FunctionalInterface
public interface Evaluator {
    Map<String, Object> evaluate();
}
