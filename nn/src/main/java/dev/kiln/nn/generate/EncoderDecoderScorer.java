package dev.kiln.nn.generate;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.transformer.EncoderDecoder;
import dev.kiln.nn.transformer.IncrementalDecoder;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link NextTokenScorer} over an {@link EncoderDecoder}: the sources are padded into one batch
 * and encoded once, at construction. Two ways to score the next token:
 * <ul>
 *   <li>cached ({@link IncrementalDecoder}): each call feeds only the prefixes' last tokens,
 *       continuing the rows of the previous call, which are found by matching prefixes (so the
 *       search code need not track them); a call with one-token prefixes starts over;
 *   <li>recomputed: the decoder runs over the whole prefixes every call (any prefixes, in any
 *       order), as {@link EncoderDecoder#decode} does.
 * </ul>
 * Both give the same log-probabilities up to float rounding. Runs without a graph; the caller
 * puts the model in eval mode. Not thread-safe; close it to free the memory and caches.
 */
public final class EncoderDecoderScorer implements NextTokenScorer, AutoCloseable {
    private final EncoderDecoder model;
    private final boolean cached;
    private final Tensor sources;
    private final Tensor padding;
    private final Tensor memory;
    private final int count;
    private final long[] neverEmitted;
    private long decoderTokens;
    private IncrementalDecoder decoder;
    /** Row of each (source, prefix) in the previous cached call. */
    private Map<PrefixKey, Integer> previousRows = Map.of();

    /** A prefix with its source, compared by content (for finding a row's parent). */
    private record PrefixKey(int source, long[] tokens, int length) {
        @Override
        public boolean equals(Object o) {
            return o instanceof PrefixKey k && k.source == source && k.length == length
                    && Arrays.equals(tokens, 0, length, k.tokens, 0, k.length);
        }

        @Override
        public int hashCode() {
            int h = source;
            for (int i = 0; i < length; i++) {
                h = 31 * h + Long.hashCode(tokens[i]);
            }
            return h;
        }
    }

    /**
     * @param sources token ids of each source sequence (no padding); padded here with the model's padding id
     * @param cached decode incrementally with key/value caches instead of recomputing every prefix
     * @param neverEmitted tokens given log-probability -infinity (padding and the begin token: a
     *     decoder that emitted them would feed itself tokens it never saw in those places in training)
     */
    public EncoderDecoderScorer(EncoderDecoder model, long[][] sources, boolean cached, long... neverEmitted) {
        if (sources.length == 0) {
            throw new IllegalArgumentException("EncoderDecoderScorer: need at least one source sequence");
        }
        this.model = model;
        this.cached = cached;
        this.count = sources.length;
        for (long t : neverEmitted) {
            if (t < 0 || t >= model.config.tgtVocab()) {
                throw new IllegalArgumentException("EncoderDecoderScorer: never-emitted token " + t + " is not in [0, "
                        + model.config.tgtVocab() + ")");
            }
        }
        this.neverEmitted = neverEmitted.clone();
        int pad = model.config.padId();
        try (TensorScope scope = TensorScope.open(); NoGrad _ = NoGrad.enter()) {
            this.sources = scope.keep(padded(sources, pad < 0 ? 0 : pad));
            Tensor mask = model.paddingMask(this.sources);
            this.padding = mask == null ? null : scope.keep(mask);
            this.memory = scope.keep(model.encode(this.sources).value().contiguous());
        }
    }

    @Override
    public int vocabSize() {
        return model.config.tgtVocab();
    }

    @Override
    public int sources() {
        return count;
    }

    /** I64 [N, longest] with each row left-aligned and the rest filled with {@code pad}. */
    private static Tensor padded(long[][] rows, long pad) {
        int width = 1;
        for (long[] r : rows) {
            width = Math.max(width, r.length);
        }
        long[] flat = new long[rows.length * width];
        Arrays.fill(flat, pad);
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * width, rows[i].length);
        }
        return Tensor.fromArray(flat, rows.length, width);
    }

    /** Target positions the decoder has computed so far (summed over calls): what the two modes differ in. */
    public long decoderTokens() {
        return decoderTokens;
    }

    @Override
    public float[] nextLogProbs(int[] sourceOfRow, long[][] prefixes) {
        int rows = prefixes.length;
        if (rows == 0 || sourceOfRow.length != rows) {
            throw new IllegalArgumentException("EncoderDecoderScorer: need one source per prefix and at least one prefix, got "
                    + sourceOfRow.length + " sources and " + rows + " prefixes");
        }
        int t = prefixes[0].length;
        for (int r = 0; r < rows; r++) {
            if (prefixes[r].length != t) {
                throw new IllegalArgumentException("EncoderDecoderScorer: prefixes must have one length, row 0 has " + t
                        + ", row " + r + " has " + prefixes[r].length);
            }
            if (sourceOfRow[r] < 0 || sourceOfRow[r] >= count) {
                throw new IllegalArgumentException("EncoderDecoderScorer: source " + sourceOfRow[r] + " of row " + r
                        + " is not in [0, " + count + ")");
            }
        }
        float[] lp = cached ? cachedStep(sourceOfRow, prefixes, t) : recompute(sourceOfRow, prefixes, t);
        int v = vocabSize();
        for (int r = 0; r < rows; r++) {
            for (long banned : neverEmitted) {
                lp[r * v + (int) banned] = Float.NEGATIVE_INFINITY;
            }
        }
        return lp;
    }

    private float[] cachedStep(int[] sourceOfRow, long[][] prefixes, int t) {
        int rows = prefixes.length;
        int[] parents = new int[rows];
        long[] last = new long[rows];
        if (t == 1) {
            if (decoder != null) {
                decoder.close();
            }
            decoder = new IncrementalDecoder(model, memory, padding);
            parents = sourceOfRow.clone();
        } else {
            if (decoder == null || decoder.length() != t - 1) {
                throw new IllegalStateException("EncoderDecoderScorer: prefixes of length " + t + " must continue the previous call's"
                        + " prefixes of length " + (t - 1) + (decoder == null ? ", but there was no previous call" : ", which had length "
                        + decoder.length()));
            }
            for (int r = 0; r < rows; r++) {
                Integer parent = previousRows.get(new PrefixKey(sourceOfRow[r], prefixes[r], t - 1));
                if (parent == null) {
                    throw new IllegalStateException("EncoderDecoderScorer: row " + r + "'s prefix " + Arrays.toString(prefixes[r])
                            + " (source " + sourceOfRow[r] + ") does not extend any prefix of the previous call");
                }
                parents[r] = parent;
            }
        }
        Map<PrefixKey, Integer> current = new HashMap<>(2 * rows);
        for (int r = 0; r < rows; r++) {
            last[r] = prefixes[r][t - 1];
            current.put(new PrefixKey(sourceOfRow[r], prefixes[r], t), r);
        }
        previousRows = current;
        decoderTokens += rows;
        try (TensorScope _ = TensorScope.open()) {
            return decoder.step(parents, last).logSoftmax(-1).toFloatArray();
        }
    }

    private float[] recompute(int[] sourceOfRow, long[][] prefixes, int t) {
        int rows = prefixes.length;
        long[] flat = new long[rows * t];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(prefixes[r], 0, flat, r * t, t);
        }
        decoderTokens += (long) rows * t;
        try (TensorScope _ = TensorScope.open(); NoGrad _ = NoGrad.enter()) {
            Tensor src = sources;
            Tensor mem = memory;
            if (!isIdentity(sourceOfRow, count)) {
                long[] idx = new long[rows];
                for (int r = 0; r < rows; r++) {
                    idx[r] = sourceOfRow[r];
                }
                Tensor index = Tensor.fromArray(idx, rows);
                src = sources.indexSelect(0, index);
                mem = memory.indexSelect(0, index);
            }
            Var logits = model.decode(Tensor.fromArray(flat, rows, t), Var.constant(mem), model.paddingMask(src));
            return logits.value().narrow(1, t - 1, 1).reshape(rows, -1).logSoftmax(-1).toFloatArray();
        }
    }

    private static boolean isIdentity(int[] rows, int n) {
        if (rows.length != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (rows[i] != i) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        if (decoder != null) {
            decoder.close();
        }
        memory.close();
        if (padding != null) {
            padding.close();
        }
        sources.close();
    }
}
