package dev.kiln.serve.batch;

/**
 * Hears what a {@link DynamicBatcher} measures, for the server's metrics. Called on the batcher's
 * thread: implementations must be quick and must not throw.
 */
@FunctionalInterface
public interface BatchObserver {
    /** One forward pass over {@code examples} examples is starting. */
    void batch(int examples);

    /** One request waited {@code nanos} from being queued to the start of its batch's forward pass. */
    default void queued(long nanos) {}

    /** One request's forward pass (shared with the rest of its batch) took {@code nanos}. */
    default void inferred(long nanos) {}
}
