package dev.kiln.optim.train;

import java.util.Map;

/**
 * Receives a {@link TrainingLoop}'s metric records, one flat map per record with a {@code "kind"}
 * ({@code "step"}, {@code "eval"}, {@code "epoch"}) and a {@code "step"}; a JSON Lines file is the
 * usual sink. Keys keep their insertion order. Called on the training thread.
 */
@FunctionalInterface
public interface MetricsSink {
    void write(Map<String, ?> record);

    /** A sink that drops everything. */
    static MetricsSink none() {
        return _ -> {};
    }
}
