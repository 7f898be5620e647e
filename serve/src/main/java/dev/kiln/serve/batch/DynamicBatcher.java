package dev.kiln.serve.batch;

import dev.kiln.serve.ServeException;
import dev.kiln.serve.model.Examples;
import dev.kiln.serve.model.OutputTensor;
import dev.kiln.serve.model.ServedModel;
import dev.kiln.tensor.BatchInvariance;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * Gathers one model's concurrent requests into batches ({@link BatchingOptions}), runs each batch
 * in one forward pass on its own thread, and hands every request back its own outputs.
 * One thread per model: the model runs one batch at a time, which is what a CPU engine that
 * already spreads one forward pass over all cores wants. The thread runs inside
 * {@link BatchInvariance}, so batched results equal unbatched ones to the bit.
 *
 * <p>A request that has waited longer than the request timeout gets a 504 from {@link #infer}; if
 * it was still queued it leaves the queue and never runs. A request whose future is completed by
 * anyone else before its batch starts (a caller of {@link #submit} giving up) is skipped too.
 *
 * <p>Thread-safety: {@link #submit} and {@link #infer} may be called from any thread; {@link #close}
 * fails what is still queued with a 503 and closes the model when it holds resources ({@link AutoCloseable}).
 */
public final class DynamicBatcher implements AutoCloseable {
    private record Pending(Examples examples, CompletableFuture<List<OutputTensor>> result, long queuedAt) {}

    private final String name;
    private final ServedModel model;
    private final BatchingOptions options;
    private final BatchObserver observer;
    private final long timeoutNanos; // 0: no limit
    private final BlockingQueue<Pending> queue;
    private final Thread worker;
    private final AtomicLong forwardPasses = new AtomicLong();
    private volatile boolean closed;
    private Pending carried; // taken from the queue but too big for the batch being built: it opens the next one

    /**
     * Starts the batching thread of {@code model}; {@code batchSizes} hears the number of examples of
     * every forward pass (for the batch-size histogram).
     */
    public DynamicBatcher(String name, ServedModel model, BatchingOptions options, IntConsumer batchSizes) {
        this(name, model, options, batchSizes::accept, 0);
    }

    /**
     * Starts the batching thread of {@code model}; {@code observer} hears batch sizes, queue and
     * forward-pass times; {@link #infer} gives up after {@code requestTimeoutMs} (0: never).
     *
     * @throws IllegalArgumentException when {@code requestTimeoutMs} is negative
     */
    public DynamicBatcher(String name, ServedModel model, BatchingOptions options, BatchObserver observer, long requestTimeoutMs) {
        if (requestTimeoutMs < 0) {
            throw new IllegalArgumentException("DynamicBatcher: request timeout must be >= 0 ms, got " + requestTimeoutMs);
        }
        this.name = name;
        this.model = model;
        this.options = options;
        this.observer = observer;
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(requestTimeoutMs);
        this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
        this.worker = Thread.ofPlatform().daemon().name("kiln-batcher-" + name).start(this::run);
    }

    /**
     * Queues one request's examples; the future completes with its output tensors.
     *
     * @throws ServeException 429 when the queue is full, 503 after {@link #close}
     */
    public CompletableFuture<List<OutputTensor>> submit(Examples examples) {
        if (closed) {
            throw new ServeException(503, "model is shutting down");
        }
        return enqueue(examples).result();
    }

    /**
     * Queues one request's examples and waits for its output tensors, up to the request timeout.
     *
     * @throws ServeException 504 when the timeout passes first (a request still queued then is
     *     removed and never runs), 429 when the queue is full, 503 after {@link #close} or when the
     *     waiting thread is interrupted
     * @throws IllegalStateException when the forward pass failed
     */
    public List<OutputTensor> infer(Examples examples) {
        Pending p = enqueue(examples);
        try {
            return timeoutNanos == 0 ? p.result().get() : p.result().get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            boolean wasQueued = queue.remove(p);
            String where = wasQueued ? "it was still queued and will not run" : "it was in its forward pass";
            // If the answer arrived just now, completing fails and the answer below wins.
            p.result().completeExceptionally(new ServeException(504, "timeout: no answer from model " + name + " within "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms (request timeout); " + where));
            return answer(p.result());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServeException(503, "interrupted while waiting for model " + name);
        } catch (ExecutionException e) {
            throw failure(e);
        }
    }

    /** Requests waiting in the queue now (not counting the batch being gathered or run). */
    public int queued() {
        return queue.size();
    }

    private Pending enqueue(Examples examples) {
        if (closed) {
            throw new ServeException(503, "model is shutting down");
        }
        Pending p = new Pending(examples, new CompletableFuture<>(), System.nanoTime());
        if (!queue.offer(p)) {
            throw new ServeException(429, "queue full: " + options.queueCapacity() + " requests are waiting for this model");
        }
        return p;
    }

    private static List<OutputTensor> answer(CompletableFuture<List<OutputTensor>> done) {
        try {
            return done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServeException(503, "interrupted while waiting for the model");
        } catch (ExecutionException e) {
            throw failure(e);
        }
    }

    private static RuntimeException failure(ExecutionException e) {
        if (e.getCause() instanceof ServeException s) {
            return s;
        }
        return new IllegalStateException("forward pass failed: " + e.getCause(), e.getCause());
    }

    /** Forward passes run so far. */
    public long forwardPasses() {
        return forwardPasses.get();
    }

    /** The options this batcher runs with. */
    public BatchingOptions options() {
        return options;
    }

    private void run() {
        // Batch-invariant products: a request's outputs are then bit-identical whether it ran alone
        // or with others, on this server or one that does not batch (the packed GEMM path for every
        // row count; it costs the few-row products their faster paths).
        try (BatchInvariance _ = BatchInvariance.enter()) {
            serve();
        }
    }

    private void serve() {
        while (!closed) {
            List<Pending> batch;
            try {
                batch = gather();
            } catch (InterruptedException e) {
                break;
            }
            batch.removeIf(p -> p.result().isDone()); // timed out while the batch was being gathered
            if (batch.isEmpty()) {
                continue;
            }
            List<Examples> examples = batch.stream().map(Pending::examples).toList();
            int rows = examples.stream().mapToInt(Examples::rows).sum();
            List<List<OutputTensor>> answers;
            long start = System.nanoTime();
            try {
                forwardPasses.incrementAndGet();
                batch.forEach(p -> observer.queued(start - p.queuedAt()));
                observer.batch(rows);
                answers = model.run(examples);
                if (answers.size() != batch.size()) {
                    throw new IllegalStateException(model.app() + " model answered " + answers.size() + " of "
                            + batch.size() + " requests");
                }
            } catch (RuntimeException | Error e) {
                // close() interrupts a forward pass that outlasted the drain; what the model then throws is the
                // shutdown's doing, not a model error (500), and the client may retry elsewhere (503).
                Throwable cause = closed ? new ServeException(503, "model " + name
                        + " is shutting down: its forward pass was interrupted (" + e.getMessage() + ")") : e;
                batch.forEach(p -> p.result().completeExceptionally(cause));
                continue;
            } finally {
                long took = System.nanoTime() - start;
                batch.forEach(p -> observer.inferred(took));
            }
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(answers.get(i));
            }
        }
        failQueued();
    }

    /** The next batch: the first waiting request and whatever joins it before the batch is full or its delay is over. */
    private List<Pending> gather() throws InterruptedException {
        Pending first = carried != null ? carried : queue.poll(100, TimeUnit.MILLISECONDS);
        carried = null;
        List<Pending> batch = new ArrayList<>();
        if (first == null || first.result().isDone()) {
            return batch;
        }
        batch.add(first);
        int rows = first.examples().rows();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.maxDelayMs());
        while (rows < options.maxBatchSize()) {
            long wait = deadline - System.nanoTime();
            Pending next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
            if (next == null) {
                break;
            }
            if (next.result().isDone()) { // timed out in the queue a moment before it was taken
                continue;
            }
            if (rows + next.examples().rows() > options.maxBatchSize()) {
                carried = next;
                break;
            }
            batch.add(next);
            rows += next.examples().rows();
        }
        return batch;
    }

    private void failQueued() {
        List<Pending> left = new ArrayList<>();
        if (carried != null) {
            left.add(carried);
        }
        queue.drainTo(left);
        left.forEach(p -> p.result().completeExceptionally(new ServeException(503, "model is shutting down")));
    }

    @Override
    public void close() {
        closed = true;
        worker.interrupt();
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failQueued(); // what a submit raced in after the worker's own last drain
        if (model instanceof AutoCloseable resources) { // e.g. a generative model's decode thread
            try {
                resources.close();
            } catch (Exception e) {
                throw new IllegalStateException(model.app() + " model: close failed: " + e, e);
            }
        }
    }
}
