package dev.kiln.data.tokenize;

/**
 * A token matched as a whole in the raw text before pre-tokenization, such as {@code <|endoftext|>}:
 * it is never split, and BPE never produces it from ordinary text. {@code special} is kept for the
 * tokenizer.json {@code added_tokens} entry (Hugging Face skips special tokens when asked to).
 */
public record AddedToken(int id, String content, boolean special) {
    public AddedToken {
        if (id < 0) {
            throw new IllegalArgumentException("AddedToken: id must be >= 0, got " + id);
        }
        if (content == null || content.isEmpty()) {
            throw new IllegalArgumentException("AddedToken: content must be a non-empty string, got "
                    + (content == null ? "null" : "\"\""));
        }
    }
}
