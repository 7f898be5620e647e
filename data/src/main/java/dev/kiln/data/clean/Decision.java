package dev.kiln.data.clean;

import java.util.Objects;

/**
 * What a filter decided about one record: keep it, or drop it for a reason. The reason is a
 * category, not a per-record message ("fewer than 50 words", not "12 words"), because the
 * {@link FilterReport} counts records per reason.
 */
public record Decision(boolean keep, String reason) {
    /** Keep the record. */
    public static final Decision KEEP = new Decision(true, "");

    public Decision {
        Objects.requireNonNull(reason, "Decision: reason");
        if (!keep && reason.isBlank()) {
            throw new IllegalArgumentException("Decision: a drop needs a reason");
        }
    }

    /** Drop the record because of {@code reason}. */
    public static Decision drop(String reason) {
        return new Decision(false, reason);
    }
}
