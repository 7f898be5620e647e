package dev.kiln.apps.train;

import dev.kiln.nn.Dropout;
import dev.kiln.nn.Module;
import dev.kiln.optim.checkpoint.TrainingCheckpoint;
import java.util.Map;

/**
 * Registers the mask generators of a model's {@link Dropout} layers with a training checkpoint,
 * as {@code dropout.<module path>} ({@code dropout.layers.0.dropout1}): dropout draws from them
 * on every training step, so without them a resumed run would drop other units than the
 * uninterrupted run and end with other weights.
 */
final class DropoutGenerators {
    private DropoutGenerators() {}

    /** Registers every dropout layer under {@code model}; returns {@code checkpoint}. */
    static TrainingCheckpoint register(TrainingCheckpoint checkpoint, Module model) {
        walk(checkpoint, model, "");
        return checkpoint;
    }

    private static void walk(TrainingCheckpoint checkpoint, Module m, String path) {
        if (m instanceof Dropout d) {
            checkpoint.generator("dropout." + (path.isEmpty() ? "root" : path), d.generator());
        }
        for (Map.Entry<String, Module> c : m.children().entrySet()) {
            walk(checkpoint, c.getValue(), path.isEmpty() ? c.getKey() : path + "." + c.getKey());
        }
    }
}
