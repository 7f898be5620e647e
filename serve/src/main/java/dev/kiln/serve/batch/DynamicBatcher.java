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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * Gathers one model's concurrent requests into batches ({@link BatchingOptions}), runs each batch
 * in one forward pass on its own thread, and hands every request back its own outputs.
 * One thread per model: the model runs one batch at a time, which is what a CPU engine that
 * already spreads one forward pass over all cores wants. The thread runs inside
 * {@link BatchInvariance}, so batched results equal unbatched ones to the bit.
 *
 * <p>Thread-safety: {@link #submit} may be called from any thread; {@link #close} fails what is
 * still queued with a 503 and closes the model when it holds resources ({@link AutoCloseable}).
 */
public final class DynamicBatcher implements AutoCloseable {
    private record Pending(Examples examples, CompletableFuture<List<OutputTensor>> result) {}

    private final ServedModel model;
    private final BatchingOptions options;
    private final IntConsumer batchSizes;
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
        this.model = model;
        this.options = options;
        this.batchSizes = batchSizes;
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
        Pending p = new Pending(examples, new CompletableFuture<>());
        if (!queue.offer(p)) {
            throw new ServeException(429, "queue full: " + options.queueCapacity() + " requests are waiting for this model");
        }
        return p.result();
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
            if (batch.isEmpty()) {
                continue;
            }
            List<Examples> examples = batch.stream().map(Pending::examples).toList();
            int rows = examples.stream().mapToInt(Examples::rows).sum();
            List<List<OutputTensor>> answers;
            try {
                forwardPasses.incrementAndGet();
                batchSizes.accept(rows);
                answers = model.run(examples);
                if (answers.size() != batch.size()) {
                    throw new IllegalStateException(model.app() + " model answered " + answers.size() + " of "
                            + batch.size() + " requests");
                }
            } catch (RuntimeException | Error e) {
                batch.forEach(p -> p.result().completeExceptionally(e));
                continue;
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
        if (first == null) {
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
