package dev.kiln.nn.generate;

import java.util.List;

/**
 * The answer to one {@link DecodeScheduler#submit} call, shaped like an OpenAI completion: one
 * {@link Choice} per sample ({@code n}) and the token usage.
 */
public record Completion(List<Choice> choices, Usage usage) {
    /** Why a sample ended: a stop sequence matched, or {@code maxTokens} / the model's context was reached. */
    public enum FinishReason {
        STOP, LENGTH;

        /** OpenAI's spelling: {@code "stop"} or {@code "length"}. */
        public String openAiName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One sample: its tokens (without a matched token-level stop sequence), its text when a
     * detokenizer was given (cut before a matched stop string; null otherwise) and why it ended.
     */
    public record Choice(int index, long[] tokens, String text, FinishReason finishReason) {}

    /**
     * Tokens in the prompt (counted once however many samples) and tokens sampled over all
     * samples, stop sequences included, as OpenAI's {@code usage} reports them.
     */
    public record Usage(int promptTokens, int completionTokens) {
        public int totalTokens() {
            return promptTokens + completionTokens;
        }
    }
}
