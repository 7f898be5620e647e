package dev.kiln.data.label;

import dev.kiln.data.parallel.CloseableIterator;
import dev.kiln.data.parallel.OrderedParallelMap;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Applies labeling functions to texts and collects their votes in a {@link LabelMatrix} (examples
 * in parallel, each function once per example).
 */
public final class WeakLabeler {
    private final List<LabelingFunction> functions;

    /** @throws IllegalArgumentException when there are no functions or two share a name */
    public WeakLabeler(List<LabelingFunction> functions) {
        Objects.requireNonNull(functions, "WeakLabeler: functions");
        if (functions.isEmpty()) {
            throw new IllegalArgumentException("WeakLabeler: no labeling functions");
        }
        Set<String> names = new HashSet<>();
        for (LabelingFunction f : functions) {
            if (!names.add(f.name())) {
                throw new IllegalArgumentException("WeakLabeler: two labeling functions are named '" + f.name() + "'");
            }
        }
        this.functions = List.copyOf(functions);
    }

    /** The votes of every function on every text, computed on {@code threads} threads. */
    public LabelMatrix apply(List<String> texts, int threads) {
        Objects.requireNonNull(texts, "WeakLabeler.apply: texts");
        String[][] votes = new String[texts.size()][];
        try (CloseableIterator<String[]> rows = OrderedParallelMap.map(
                java.util.stream.IntStream.range(0, texts.size()).iterator(), i -> votes(texts, i), threads, 64)) {
            int i = 0;
            while (rows.hasNext()) {
                votes[i++] = rows.next();
            }
        }
        List<String> names = new ArrayList<>();
        functions.forEach(f -> names.add(f.name()));
        return new LabelMatrix(names, votes);
    }

    private String[] votes(List<String> texts, int i) {
        String text = texts.get(i);
        if (text == null) {
            throw new IllegalArgumentException("WeakLabeler.apply: text " + i + " is null");
        }
        String[] row = new String[functions.size()];
        for (int j = 0; j < row.length; j++) {
            row[j] = functions.get(j).vote(text);
        }
        return row;
    }
}
