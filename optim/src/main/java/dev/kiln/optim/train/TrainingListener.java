package dev.kiln.optim.train;

import java.util.List;
import java.util.Map;

/**
 * Progress callbacks of a {@link TrainingLoop} (a terminal progress line, a plot, a dashboard). All
 * methods are called on the training thread, in the order of the events; the record maps are the
 * ones about to be written to the {@link MetricsSink}, so a listener may add fields to them (a
 * throughput) or remove some. Default methods do nothing.
 */
public interface TrainingListener {
    /**
     * One optimizer step done.
     *
     * @param result what the trainer reported
     * @param epoch the epoch the step belongs to, from 0
     * @param microBatches the step's micro-batches (still open; closed after the listeners ran)
     * @param dataNanos time spent waiting for the micro-batches
     * @param stepNanos time of the whole step, data included
     * @param record the step record, mutable
     */
    default void onStep(Trainer.StepResult result, long epoch, List<?> microBatches, long dataNanos, long stepNanos,
            Map<String, Object> record) {}

    /** An evaluation at {@code step} (0: before training) finished; {@code record} holds its metrics. */
    default void onEvaluation(long step, Map<String, Object> metrics, Map<String, Object> record) {}

    /** Epoch {@code epoch} (from 0) ended, after its evaluation; {@code record} is the epoch record. */
    default void onEpochEnd(long epoch, Map<String, Object> record) {}

    /** A checkpoint of {@code step} was written. */
    default void onCheckpoint(long step, java.nio.file.Path file) {}
}
