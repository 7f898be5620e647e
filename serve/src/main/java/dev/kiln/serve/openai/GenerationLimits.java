package dev.kiln.serve.openai;

/**
 * How much a generative model takes on at once: at most {@code maxRunning} sequences decode together
 * (vLLM's {@code max_num_seqs}; each holds a KV cache, so this bounds memory and per-step latency),
 * and at most {@code maxWaiting} requests wait to join them; a request beyond that gets 429.
 *
 * @param maxRunning sequences in the running decode batch, ≥ 1
 * @param maxWaiting requests waiting to join, ≥ 1
 */
public record GenerationLimits(int maxRunning, int maxWaiting) {
    /** 8 running, 32 waiting. */
    public static final GenerationLimits DEFAULT = new GenerationLimits(8, 32);

    /** @throws IllegalArgumentException naming the bound that is below 1 */
    public GenerationLimits {
        if (maxRunning < 1) {
            throw new IllegalArgumentException("max running sequences must be >= 1, got " + maxRunning);
        }
        if (maxWaiting < 1) {
            throw new IllegalArgumentException("max waiting requests must be >= 1, got " + maxWaiting);
        }
    }
}
