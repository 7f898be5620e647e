package dev.kiln.serve.batch;

/**
 * How one model's requests are gathered (as Triton's dynamic batcher): a batch runs when it holds
 * {@code maxBatchSize} examples or when its first request has waited {@code maxDelayMs}; at most
 * {@code queueCapacity} requests wait, more are refused (429).
 *
 * @param maxBatchSize examples per forward pass (a single larger request still runs, alone)
 * @param maxDelayMs how long the first request of a batch waits for company; 0 runs what is queued at once
 * @param queueCapacity requests waiting at most
 */
public record BatchingOptions(int maxBatchSize, int maxDelayMs, int queueCapacity) {
    /** 32 examples, 5 ms, 1024 waiting requests. */
    public static final BatchingOptions DEFAULT = new BatchingOptions(32, 5, 1024);

    /** Checks the ranges. */
    public BatchingOptions {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("BatchingOptions: max_batch_size must be >= 1, got " + maxBatchSize);
        }
        if (maxDelayMs < 0) {
            throw new IllegalArgumentException("BatchingOptions: max_delay_ms must be >= 0, got " + maxDelayMs);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("BatchingOptions: queue_capacity must be >= 1, got " + queueCapacity);
        }
    }
}
