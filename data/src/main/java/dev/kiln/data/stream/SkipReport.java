package dev.kiln.data.stream;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a streaming reader left out of one source, and why: a count per {@link SkipReason} plus,
 * for each reason, the first {@link #EXAMPLES_PER_REASON} skips with their location (file and
 * line, or record number and byte offset) so that a bad input can be found without rereading it.
 *
 * <p>Not thread-safe: it belongs to the one reader that fills it.
 */
public final class SkipReport {
    /** How many example locations are kept per reason; later skips are only counted. */
    public static final int EXAMPLES_PER_REASON = 5;

    /** One skipped record: why, where (e.g. {@code "corpus.jsonl:12"}), and a one-line detail. */
    public record Skip(SkipReason reason, String location, String detail) {
        public Skip {
            Objects.requireNonNull(reason, "Skip: reason");
            Objects.requireNonNull(location, "Skip: location");
            Objects.requireNonNull(detail, "Skip: detail");
        }

        @Override
        public String toString() {
            return location + ": " + reason + ": " + detail;
        }
    }

    private final String source;
    private final Map<SkipReason, Long> counts = new EnumMap<>(SkipReason.class);
    private final Map<SkipReason, List<Skip>> examples = new EnumMap<>(SkipReason.class);

    /** An empty report for {@code source} (a file name, used in {@link #toString()}). */
    public SkipReport(String source) {
        this.source = Objects.requireNonNull(source, "SkipReport: source");
    }

    /** Counts one skip, keeping its location when it is among the first few of its reason. */
    public void add(SkipReason reason, String location, String detail) {
        Objects.requireNonNull(reason, "SkipReport.add: reason");
        counts.merge(reason, 1L, Long::sum);
        List<Skip> kept = examples.computeIfAbsent(reason, r -> new ArrayList<>());
        if (kept.size() < EXAMPLES_PER_REASON) {
            kept.add(new Skip(reason, location, detail));
        }
    }

    /** The source this report is about. */
    public String source() {
        return source;
    }

    /** Skips counted for {@code reason}. */
    public long count(SkipReason reason) {
        return counts.getOrDefault(reason, 0L);
    }

    /** All skips, of every reason. */
    public long total() {
        long t = 0;
        for (long c : counts.values()) {
            t += c;
        }
        return t;
    }

    /** Skips whose reason {@linkplain SkipReason#isProblem() is a problem} with the input. */
    public long problems() {
        long t = 0;
        for (Map.Entry<SkipReason, Long> e : counts.entrySet()) {
            if (e.getKey().isProblem()) {
                t += e.getValue();
            }
        }
        return t;
    }

    /** The first skips of {@code reason} (at most {@link #EXAMPLES_PER_REASON}), in input order. */
    public List<Skip> examples(SkipReason reason) {
        return Collections.unmodifiableList(examples.getOrDefault(reason, List.of()));
    }

    /** Counts per reason, in {@link SkipReason} order; reasons never seen are absent. */
    public Map<SkipReason, Long> counts() {
        return Collections.unmodifiableMap(counts);
    }

    /** E.g. {@code "a.jsonl: 3 skipped (MALFORMED_JSON 2, INVALID_UTF8 1); first: a.jsonl:4: ..."}. */
    @Override
    public String toString() {
        if (counts.isEmpty()) {
            return source + ": nothing skipped";
        }
        StringBuilder sb = new StringBuilder(source).append(": ").append(total()).append(" skipped (");
        String sep = "";
        for (Map.Entry<SkipReason, Long> e : counts.entrySet()) {
            sb.append(sep).append(e.getKey()).append(' ').append(e.getValue());
            sep = ", ";
        }
        sb.append(')');
        for (List<Skip> kept : examples.values()) {
            for (Skip s : kept) {
                sb.append("\n  ").append(s);
            }
        }
        return sb.toString();
    }
}
