package dev.kiln.data;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * An indexed collection of examples, like {@code torch.utils.data.Dataset}: {@link #size()}
 * examples, read one at a time by {@link #get(int)}.
 *
 * <p><b>Threads.</b> A {@link DataLoader} with prefetch calls {@link #get} from its one background
 * thread (never from two threads at once), so an implementation must be safe to read from a thread
 * other than the one that built it; immutable data read from arrays or files is.
 *
 * <p><b>Tensors.</b> When {@code T} holds tensors, {@link #get} should return new tensors (or views):
 * the loader closes what collation does not keep.
 *
 * @param <T> the example type
 */
public interface Dataset<T> {
    /** Number of examples, {@code >= 0}. */
    int size();

    /**
     * The example at {@code index}.
     *
     * @throws IndexOutOfBoundsException if {@code index} is outside {@code [0, size())}
     */
    T get(int index);

    /** This dataset with {@code f} applied to each example as it is read. */
    default <U> Dataset<U> map(Function<? super T, ? extends U> f) {
        Objects.requireNonNull(f, "Dataset.map: f");
        Dataset<T> self = this;
        return new Dataset<>() {
            @Override
            public int size() {
                return self.size();
            }

            @Override
            public U get(int index) {
                return f.apply(self.get(index));
            }
        };
    }

    /** A dataset over an immutable copy of {@code items}. */
    static <T> Dataset<T> of(List<T> items) {
        List<T> copy = List.copyOf(items);
        return new Dataset<>() {
            @Override
            public int size() {
                return copy.size();
            }

            @Override
            public T get(int index) {
                return copy.get(index);
            }
        };
    }

    /** The examples at {@code [from, to)} of {@code base}, e.g. a validation split. */
    static <T> Dataset<T> subset(Dataset<T> base, int from, int to) {
        Objects.requireNonNull(base, "Dataset.subset: base");
        if (from < 0 || to > base.size() || from > to) {
            throw new IndexOutOfBoundsException(
                    "Dataset.subset: range [" + from + ", " + to + ") is not within [0, " + base.size() + ")");
        }
        return new Dataset<>() {
            @Override
            public int size() {
                return to - from;
            }

            @Override
            public T get(int index) {
                Objects.checkIndex(index, to - from);
                return base.get(from + index);
            }
        };
    }
}
