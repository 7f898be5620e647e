package dev.kiln.data.shard;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.Objects;

/**
 * Random training windows from a {@link ShardDataset}: each window is {@code context + 1}
 * consecutive tokens (inputs, and the same shifted by one as targets), its start drawn uniformly
 * over every start that keeps the window inside one shard, so every such window is equally
 * likely whatever the shard sizes. Draws come from a Kiln {@link Generator}: the same seed gives
 * the same batches, and {@link Generator#state()} / {@link Generator#restore} resume them.
 *
 * <p>Not thread-safe (the generator advances).
 */
public final class WindowSampler {
    private final ShardDataset data;
    private final int windowLength;
    private final Generator generator;
    private final long[] startsBefore; // windows in shards [0, s); [n] = all windows
    private final long[] shardFirstToken;

    /**
     * @param contextLength tokens of input per window (the window holds one more)
     * @throws IllegalArgumentException when no shard holds {@code contextLength + 1} tokens
     */
    public WindowSampler(ShardDataset data, int contextLength, Generator generator) {
        this.data = Objects.requireNonNull(data, "WindowSampler: data");
        this.generator = Objects.requireNonNull(generator, "WindowSampler: generator");
        if (contextLength <= 0 || contextLength == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("WindowSampler: contextLength must be in [1, 2^31 - 2], got " + contextLength);
        }
        this.windowLength = contextLength + 1;
        int n = data.shardCount();
        startsBefore = new long[n + 1];
        shardFirstToken = new long[n];
        long longest = 0;
        for (int s = 0; s < n; s++) {
            startsBefore[s + 1] = startsBefore[s] + Math.max(0, data.shardTokens(s) - windowLength + 1);
            shardFirstToken[s] = s == 0 ? 0 : shardFirstToken[s - 1] + data.shardTokens(s - 1);
            longest = Math.max(longest, data.shardTokens(s));
        }
        if (startsBefore[n] == 0) {
            throw new IllegalArgumentException("WindowSampler: no shard holds a window of " + windowLength + " tokens (context "
                    + contextLength + " + 1); the longest of " + n + " shards has " + longest);
        }
    }

    /** {@code contextLength + 1}. */
    public int windowLength() {
        return windowLength;
    }

    /** How many distinct windows can be drawn. */
    public long windowCount() {
        return startsBefore[startsBefore.length - 1];
    }

    /** The generator the starts are drawn from (for {@code state()} / {@code restore()}). */
    public Generator generator() {
        return generator;
    }

    /** {@code batch} window starts (global token positions), drawn uniformly and independently. */
    public long[] nextStarts(int batch) {
        if (batch <= 0) {
            throw new IllegalArgumentException("WindowSampler.nextStarts: batch must be > 0, got " + batch);
        }
        long[] draws = new long[batch];
        generator.fillRandInt(draws, 0, batch, 0, windowCount());
        for (int b = 0; b < batch; b++) {
            draws[b] = startOf(draws[b]);
        }
        return draws;
    }

    /** The global start of window number {@code w} (windows numbered shard by shard). */
    long startOf(long w) {
        int lo = 0;
        int hi = startsBefore.length - 2;
        while (lo < hi) { // the shard s with startsBefore[s] <= w < startsBefore[s + 1]
            int mid = (lo + hi + 1) >>> 1;
            if (startsBefore[mid] <= w) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return shardFirstToken[lo] + (w - startsBefore[lo]);
    }

    /** {@code batch} windows, row-major: {@code [batch * windowLength()]}. */
    public long[] nextBatchArray(int batch) {
        if ((long) batch * windowLength > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("WindowSampler: batch " + batch + " x window " + windowLength + " tokens is too large");
        }
        long[] starts = nextStarts(batch);
        long[] out = new long[batch * windowLength];
        for (int b = 0; b < batch; b++) {
            data.read(starts[b], out, b * windowLength, windowLength);
        }
        return out;
    }

    /** {@code batch} windows as an I64 tensor of shape {@code [batch, context + 1]}. */
    public Tensor nextBatch(int batch) {
        return Tensor.fromArray(nextBatchArray(batch), batch, windowLength);
    }
}
