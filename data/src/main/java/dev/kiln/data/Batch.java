package dev.kiln.data;

import dev.kiln.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * One batch: a few tensors whose first dimension is the batch (for example images {@code [B, 28, 28]}
 * and labels {@code [B]}), in the order the collate function returned them.
 *
 * <p><b>Ownership.</b> The consumer owns every batch a {@link DataLoader} hands out: the tensors are
 * registered with no {@link dev.kiln.tensor.TensorScope} (not even the one open around the loop),
 * with or without prefetch, so a scope never closes them behind the consumer's back. Close the batch
 * when done with it (try-with-resources), or leave it to the garbage collector.
 *
 * @param tensors the batch's tensors, at least one
 * @param indices the dataset indices of the examples, in batch order
 */
public record Batch(List<Tensor> tensors, int[] indices) implements AutoCloseable {
    public Batch {
        tensors = List.copyOf(tensors);
        Objects.requireNonNull(indices, "Batch: indices");
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("Batch: needs at least one tensor");
        }
    }

    /** Tensor {@code i} of the batch. */
    public Tensor get(int i) {
        return tensors.get(i);
    }

    /** Number of examples. */
    public int size() {
        return indices.length;
    }

    /** The dataset indices of the examples (a copy). */
    @Override
    public int[] indices() {
        return indices.clone();
    }

    /** Closes every tensor of the batch (idempotent). */
    @Override
    public void close() {
        for (Tensor t : tensors) {
            t.close();
        }
    }
}
