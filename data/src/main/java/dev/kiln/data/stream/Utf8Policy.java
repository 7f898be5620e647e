package dev.kiln.data.stream;

/**
 * What a text reader does with a record whose bytes are not valid UTF-8.
 *
 * <p>The default everywhere is {@link #REPORT}: a record with a bad byte is usually in another
 * encoding altogether (Latin-1 or Windows-1252 mislabelled as UTF-8), so replacing the bad bytes
 * would keep mojibake in a training corpus; skipping it and counting the skip keeps the corpus
 * clean and the damage visible. {@link #REPLACE} keeps every record, which suits text that is
 * mostly right with a few broken bytes (truncated multi-byte sequences at cut points).
 */
public enum Utf8Policy {
    /** Skip the record and count it as {@link SkipReason#INVALID_UTF8}. */
    REPORT,
    /** Keep the record, each maximal invalid subsequence replaced by U+FFFD (as {@code new String(bytes, UTF_8)} does). */
    REPLACE
}
