package dev.kiln.apps.train;

import dev.kiln.autograd.NoGrad;
import dev.kiln.nn.attention.KVCache;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.util.Arrays;

/**
 * Sampling the next token from a language model's last-position logits: divide by the
 * temperature, keep the {@code topK} most likely tokens, then the smallest set of the most likely
 * whose probabilities add up to {@code topP} (nucleus sampling), renormalise and draw one with a
 * seeded {@link Generator}. Filtered-out tokens get logit {@code -Infinity}.
 *
 * @param temperature {@code > 0}; below 1 sharpens, above 1 flattens the distribution
 * @param topK tokens kept by rank, 0 for all
 * @param topP probability mass kept, in {@code (0, 1]}; 1 for all
 */
public record TokenSampler(double temperature, int topK, double topP) {
    public TokenSampler {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("TokenSampler: temperature must be positive and finite, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("TokenSampler: topK must be >= 0 (0: off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("TokenSampler: topP must be in (0, 1], got " + topP);
        }
    }

    /**
     * Sets every logit below the {@code k}-th largest to -Infinity, in place (ties with the
     * {@code k}-th are kept, as in the usual top-k filter). {@code k} of 0 or >= the length keeps all.
     */
    public static void filterTopK(double[] logits, int k) {
        if (k <= 0 || k >= logits.length) {
            return;
        }
        double[] sorted = logits.clone();
        Arrays.sort(sorted);
        double kth = sorted[sorted.length - k];
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] < kth) {
                logits[i] = Double.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Nucleus filter, in place: sorts the tokens by probability (softmax of {@code logits}), keeps
     * the shortest most-likely prefix whose probabilities sum to at least {@code p} (always at
     * least the most likely token) and sets the other logits to -Infinity. {@code p >= 1} keeps all.
     */
    public static void filterTopP(double[] logits, double p) {
        if (p >= 1) {
            return;
        }
        double[] probs = softmax(logits);
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(probs[b], probs[a])); // stable: ties keep the lower id first
        double cumulative = 0;
        for (int r = 0; r < order.length; r++) {
            if (r > 0 && cumulative >= p) {
                logits[order[r]] = Double.NEGATIVE_INFINITY;
            }
            cumulative += probs[order[r]];
        }
    }

    /** Softmax in double, -Infinity logits getting probability 0. */
    static double[] softmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = logits[i] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** The filtered, renormalised distribution the next token is drawn from. */
    public double[] distribution(float[] logits) {
        double[] l = new double[logits.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = logits[i] / temperature;
        }
        filterTopK(l, topK);
        filterTopP(l, topP);
        return softmax(l);
    }

    /** Draws a token id from {@link #distribution} with one {@code g.nextDouble()}. */
    public int sample(float[] logits, Generator g) {
        double[] p = distribution(logits);
        double u = g.nextDouble();
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                cumulative += p[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last; // u fell in the rounding gap above the cumulative sum
    }

    /**
     * Continues {@code prompt} by {@code steps} sampled tokens, using the model's KV caches: the
     * prompt is fed once, then one token per step. When the caches reach the model's
     * {@code maxSeqLen}, they are refilled from the last half window of tokens, so the text may be
     * longer than the context. Runs under NoGrad in eval mode (the model is put back in the mode it
     * was in).
     *
     * @return the prompt followed by the new tokens
     */
    public long[] generate(Gpt model, long[] prompt, int steps, Generator g) {
        int window = model.config.maxSeqLen();
        if (prompt.length == 0) {
            throw new IllegalArgumentException("TokenSampler.generate: the prompt must hold at least one token");
        }
        long[] out = Arrays.copyOf(prompt, prompt.length + steps);
        int n = prompt.length;
        boolean wasTraining = model.isTraining();
        model.eval();
        KVCache[] caches = model.newCaches();
        try (NoGrad _ = NoGrad.enter()) {
            // the first feed: the prompt's last window
            long[] feed = Arrays.copyOfRange(out, Math.max(0, n - window), n);
            for (int s = 0; s < steps; s++) {
                try (TensorScope _ = TensorScope.open()) {
                    Tensor input = Tensor.fromArray(feed, 1, feed.length);
                    Tensor logits = model.forward(input, caches).value();
                    float[] last = logits.narrow(1, feed.length - 1, 1).reshape(-1).toFloatArray();
                    out[n] = sample(last, g);
                }
                n++;
                if (caches[0].length() >= window) {
                    for (KVCache c : caches) {
                        c.clear();
                    }
                    feed = Arrays.copyOfRange(out, n - Math.max(1, window / 2), n);
                } else {
                    feed = new long[] {out[n - 1]};
                }
            }
        } finally {
            for (KVCache c : caches) {
                c.clear();
            }
            if (wasTraining) {
                model.train();
            }
        }
        return out;
    }
}
