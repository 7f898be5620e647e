package dev.kiln.nn.generate;

import java.util.List;

/**
 * How one completion request is decoded, with OpenAI's names and defaults: {@code maxTokens}
 * new tokens at most (16), {@code temperature} (1; 0 is greedy argmax), nucleus {@code topP} (1:
 * off), {@code n} independent samples of the same prompt (1), a {@code seed} (null: a random one)
 * that makes sampling reproducible, and stop sequences that end a sample without being part of
 * its output: {@code stopTokens} as token-id sequences, {@code stopStrings} matched on the text a
 * detokenizer gives (see {@link DecodeScheduler#submit}).
 */
public record SamplingParams(int maxTokens, double temperature, double topP, int n, Long seed, List<long[]> stopTokens,
                             List<String> stopStrings) {
    public SamplingParams {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("SamplingParams: maxTokens must be >= 1, got " + maxTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("SamplingParams: temperature must be finite and >= 0 (0: greedy), got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("SamplingParams: topP must be in (0, 1], got " + topP);
        }
        if (n < 1) {
            throw new IllegalArgumentException("SamplingParams: n must be >= 1, got " + n);
        }
        stopTokens = stopTokens == null ? List.of() : List.copyOf(stopTokens);
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        for (int i = 0; i < stopTokens.size(); i++) {
            if (stopTokens.get(i).length == 0) {
                throw new IllegalArgumentException("SamplingParams: stopTokens[" + i + "] is empty");
            }
        }
        for (int i = 0; i < stopStrings.size(); i++) {
            if (stopStrings.get(i).isEmpty()) {
                throw new IllegalArgumentException("SamplingParams: stopStrings[" + i + "] is empty");
            }
        }
    }

    /** OpenAI's defaults: 16 tokens, temperature 1, top_p 1, n 1, no seed, no stop. */
    public static SamplingParams defaults() {
        return new SamplingParams(16, 1.0, 1.0, 1, null, List.of(), List.of());
    }

    /** Greedy decoding of {@code maxTokens} tokens. */
    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(maxTokens, 0.0, 1.0, 1, null, List.of(), List.of());
    }

    public SamplingParams withMaxTokens(int v) {
        return new SamplingParams(v, temperature, topP, n, seed, stopTokens, stopStrings);
    }

    public SamplingParams withTemperature(double v) {
        return new SamplingParams(maxTokens, v, topP, n, seed, stopTokens, stopStrings);
    }

    public SamplingParams withTopP(double v) {
        return new SamplingParams(maxTokens, temperature, v, n, seed, stopTokens, stopStrings);
    }

    public SamplingParams withN(int v) {
        return new SamplingParams(maxTokens, temperature, topP, v, seed, stopTokens, stopStrings);
    }

    public SamplingParams withSeed(Long v) {
        return new SamplingParams(maxTokens, temperature, topP, n, v, stopTokens, stopStrings);
    }

    public SamplingParams withStopTokens(List<long[]> v) {
        return new SamplingParams(maxTokens, temperature, topP, n, seed, v, stopStrings);
    }

    public SamplingParams withStopStrings(List<String> v) {
        return new SamplingParams(maxTokens, temperature, topP, n, seed, stopTokens, v);
    }
}
