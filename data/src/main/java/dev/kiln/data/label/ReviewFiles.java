package dev.kiln.data.label;

import dev.kiln.data.io.AtomicFiles;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.io.MalformedDataException;
import dev.kiln.data.io.TextFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The human-review loop of active learning. {@link #export} writes the least-confident examples
 * to a JSON Lines file, one object per line:
 * <pre>{"id": "...", "text": "...", "predicted": "spam", "confidence": 0.51, "uncertainty": 0.49, "label": null}</pre>
 * A reviewer sets {@code "label"} (leaving it null or removing the field means "not reviewed");
 * {@link #merge} then folds the reviewed labels into an id → label map, reviewed labels winning.
 */
public final class ReviewFiles {
    private ReviewFiles() {}

    /**
     * Writes the {@code k} most uncertain examples (by {@code strategy}) to {@code file}
     * atomically, most uncertain first; {@code confidence} is the predicted class's probability.
     *
     * @param ids one per example, unique
     * @param texts one per example
     * @param probabilities one row per example, one column per class of {@code classes}
     * @return the number of examples written
     */
    public static int export(Path file, List<String> ids, List<String> texts, double[][] probabilities, List<String> classes,
            int k, UncertaintySampling.Strategy strategy) throws IOException {
        Objects.requireNonNull(file, "ReviewFiles.export: file");
        if (ids.size() != texts.size() || ids.size() != probabilities.length) {
            throw new IllegalArgumentException("ReviewFiles.export: " + ids.size() + " ids, " + texts.size() + " texts and "
                    + probabilities.length + " probability rows; expected one of each per example");
        }
        UncertaintySampling.check(probabilities, classes.size());
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            Integer before = seen.putIfAbsent(ids.get(i), i);
            if (before != null) {
                throw new IllegalArgumentException("ReviewFiles.export: id '" + ids.get(i) + "' is used by examples "
                        + before + " and " + i);
            }
        }
        int[] chosen = UncertaintySampling.select(probabilities, k, strategy);
        StringBuilder sb = new StringBuilder();
        for (int i : chosen) {
            int predicted = UncertaintySampling.argmax(probabilities[i]);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", ids.get(i));
            m.put("text", texts.get(i));
            m.put("predicted", classes.get(predicted));
            m.put("confidence", probabilities[i][predicted]);
            m.put("uncertainty", UncertaintySampling.uncertainty(probabilities[i], strategy));
            m.put("label", null);
            sb.append(JsonFiles.write(m)).append('\n');
        }
        AtomicFiles.writeString(file, sb.toString());
        return chosen.length;
    }

    /**
     * The outcome of a merge.
     *
     * @param labels the merged labels (input order, then nothing new: unknown ids are not added)
     * @param changed reviewed ids whose label differs from the one they had (or had none)
     * @param confirmed reviewed ids whose label was already that
     * @param unreviewed lines without a label
     * @param unknownIds ids in the review file that {@code labels} does not know, ignored
     */
    public record MergeResult(Map<String, String> labels, int changed, int confirmed, int unreviewed,
            List<String> unknownIds) {}

    /**
     * Folds the reviewed file into {@code labels}: the keys of {@code labels} are the known ids
     * (values may be null for examples without a label yet). Reviewed labels override.
     *
     * @throws MalformedDataException naming the line for malformed JSON, a missing id, a label that
     *     is not a string, or an id reviewed twice
     */
    public static MergeResult merge(Path reviewed, Map<String, String> labels) throws IOException {
        Objects.requireNonNull(labels, "ReviewFiles.merge: labels");
        String text = TextFile.read(reviewed, StandardCharsets.UTF_8);
        String source = reviewed.toString();
        Map<String, String> out = new LinkedHashMap<>(labels);
        Map<String, Integer> lineOf = new HashMap<>();
        int changed = 0;
        int confirmed = 0;
        int unreviewed = 0;
        List<String> unknown = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int line = i + 1;
            String s = lines[i].strip();
            if (s.isEmpty()) {
                continue;
            }
            if (!(JsonFiles.parse(s, source + ":" + line) instanceof Map<?, ?> obj)) {
                throw new MalformedDataException(source + ":" + line + ": expected a JSON object");
            }
            Object idValue = obj.get("id");
            if (!(idValue instanceof String || idValue instanceof Long)) {
                throw new MalformedDataException(source + ":" + line + ": no string or integer field 'id'");
            }
            String id = idValue.toString();
            Integer first = lineOf.putIfAbsent(id, line);
            if (first != null) {
                throw new MalformedDataException(source + ":" + line + ": id '" + id + "' reviewed again (first at line "
                        + first + ")");
            }
            Object label = obj.get("label");
            if (label == null || (label instanceof String ls && ls.isBlank())) {
                unreviewed++;
                continue;
            }
            if (!(label instanceof String || label instanceof Long || label instanceof Boolean)) {
                throw new MalformedDataException(source + ":" + line + ": field 'label' of id '" + id
                        + "' is not a string");
            }
            if (!labels.containsKey(id)) {
                unknown.add(id);
                continue;
            }
            String newLabel = label.toString().strip();
            if (newLabel.equals(labels.get(id))) {
                confirmed++;
            } else {
                changed++;
                out.put(id, newLabel);
            }
        }
        return new MergeResult(out, changed, confirmed, unreviewed, List.copyOf(unknown));
    }
}
