package dev.kiln.data.dedup;

import dev.kiln.data.clean.FilterReport;
import dev.kiln.data.clean.TextNormalizers;
import dev.kiln.data.parallel.CloseableIterator;
import dev.kiln.data.parallel.OrderedParallelMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Exact deduplication: two documents are duplicates when their canonical forms have the same
 * {@link ContentHash}; the first one seen is kept. Hashing is thread-safe ({@link #hash}) so it
 * can run on every core; {@link #add} decides in stream order and is for one thread.
 */
public final class ExactDeduplicator {
    /** Name of the report stage. */
    public static final String STAGE = "exact-duplicates";

    /**
     * The default canonical form: invisible characters removed, NFKC, whitespace normalised,
     * lower-cased — documents that differ only in those respects are the same document.
     */
    public static final UnaryOperator<String> DEFAULT_CANONICAL = text -> {
        String s = text;
        for (var n : Holder.STANDARD) {
            s = n.normalize(s);
        }
        return s.toLowerCase(Locale.ROOT);
    };

    private static final class Holder {
        static final java.util.List<dev.kiln.data.clean.TextNormalizer> STANDARD = TextNormalizers.standard();
    }

    private final UnaryOperator<String> canonical;
    private final Map<ContentHash, Integer> first = new HashMap<>();
    private int count;

    /** Uses {@link #DEFAULT_CANONICAL}. */
    public ExactDeduplicator() {
        this(DEFAULT_CANONICAL);
    }

    /** Compares documents by {@code canonical(text)}; pass {@code UnaryOperator.identity()} for byte-exact. */
    public ExactDeduplicator(UnaryOperator<String> canonical) {
        this.canonical = Objects.requireNonNull(canonical, "ExactDeduplicator: canonical");
    }

    /** The hash of {@code text}'s canonical form. Thread-safe. */
    public ContentHash hash(String text) {
        return ContentHash.of(canonical.apply(text));
    }

    /**
     * Registers the next document (index {@link #size()} before the call) by its hash.
     *
     * @return the index of the earlier document with the same hash, or -1 when this one is new
     */
    public int add(ContentHash hash) {
        Objects.requireNonNull(hash, "ExactDeduplicator.add: hash");
        Integer earlier = first.putIfAbsent(hash, count);
        count++;
        return earlier == null ? -1 : earlier;
    }

    /** {@code add(hash(text))}. */
    public int add(String text) {
        return add(hash(text));
    }

    /** The number of documents added. */
    public int size() {
        return count;
    }

    /** The number of distinct documents added. */
    public int distinct() {
        return first.size();
    }

    /**
     * The records of {@code records} that are not exact duplicates of an earlier one, in order;
     * hashes are computed on {@code threads} threads. Counts go to stage {@link #STAGE}.
     */
    public <T> CloseableIterator<T> filter(Iterator<T> records, Function<? super T, String> textOf, FilterReport report,
            int threads) {
        Objects.requireNonNull(records, "ExactDeduplicator.filter: records");
        Objects.requireNonNull(textOf, "ExactDeduplicator.filter: textOf");
        FilterReport.Stage stage = Objects.requireNonNull(report, "ExactDeduplicator.filter: report").stage(STAGE);
        CloseableIterator<Hashed<T>> hashed = OrderedParallelMap.map(records,
                r -> new Hashed<>(r, hash(textOf.apply(r))), threads, 256);
        return hashed.filter(h -> {
            stage.countSeen();
            if (add(h.hash()) >= 0) {
                stage.countRemoved("exact duplicate of an earlier document");
                return false;
            }
            return true;
        }).map(Hashed::record);
    }

    private record Hashed<T>(T record, ContentHash hash) {}
}
