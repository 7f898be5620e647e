package dev.kiln.optim.train;

import java.util.Iterator;
import java.util.Map;

/**
 * Where a {@link TrainingLoop} takes its micro-batches from: a cursor over a sequence of epochs
 * whose position can be saved in a checkpoint and restored, so that a resumed run sees exactly the
 * batches the uninterrupted run would have seen.
 *
 * <p>{@link #epoch()} hands out the micro-batches of the current epoch not handed out yet; once an
 * epoch has been handed out completely, the next call starts the next epoch (a data loader's
 * {@code iterator()} has this contract). An endless stream (random windows of a corpus) returns an
 * iterator that never ends and trains on a step budget.
 *
 * <p>Micro-batches that implement {@link AutoCloseable} are closed by the loop once their step is
 * done. The state holds only what the source itself keeps; generators it draws from can instead be
 * registered with the {@code TrainingCheckpoint}.
 *
 * @param <B> the micro-batch type
 */
public interface BatchSource<B> {
    /** The rest of the current epoch, or the next epoch when the current one is complete. */
    Iterator<B> epoch();

    /** The position to save in a checkpoint (keys: letters, digits, '_', '.'; may be empty). */
    Map<String, String> state();

    /** Moves the source to a {@link #state()} taken from a source built the same way. */
    void restore(Map<String, String> state);

    /** An endless source that calls {@code next} for every micro-batch and keeps no state of its own. */
    static <B> BatchSource<B> endless(java.util.function.Supplier<B> next) {
        Iterator<B> it = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public B next() {
                return next.get();
            }
        };
        return new BatchSource<>() {
            @Override
            public Iterator<B> epoch() {
                return it;
            }

            @Override
            public Map<String, String> state() {
                return Map.of();
            }

            @Override
            public void restore(Map<String, String> state) {}
        };
    }
}
