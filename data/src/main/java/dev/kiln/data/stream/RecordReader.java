package dev.kiln.data.stream;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A source of records read one at a time, holding at most one record (plus an I/O buffer) in
 * memory: the corpus can be far larger than the heap.
 *
 * <p>{@link #read()} is the primitive, with checked {@link IOException}s: a malformed record the
 * reader can step over is counted in {@link #skips()} and reading goes on; input it cannot step
 * over (a truncated gzip member, broken XML) throws {@link dev.kiln.data.io.MalformedDataException}
 * naming the file and position, after every complete record before it has been delivered.
 * {@link #iterator()} and {@link #stream()} adapt it to the collection APIs, wrapping those
 * exceptions in {@link UncheckedIOException}.
 *
 * <p>Not thread-safe: one thread reads. Close it (try-with-resources) to release the file.
 *
 * @param <T> the record type
 */
public interface RecordReader<T> extends Closeable {
    /** The next record, or {@code null} when the input is exhausted. */
    T read() throws IOException;

    /** What has been skipped so far, and why. */
    SkipReport skips();

    /**
     * Where the record last returned by {@link #read()} starts, e.g. {@code "corpus.jsonl:12"} or
     * {@code "crawl.warc.gz: record 3"}; empty before the first record.
     */
    String location();

    /** This reader with {@code f} applied to each record; closing the result closes this reader. */
    default <U> RecordReader<U> map(Function<? super T, ? extends U> f) {
        Objects.requireNonNull(f, "RecordReader.map: f");
        RecordReader<T> self = this;
        return new RecordReader<>() {
            @Override
            public U read() throws IOException {
                T t = self.read();
                return t == null ? null : f.apply(t);
            }

            @Override
            public SkipReport skips() {
                return self.skips();
            }

            @Override
            public String location() {
                return self.location();
            }

            @Override
            public void close() throws IOException {
                self.close();
            }
        };
    }

    /** The remaining records as an iterator; I/O errors surface as {@link UncheckedIOException}. */
    default Iterator<T> iterator() {
        RecordReader<T> self = this;
        return new Iterator<>() {
            private T next;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (next == null && !done) {
                    try {
                        next = self.read();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    done = next == null;
                }
                return next != null;
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("RecordReader: no more records in " + self.skips().source());
                }
                T t = next;
                next = null;
                return t;
            }
        };
    }

    /**
     * The remaining records as a sequential stream; closing the stream closes this reader. I/O
     * errors surface as {@link UncheckedIOException}.
     */
    default Stream<T> stream() {
        Stream<T> s = StreamSupport.stream(
                Spliterators.spliteratorUnknownSize(iterator(), Spliterator.ORDERED | Spliterator.NONNULL), false);
        return s.onClose(() -> {
            try {
                close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
