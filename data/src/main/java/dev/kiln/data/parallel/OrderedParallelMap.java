package dev.kiln.data.parallel;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Maps a stream through a function on worker threads and hands the results back in input order.
 *
 * <p>The source is read on the consumer's thread in batches of {@code batchSize}; each batch is
 * mapped by one worker. At most {@code 2 × threads} batches are in flight, so memory stays bounded
 * however long the stream is, and the consumer only waits when the oldest batch is not done yet.
 * Because results come back in input order and {@code function} sees each element exactly once,
 * the output equals the sequential {@code map} whatever the thread count, provided {@code
 * function} does not depend on the order in which elements are processed.
 *
 * <p>With {@code threads == 1} no thread is started: batches are mapped on the caller's thread.
 * An exception thrown by {@code function} is rethrown (the same object) from {@code hasNext} or
 * {@code next}. Not thread-safe: one consumer. Close it (try-with-resources) to stop the workers;
 * closing also closes the source when it is a {@link CloseableIterator}, so a chain of stages is
 * released by closing its last one.
 */
public final class OrderedParallelMap<I, O> implements CloseableIterator<O> {
    private static final AtomicInteger POOL_NUMBER = new AtomicInteger();

    private final Iterator<? extends I> source;
    private final Function<? super I, ? extends O> function;
    private final int batchSize;
    private final int maxInFlight;
    private final ExecutorService pool; // null: map on the caller's thread
    private final ArrayDeque<Future<List<O>>> inFlight = new ArrayDeque<>();
    private Iterator<O> current = Collections.emptyIterator();
    private boolean closed;

    private OrderedParallelMap(Iterator<? extends I> source, Function<? super I, ? extends O> function,
            int threads, int batchSize) {
        this.source = source;
        this.function = function;
        this.batchSize = batchSize;
        this.maxInFlight = 2 * threads;
        if (threads == 1) {
            this.pool = null;
        } else {
            int poolNumber = POOL_NUMBER.incrementAndGet();
            AtomicInteger worker = new AtomicInteger();
            this.pool = Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "kiln-parallel-map-" + poolNumber + "-" + worker.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
    }

    /**
     * {@code function} applied to every element of {@code source}, in order.
     *
     * @param threads worker threads, at least 1 ({@link #defaultThreads()} uses every core)
     * @param batchSize elements per task, at least 1: large enough that a task is worth handing to
     *     a thread (hundreds of small documents), small enough to keep every worker busy
     */
    public static <I, O> OrderedParallelMap<I, O> map(Iterator<? extends I> source,
            Function<? super I, ? extends O> function, int threads, int batchSize) {
        Objects.requireNonNull(source, "OrderedParallelMap.map: source");
        Objects.requireNonNull(function, "OrderedParallelMap.map: function");
        if (threads < 1) {
            throw new IllegalArgumentException("OrderedParallelMap.map: threads must be >= 1, got " + threads);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("OrderedParallelMap.map: batchSize must be >= 1, got " + batchSize);
        }
        return new OrderedParallelMap<>(source, function, threads, batchSize);
    }

    /** The number of cores the JVM sees. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    @Override
    public boolean hasNext() {
        if (closed) {
            throw new IllegalStateException("OrderedParallelMap: used after close()");
        }
        while (!current.hasNext()) {
            fill();
            Future<List<O>> oldest = inFlight.poll();
            if (oldest == null) {
                return false;
            }
            current = await(oldest).iterator();
        }
        return true;
    }

    @Override
    public O next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return current.next();
    }

    private void fill() {
        while (inFlight.size() < maxInFlight && source.hasNext()) {
            List<I> batch = new ArrayList<>(batchSize);
            while (batch.size() < batchSize && source.hasNext()) {
                batch.add(source.next());
            }
            if (pool == null) {
                inFlight.add(java.util.concurrent.CompletableFuture.completedFuture(mapBatch(batch)));
                return; // sequential: map one batch at a time, as late as possible
            }
            inFlight.add(pool.submit(() -> mapBatch(batch)));
        }
    }

    private List<O> mapBatch(List<I> batch) {
        List<O> out = new ArrayList<>(batch.size());
        for (I item : batch) {
            out.add(function.apply(item));
        }
        return out;
    }

    private List<O> await(Future<List<O>> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("OrderedParallelMap: interrupted while waiting for a batch", e);
        } catch (ExecutionException e) {
            close();
            switch (e.getCause()) {
                case RuntimeException re -> throw re;
                case Error err -> throw err;
                default -> throw new IllegalStateException("OrderedParallelMap: a batch failed", e.getCause());
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Future<List<O>> f : inFlight) {
            f.cancel(true);
        }
        inFlight.clear();
        if (pool != null) {
            pool.shutdownNow();
        }
        if (source instanceof CloseableIterator<?> upstream) {
            upstream.close();
        }
    }
}
