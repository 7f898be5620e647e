package dev.kiln.nn.generate;

/**
 * Receives a sample's tokens one at a time while it is decoded (what a server turns into
 * Server-Sent Events). Called on the scheduler's decode thread, so it must be quick; an exception
 * ends the request exceptionally. Tokens that might start a token-level stop sequence are held
 * back until they are known not to, so a stop sequence is never delivered.
 */
@FunctionalInterface
public interface TokenListener {
    /** {@code token} is the next token of sample {@code choice} (0-based, in {@code [0, n)}). */
    void onToken(int choice, long token);

    /** Called once per sample after its last token. */
    default void onFinish(int choice, Completion.FinishReason reason) {}
}
