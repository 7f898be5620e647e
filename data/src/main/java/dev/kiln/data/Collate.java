package dev.kiln.data;

import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the examples of one batch into the batch's tensors, like {@code collate_fn} in PyTorch.
 * Called on the loader's prefetch thread when prefetch is on, inside a {@link
 * dev.kiln.tensor.TensorScope} that closes every tensor created during the call except the ones
 * returned; so a collate function may build temporaries freely, and must return tensors the batch
 * may own (new tensors or views).
 *
 * @param <T> the example type
 */
@FunctionalInterface
public interface Collate<T> {
    /** The batch's tensors for {@code examples} (in batch order, never empty). */
    List<Tensor> collate(List<T> examples);

    /**
     * The default collation of fixed-size examples: each example is an array of tensors with the
     * same count, shapes and dtypes in every example; field {@code k} of the batch is the stack of
     * field {@code k} of every example along a new first dimension ({@code [B, ...shape]}), as
     * PyTorch's {@code default_collate} does with tuples of tensors.
     *
     * @throws IllegalArgumentException (when called) naming the example and field whose count,
     *     shape or dtype differs from example 0's
     */
    static Collate<Tensor[]> stack() {
        return examples -> {
            Tensor[] first = examples.getFirst();
            if (first == null || first.length == 0) {
                throw new IllegalArgumentException("Collate.stack: example 0 has no tensors");
            }
            for (int e = 1; e < examples.size(); e++) {
                Tensor[] ex = examples.get(e);
                if (ex == null || ex.length != first.length) {
                    throw new IllegalArgumentException("Collate.stack: example " + e + " has "
                            + (ex == null ? "no array" : ex.length + " tensors") + ", example 0 has " + first.length);
                }
                for (int k = 0; k < first.length; k++) {
                    if (!ex[k].shape().equals(first[k].shape()) || ex[k].dtype() != first[k].dtype()) {
                        throw new IllegalArgumentException("Collate.stack: field " + k + " of example " + e + " is "
                                + ex[k].shape() + " " + ex[k].dtype() + ", of example 0 " + first[k].shape() + " "
                                + first[k].dtype() + " (examples must have fixed shapes to be stacked)");
                    }
                }
            }
            List<Tensor> out = new ArrayList<>(first.length);
            for (int k = 0; k < first.length; k++) {
                List<Tensor> column = new ArrayList<>(examples.size());
                for (Tensor[] ex : examples) {
                    column.add(ex[k]);
                }
                out.add(Tensor.stack(column, 0));
            }
            return out;
        };
    }
}
