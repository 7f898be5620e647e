package dev.kiln.data;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Batches of a {@link Dataset}, like {@code torch.utils.data.DataLoader}: a batch size, optional
 * seeded shuffling, {@code dropLast}, and optional prefetch of up to {@code K} batches on a
 * background thread.
 *
 * <pre>{@code
 * try (DataLoader<Tensor[]> loader = DataLoader.builder(train, Collate.stack())
 *         .batchSize(64).shuffle(new Generator(42)).dropLast(true).prefetch(4).build()) {
 *     for (int epoch = 0; epoch < 10; epoch++) {
 *         for (Batch b : loader) {                 // the rest of the current epoch
 *             try (b) { step(b.get(0), b.get(1)); } // the consumer owns (and closes) each batch
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p><b>Epochs.</b> The loader is a cursor over an endless sequence of epochs. Each {@link
 * #iterator()} yields the batches of the current epoch not yet handed out; once an epoch has been
 * handed out completely, the next {@code iterator()} starts the next epoch. So a plain {@code for}
 * loop is one epoch, and a loop left early continues where it stopped. An empty epoch (no
 * batches) never finishes: the epoch number then stays put.
 *
 * <p><b>Order.</b> Without shuffling, epoch after epoch visits indices {@code 0..size-1} in order.
 * With {@link Builder#shuffle(Generator)} each epoch's permutation is drawn from the generator when
 * the epoch starts: {@code size} 63-bit keys from {@link Generator#fillRandInt}, indices sorted by
 * key (ties by index). The permutation depends only on the generator's state at the start of the
 * epoch, which {@link #state()} records: {@link #restore(State)} rebuilds the same permutation and
 * continues at the same batch, bit-identically, in this or a new loader over the same dataset. The
 * loader uses the generator exclusively; do not draw from it elsewhere.
 *
 * <p><b>Batches.</b> Batch {@code p} of an epoch holds the examples at positions {@code [p·B,
 * min((p+1)·B, size))} of the epoch's order, collated by the {@link Collate} function; with {@code
 * dropLast} a short last batch is skipped. Prefetch on or off gives the same batches in the same
 * order: only the thread that builds them differs.
 *
 * <p><b>Ownership.</b> Each {@link Batch} handed out belongs to the consumer and to no {@link
 * TensorScope}; the loader never closes it. Batches prefetched but not handed out (when a loop
 * stops early, on {@link #restore} or {@link #close()}) are closed by the loader.
 *
 * <p><b>Errors.</b> An exception from {@link Dataset#get} or the collate function reaches the
 * consumer as a {@link DataLoaderException} from {@code next()}, with the original as its cause, at
 * the batch that failed (earlier batches are delivered first). The position does not advance, so
 * calling {@code next()} again retries that batch.
 *
 * <p><b>Threads.</b> A loader is used by one consumer thread. With prefetch, {@link Dataset#get}
 * and the collate function run on one background daemon thread; {@link #close()} stops it.
 *
 * @param <T> the example type
 */
public final class DataLoader<T> implements Iterable<Batch>, AutoCloseable {
    /**
     * Where a loader stands, for checkpoints.
     *
     * @param epoch the current epoch, from 0
     * @param position batches of this epoch already handed to the consumer
     * @param epochStart the shuffle generator's state when this epoch's permutation was drawn, or
     *     null when the loader does not shuffle
     */
    public record State(long epoch, int position, Generator.State epochStart) {
        public State {
            if (epoch < 0 || position < 0) {
                throw new IllegalArgumentException(
                        "DataLoader.State: epoch and position must be >= 0, got epoch=" + epoch + ", position=" + position);
            }
        }
    }

    private final Dataset<T> dataset;
    private final Collate<T> collate;
    private final int batchSize;
    private final boolean dropLast;
    private final Generator generator; // null: no shuffling
    private final int prefetch; // 0: build batches on the consumer's thread

    private long epoch;
    private int position;
    private Generator.State epochStart;
    private int[] order; // this epoch's order; null until drawn
    private Prefetcher prefetcher;
    private int iteratorGeneration; // iterators from before a restart are invalid
    private boolean closed;

    private DataLoader(Builder<T> b) {
        this.dataset = b.dataset;
        this.collate = b.collate;
        this.batchSize = b.batchSize;
        this.dropLast = b.dropLast;
        this.generator = b.generator;
        this.prefetch = b.prefetch;
        this.epochStart = generator == null ? null : generator.state();
    }

    /** A builder for a loader over {@code dataset} whose batches {@code collate} builds. */
    public static <T> Builder<T> builder(Dataset<T> dataset, Collate<T> collate) {
        return new Builder<>(dataset, collate);
    }

    /** Configures a {@link DataLoader}; defaults: batch size 1, no shuffling, keep the last batch, no prefetch. */
    public static final class Builder<T> {
        private final Dataset<T> dataset;
        private final Collate<T> collate;
        private int batchSize = 1;
        private boolean dropLast;
        private Generator generator;
        private int prefetch;

        private Builder(Dataset<T> dataset, Collate<T> collate) {
            this.dataset = Objects.requireNonNull(dataset, "DataLoader: dataset");
            this.collate = Objects.requireNonNull(collate, "DataLoader: collate");
        }

        /** Examples per batch, {@code >= 1}. */
        public Builder<T> batchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("DataLoader: batchSize must be >= 1, got " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /** Skip the last batch of an epoch when it has fewer than {@code batchSize} examples. */
        public Builder<T> dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Shuffle every epoch with {@code generator}, which the loader then owns. */
        public Builder<T> shuffle(Generator generator) {
            this.generator = Objects.requireNonNull(generator, "DataLoader.shuffle: generator");
            return this;
        }

        /** Build up to {@code batches} batches ahead on a background thread; 0 turns prefetch off. */
        public Builder<T> prefetch(int batches) {
            if (batches < 0) {
                throw new IllegalArgumentException("DataLoader: prefetch must be >= 0, got " + batches);
            }
            this.prefetch = batches;
            return this;
        }

        public DataLoader<T> build() {
            return new DataLoader<>(this);
        }
    }

    /** Batches in one epoch: {@code size / B} with {@code dropLast}, else {@code ceil(size / B)}. */
    public int batchesPerEpoch() {
        int n = dataset.size();
        return dropLast ? n / batchSize : (int) (((long) n + batchSize - 1) / batchSize);
    }

    /** The current epoch, from 0. */
    public long epoch() {
        return epoch;
    }

    /** Batches of the current epoch handed out so far. */
    public int position() {
        return position;
    }

    /** A snapshot for checkpoints; see {@link #restore}. */
    public State state() {
        return new State(epoch, position, epochStart);
    }

    /**
     * Moves this loader to {@code state}, taken from this loader or another over the same dataset
     * with the same batch size, {@code dropLast} and shuffling on or off. Prefetched batches are
     * closed; earlier iterators become invalid.
     *
     * @throws IllegalArgumentException if shuffling is on here and not in {@code state} or the
     *     other way round, or {@code position} is past the end of an epoch
     */
    public void restore(State state) {
        checkOpen();
        Objects.requireNonNull(state, "DataLoader.restore: state");
        if ((state.epochStart() == null) != (generator == null)) {
            throw new IllegalArgumentException("DataLoader.restore: the state is from a loader "
                    + (state.epochStart() == null ? "without" : "with") + " shuffling, this one "
                    + (generator == null ? "does not shuffle" : "shuffles"));
        }
        if (state.position() > batchesPerEpoch()) {
            throw new IllegalArgumentException("DataLoader.restore: position " + state.position()
                    + " is past the end of an epoch of " + batchesPerEpoch() + " batches");
        }
        stopPrefetch();
        iteratorGeneration++;
        epoch = state.epoch();
        position = state.position();
        epochStart = state.epochStart();
        order = null;
    }

    /**
     * The batches of the current epoch not handed out yet; starts the next epoch first when the
     * current one is complete. Earlier iterators of this loader become invalid.
     */
    @Override
    public Iterator<Batch> iterator() {
        checkOpen();
        stopPrefetch();
        int generation = ++iteratorGeneration;
        int batches = batchesPerEpoch();
        if (order == null) {
            order = drawOrder();
        }
        if (batches > 0 && position >= batches) {
            epoch++;
            position = 0;
            epochStart = generator == null ? null : generator.state();
            order = drawOrder();
        }
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                checkCurrent(generation);
                return position < batches;
            }

            @Override
            public Batch next() {
                checkCurrent(generation);
                if (position >= batches) {
                    throw new NoSuchElementException("DataLoader: epoch " + epoch + " has no batch after " + batches);
                }
                Batch b = prefetch == 0 ? buildOnThisThread(position) : takePrefetched();
                position++;
                return b;
            }
        };
    }

    /** Stops the prefetch thread and closes the batches it built ahead. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            stopPrefetch();
        }
    }

    // ---- order ----

    /** This epoch's order from the generator's epoch-start state; leaves the generator after the draw. */
    private int[] drawOrder() {
        int n = dataset.size();
        int[] idx = new int[n];
        Arrays.setAll(idx, i -> i);
        if (generator == null) {
            return idx;
        }
        generator.restore(epochStart);
        long[] keys = new long[n];
        generator.fillRandInt(keys, 0, n, 0, Long.MAX_VALUE);
        Integer[] boxed = new Integer[n];
        Arrays.setAll(boxed, i -> i);
        Arrays.sort(boxed, (a, b) -> keys[a] != keys[b] ? Long.compare(keys[a], keys[b]) : Integer.compare(a, b));
        for (int i = 0; i < n; i++) {
            idx[i] = boxed[i];
        }
        return idx;
    }

    // ---- building batches ----

    private Batch buildOnThisThread(int p) {
        try {
            return build(order, p);
        } catch (RuntimeException | Error e) {
            throw new DataLoaderException(describe(epoch, p, order) + " failed: " + e, e);
        }
    }

    /**
     * Batch {@code p} of the epoch with order {@code ord}: examples read and collated inside a scope
     * that closes every temporary; the returned tensors escape every scope (the consumer owns them).
     */
    private Batch build(int[] ord, int p) {
        int from = p * batchSize;
        int to = Math.min(ord.length, from + batchSize);
        int[] indices = Arrays.copyOfRange(ord, from, to);
        try (TensorScope _ = TensorScope.open()) {
            List<T> examples = new ArrayList<>(indices.length);
            for (int i : indices) {
                examples.add(dataset.get(i));
            }
            List<Tensor> tensors = collate.collate(examples);
            if (tensors == null || tensors.isEmpty()) {
                throw new IllegalStateException("the collate function returned no tensors");
            }
            for (Tensor t : tensors) {
                TensorScope.escape(Objects.requireNonNull(t, "the collate function returned a null tensor"));
            }
            return new Batch(tensors, indices);
        }
    }

    private String describe(long ep, int p, int[] ord) {
        int from = p * batchSize;
        int to = Math.min(ord.length, from + batchSize);
        int[] shown = Arrays.copyOfRange(ord, from, Math.min(to, from + 8));
        String idx = Arrays.toString(shown);
        if (to - from > shown.length) {
            idx = idx.substring(0, idx.length() - 1) + ", ...]";
        }
        return "DataLoader: batch " + p + " of epoch " + ep + " (dataset indices " + idx + ")";
    }

    // ---- prefetch ----

    /** A failure on the prefetch thread, delivered in order in place of the batch. */
    private record Failure(int position, Throwable error) {}

    private Batch takePrefetched() {
        if (prefetcher == null) {
            prefetcher = new Prefetcher(order, epoch, position, batchesPerEpoch());
        }
        Object item;
        try {
            item = prefetcher.queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataLoaderException("DataLoader: interrupted while waiting for batch " + position, e);
        }
        if (item instanceof Failure f) {
            stopPrefetch(); // the thread has ended; the next call retries this batch on a new one
            throw new DataLoaderException(describe(epoch, f.position(), order)
                    + " failed in the prefetch thread: " + f.error(), f.error());
        }
        return (Batch) item;
    }

    private void stopPrefetch() {
        if (prefetcher != null) {
            prefetcher.stop();
            prefetcher = null;
        }
    }

    /** One background thread building batches {@code [start, end)} of one epoch into a bounded queue. */
    private final class Prefetcher implements Runnable {
        final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(prefetch);
        private final int[] ord;
        private final int start;
        private final int end;
        private final Thread thread;
        private volatile boolean stopped;

        Prefetcher(int[] ord, long ep, int start, int end) {
            this.ord = ord;
            this.start = start;
            this.end = end;
            this.thread = Thread.ofPlatform().daemon().name("kiln-data-prefetch-epoch" + ep).unstarted(this);
            thread.start();
        }

        @Override
        public void run() {
            for (int p = start; p < end && !stopped; p++) {
                Object item;
                try {
                    item = build(ord, p);
                } catch (Throwable t) { // delivered to the consumer, who rethrows it with this as cause
                    item = new Failure(p, t);
                }
                if (!deliver(item)) {
                    if (item instanceof Batch b) {
                        b.close();
                    }
                    return;
                }
                if (item instanceof Failure) {
                    return;
                }
            }
        }

        /**
         * Puts {@code item} on the queue unless stopped first. Polls the flag as well as relying on
         * interrupts: a dataset that swallowed the interrupt must not leave this thread blocked.
         */
        private boolean deliver(Object item) {
            try {
                while (!stopped) {
                    if (queue.offer(item, 50, TimeUnit.MILLISECONDS)) {
                        return true;
                    }
                }
            } catch (InterruptedException e) {
                // stop() interrupts only after setting the flag
            }
            return false;
        }

        void stop() {
            stopped = true;
            thread.interrupt();
            boolean interrupted = false;
            while (true) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            for (Object o; (o = queue.poll()) != null; ) {
                if (o instanceof Batch b) {
                    b.close();
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void checkCurrent(int generation) {
        checkOpen();
        if (generation != iteratorGeneration) {
            throw new IllegalStateException(
                    "DataLoader: this iterator was superseded by a later iterator() or restore()");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("DataLoader: closed");
        }
    }
}
