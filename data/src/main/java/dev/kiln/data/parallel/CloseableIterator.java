package dev.kiln.data.parallel;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * An iterator that holds resources (worker threads, open files) until it is closed. Use it in
 * try-with-resources; closing it before the end abandons the remaining elements.
 */
public interface CloseableIterator<T> extends Iterator<T>, AutoCloseable {
    /** Releases the resources; never throws a checked exception. Idempotent. */
    @Override
    void close();

    /** The elements of this iterator for which {@code keep} holds, in order; closing it closes this one. */
    default CloseableIterator<T> filter(Predicate<? super T> keep) {
        CloseableIterator<T> source = this;
        return new CloseableIterator<>() {
            private T next;
            private boolean ready;

            @Override
            public boolean hasNext() {
                while (!ready && source.hasNext()) {
                    T candidate = source.next();
                    if (keep.test(candidate)) {
                        next = candidate;
                        ready = true;
                    }
                }
                return ready;
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                ready = false;
                T out = next;
                next = null;
                return out;
            }

            @Override
            public void close() {
                source.close();
            }
        };
    }

    /** This iterator's elements passed through {@code function}, lazily; closing it closes this one. */
    default <R> CloseableIterator<R> map(Function<? super T, ? extends R> function) {
        CloseableIterator<T> source = this;
        return new CloseableIterator<>() {
            @Override
            public boolean hasNext() {
                return source.hasNext();
            }

            @Override
            public R next() {
                return function.apply(source.next());
            }

            @Override
            public void close() {
                source.close();
            }
        };
    }

    /** A plain iterator seen as a closeable one whose {@code close} does nothing. */
    static <T> CloseableIterator<T> of(Iterator<T> iterator) {
        return new CloseableIterator<>() {
            @Override
            public boolean hasNext() {
                return iterator.hasNext();
            }

            @Override
            public T next() {
                return iterator.next();
            }

            @Override
            public void close() {}
        };
    }
}
