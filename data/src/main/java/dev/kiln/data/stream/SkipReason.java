package dev.kiln.data.stream;

/**
 * Why a streaming reader did not deliver a record. The first group are problems with the input
 * (the record was malformed); the second are records the caller's options filtered out.
 */
public enum SkipReason {
    /** The record's bytes are not valid UTF-8 (reader in {@link Utf8Policy#REPORT} mode). */
    INVALID_UTF8(true),
    /** A JSON Lines line that does not parse as JSON. */
    MALFORMED_JSON(true),
    /** A JSON Lines line that parses, but is not a JSON object. */
    NOT_A_JSON_OBJECT(true),
    /** A CSV record with a stray quote or an unterminated quoted field. */
    MALFORMED_CSV(true),
    /** A CSV record with a different number of fields than the header (or the first record). */
    WRONG_FIELD_COUNT(true),
    /** A record longer than the reader's limit; it was read past, not kept in memory. */
    RECORD_TOO_LONG(true),
    /** A WARC record whose header block cannot be parsed (the reader resynchronises on the next {@code WARC/1.x} line). */
    MALFORMED_WARC(true),
    /** A wiki page without revision text (for example a deleted revision). */
    MISSING_TEXT(true),

    /** A WARC record of a type the caller did not ask for. */
    FILTERED_TYPE(false),
    /** A wiki page that is a redirect. */
    REDIRECT(false),
    /** A wiki page outside the namespaces the caller asked for. */
    FILTERED_NAMESPACE(false);

    private final boolean problem;

    SkipReason(boolean problem) {
        this.problem = problem;
    }

    /** True when the skip points at bad input, false when an option filtered the record out. */
    public boolean isProblem() {
        return problem;
    }
}
