package dev.kiln.data.clean;

import dev.kiln.data.parallel.CloseableIterator;
import dev.kiln.data.parallel.OrderedParallelMap;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Normalisers then filters, applied to a stream of documents on every core. Each document goes
 * through the normalisers in order, then through the filters in order until one drops it (later
 * filters do not see it, so a document is counted once, under the first reason that applies).
 *
 * <p>Output order is input order, and the output and the {@link FilterReport} are the same at
 * any thread count: stages are stateless per document (see {@link TextNormalizer}, {@link
 * TextFilter}) and the work is spread by {@link OrderedParallelMap}. Memory is bounded by a few
 * batches per thread; the input is pulled lazily, so the pipeline streams end to end.
 */
public final class CleaningPipeline {
    /** What to do with a document whose bytes are not valid UTF-8. */
    public enum InvalidUtf8 {
        /** Decode it anyway, each malformed sequence as U+FFFD; counted as modified by stage {@code utf8-decode}. */
        REPLACE,
        /** Drop it; counted as removed by stage {@code utf8-decode} with reason "invalid UTF-8". */
        SKIP
    }

    /** Name of the decoding stage of {@link #cleanUtf8}. */
    public static final String DECODE_STAGE = "utf8-decode";

    private static final int DEFAULT_BATCH_SIZE = 32;

    private final List<TextNormalizer> normalizers;
    private final List<TextFilter> filters;
    private final int batchSize;

    /**
     * @throws IllegalArgumentException when two stages share a name (their counts would merge)
     */
    public CleaningPipeline(List<TextNormalizer> normalizers, List<TextFilter> filters) {
        this(List.copyOf(normalizers), List.copyOf(filters), DEFAULT_BATCH_SIZE);
    }

    private CleaningPipeline(List<TextNormalizer> normalizers, List<TextFilter> filters, int batchSize) {
        Set<String> names = new HashSet<>();
        names.add(DECODE_STAGE);
        List<String> all = new ArrayList<>();
        normalizers.forEach(n -> all.add(n.name()));
        filters.forEach(f -> all.add(f.name()));
        for (String name : all) {
            if (!names.add(name)) {
                throw new IllegalArgumentException("CleaningPipeline: two stages are named '" + name + "'; stages are "
                        + all);
            }
        }
        this.normalizers = normalizers;
        this.filters = filters;
        this.batchSize = batchSize;
    }

    /** {@link TextNormalizers#standard()} followed by the Gopher quality and repetition filters. */
    public static CleaningPipeline standard() {
        List<TextFilter> filters = new ArrayList<>(QualityFilters.gopher());
        filters.addAll(RepetitionFilters.gopher());
        return new CleaningPipeline(TextNormalizers.standard(), filters);
    }

    /** This pipeline handing {@code batchSize} documents to a worker at a time (default 32). */
    public CleaningPipeline withBatchSize(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("CleaningPipeline.withBatchSize: batchSize must be >= 1, got " + batchSize);
        }
        return new CleaningPipeline(normalizers, filters, batchSize);
    }

    public List<TextNormalizer> normalizers() {
        return normalizers;
    }

    public List<TextFilter> filters() {
        return filters;
    }

    /**
     * The fate of one document: the cleaned text when kept, else null with the stage and the
     * decision that dropped it.
     */
    public record Outcome(String text, String droppedBy, Decision decision) {
        public boolean kept() {
            return decision.keep();
        }
    }

    /** Cleans one document on the caller's thread, counting into {@code report}. */
    public Outcome process(String text, FilterReport report) {
        Objects.requireNonNull(text, "CleaningPipeline.process: text");
        Objects.requireNonNull(report, "CleaningPipeline.process: report");
        return run(text, counters(report, false));
    }

    /** The report's counters for each stage, looked up once per run rather than once per document. */
    private record Counters(FilterReport.Stage[] normalizers, FilterReport.Stage[] filters) {}

    private Counters counters(FilterReport report, boolean decoding) {
        if (decoding) {
            report.stage(DECODE_STAGE); // first in the table
        }
        FilterReport.Stage[] n = new FilterReport.Stage[normalizers.size()];
        for (int i = 0; i < n.length; i++) {
            n[i] = report.stage(normalizers.get(i).name());
        }
        FilterReport.Stage[] f = new FilterReport.Stage[filters.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = report.stage(filters.get(i).name());
        }
        return new Counters(n, f);
    }

    private Outcome run(String text, Counters counters) {
        String current = text;
        for (int i = 0; i < normalizers.size(); i++) {
            TextNormalizer n = normalizers.get(i);
            FilterReport.Stage stage = counters.normalizers()[i];
            stage.countSeen();
            String next = n.normalize(current);
            if (next == null) {
                throw new IllegalStateException("CleaningPipeline: normaliser '" + n.name() + "' returned null");
            }
            if (!next.equals(current)) {
                stage.countModified();
            }
            current = next;
        }
        TextParts parts = new TextParts(current);
        for (int i = 0; i < filters.size(); i++) {
            TextFilter f = filters.get(i);
            FilterReport.Stage stage = counters.filters()[i];
            stage.countSeen();
            Decision d = f.decide(parts);
            if (!d.keep()) {
                stage.countRemoved(d.reason());
                return new Outcome(null, f.name(), d);
            }
        }
        return new Outcome(current, null, Decision.KEEP);
    }

    /**
     * The kept documents of {@code texts}, cleaned, in input order.
     *
     * @param threads worker threads (1: everything on the caller's thread)
     */
    public CloseableIterator<String> clean(Iterator<String> texts, FilterReport report, int threads) {
        return clean(texts, Function.identity(), (record, text) -> text, report, threads);
    }

    /**
     * The kept records of {@code records}, in input order, each rebuilt by {@code withText} around
     * its cleaned text (so ids and metadata travel with the text).
     */
    public <T> CloseableIterator<T> clean(Iterator<T> records, Function<? super T, String> textOf,
            BiFunction<? super T, String, ? extends T> withText, FilterReport report, int threads) {
        Objects.requireNonNull(records, "CleaningPipeline.clean: records");
        Objects.requireNonNull(textOf, "CleaningPipeline.clean: textOf");
        Objects.requireNonNull(withText, "CleaningPipeline.clean: withText");
        Objects.requireNonNull(report, "CleaningPipeline.clean: report");
        Counters counters = counters(report, false);
        Function<T, T> work = record -> {
            String text = textOf.apply(record);
            if (text == null) {
                throw new IllegalArgumentException("CleaningPipeline.clean: textOf returned null for record " + record);
            }
            Outcome o = run(text, counters);
            return o.kept() ? withText.apply(record, o.text()) : null;
        };
        return OrderedParallelMap.map(records, work, threads, batchSize).filter(Objects::nonNull);
    }

    /**
     * Decodes each document from UTF-8, then cleans it. Invalid UTF-8 never fails the run: it is
     * replaced or skipped according to {@code invalid}, and counted under {@link #DECODE_STAGE}.
     */
    public CloseableIterator<String> cleanUtf8(Iterator<byte[]> documents, InvalidUtf8 invalid, FilterReport report,
            int threads) {
        Objects.requireNonNull(documents, "CleaningPipeline.cleanUtf8: documents");
        Objects.requireNonNull(invalid, "CleaningPipeline.cleanUtf8: invalid");
        Objects.requireNonNull(report, "CleaningPipeline.cleanUtf8: report");
        Counters counters = counters(report, true);
        FilterReport.Stage decode = report.stage(DECODE_STAGE);
        Function<byte[], String> work = bytes -> {
            if (bytes == null) {
                throw new IllegalArgumentException("CleaningPipeline.cleanUtf8: a document is null");
            }
            decode.countSeen();
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                if (invalid == InvalidUtf8.SKIP) {
                    decode.countRemoved("invalid UTF-8");
                    return null;
                }
                decode.countModified();
                text = new String(bytes, StandardCharsets.UTF_8);
            }
            return run(text, counters).text();
        };
        return OrderedParallelMap.map(documents, work, threads, batchSize).filter(Objects::nonNull);
    }
}
