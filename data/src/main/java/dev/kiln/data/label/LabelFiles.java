package dev.kiln.data.label;

import dev.kiln.data.io.AtomicFiles;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.data.io.MalformedDataException;
import dev.kiln.data.io.TextFile;
import dev.kiln.data.stream.CsvTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Label files: id → label, as CSV (a header with an id and a label column, other columns ignored)
 * or JSON Lines (one object per line with an id and a label field; ids may be strings or
 * integers). The format follows the file name: {@code .csv} or {@code .jsonl} (optionally followed
 * by {@code .gz}). Ids must be unique and non-empty, labels non-empty; errors name the file and
 * line. Maps keep the file's order.
 */
public final class LabelFiles {
    /** The default field names. */
    public static final String ID = "id";
    public static final String LABEL = "label";

    private LabelFiles() {}

    private enum Format {
        CSV,
        JSONL
    }

    private static Format format(Path file) {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".gz")) {
            name = name.substring(0, name.length() - 3);
        }
        if (name.endsWith(".csv")) {
            return Format.CSV;
        }
        if (name.endsWith(".jsonl")) {
            return Format.JSONL;
        }
        throw new IllegalArgumentException("LabelFiles: cannot tell the format of " + file
                + " (expected a name ending in .csv or .jsonl, optionally .gz)");
    }

    /** The labels in {@code file}, with fields {@code id} and {@code label}. */
    public static Map<String, String> read(Path file) throws IOException {
        return read(file, ID, LABEL);
    }

    /** The labels in {@code file}, with the given field (CSV column) names. */
    public static Map<String, String> read(Path file, String idField, String labelField) throws IOException {
        String text = TextFile.read(file, StandardCharsets.UTF_8);
        return switch (format(file)) {
            case CSV -> parseCsv(text, file.toString(), idField, labelField);
            case JSONL -> parseJsonl(text, file.toString(), idField, labelField);
        };
    }

    /** Labels from CSV text; {@code source} names it in errors. */
    public static Map<String, String> parseCsv(String text, String source, String idField, String labelField)
            throws MalformedDataException {
        CsvTable csv = CsvTable.parse(text, source, true);
        for (String field : List.of(idField, labelField)) {
            if (!csv.columns().contains(field)) {
                throw new MalformedDataException(source + ": no column '" + field + "' in the header, columns are "
                        + csv.columns());
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, Integer> lineOf = new HashMap<>();
        for (int r = 0; r < csv.rowCount(); r++) {
            int line = csv.lineOf(r);
            String id = csv.get(r, idField).strip();
            String label = csv.get(r, labelField).strip();
            put(out, lineOf, id, label, source, line);
        }
        return out;
    }

    /** Labels from JSON Lines text; {@code source} names it in errors. */
    public static Map<String, String> parseJsonl(String text, String source, String idField, String labelField)
            throws MalformedDataException {
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, Integer> lineOf = new HashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int line = i + 1;
            String s = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (s.isBlank()) {
                continue;
            }
            if (!(JsonFiles.parse(s, source + ":" + line) instanceof Map<?, ?> obj)) {
                throw new MalformedDataException(source + ":" + line + ": expected a JSON object with fields '" + idField
                        + "' and '" + labelField + "'");
            }
            String id = scalar(obj, idField, source, line);
            String label = scalar(obj, labelField, source, line);
            put(out, lineOf, id, label, source, line);
        }
        return out;
    }

    private static String scalar(Map<?, ?> obj, String field, String source, int line) throws MalformedDataException {
        if (!obj.containsKey(field)) {
            throw new MalformedDataException(source + ":" + line + ": no field '" + field + "', fields are " + obj.keySet());
        }
        Object v = obj.get(field);
        if (v instanceof String || v instanceof Long || v instanceof Boolean) {
            return v.toString().strip();
        }
        throw new MalformedDataException(source + ":" + line + ": field '" + field + "' is "
                + (v == null ? "null" : "a " + v.getClass().getSimpleName()) + ", expected a string or an integer");
    }

    private static void put(Map<String, String> out, Map<String, Integer> lineOf, String id, String label, String source,
            int line) throws MalformedDataException {
        if (id.isEmpty()) {
            throw new MalformedDataException(source + ":" + line + ": empty id");
        }
        if (label.isEmpty()) {
            throw new MalformedDataException(source + ":" + line + ": empty label for id '" + id + "'");
        }
        Integer first = lineOf.putIfAbsent(id, line);
        if (first != null) {
            throw new MalformedDataException(source + ":" + line + ": id '" + id + "' appears again (first at line "
                    + first + ")");
        }
        out.put(id, label);
    }

    /**
     * Checks that every one of {@code ids} has a label.
     *
     * @throws IllegalArgumentException naming how many ids lack a label and the first ten of them
     */
    public static void requireAll(Collection<String> ids, Map<String, String> labels, String source) {
        List<String> missing = new ArrayList<>();
        for (String id : ids) {
            if (!labels.containsKey(id)) {
                missing.add(id);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(source + ": " + missing.size() + " of " + ids.size()
                    + " ids have no label, e.g. " + missing.subList(0, Math.min(10, missing.size())));
        }
    }

    /** Writes {@code labels} to {@code file} (format by name, as {@link #read}) atomically. Gzip is not written. */
    public static void write(Path file, Map<String, String> labels) throws IOException {
        Objects.requireNonNull(labels, "LabelFiles.write: labels");
        if (file.getFileName().toString().endsWith(".gz")) {
            throw new IllegalArgumentException("LabelFiles.write: writing gzip is not supported: " + file);
        }
        StringBuilder sb = new StringBuilder();
        switch (format(file)) {
            case CSV -> {
                sb.append(ID).append(',').append(LABEL).append('\n');
                labels.forEach((id, label) -> sb.append(csvField(id)).append(',').append(csvField(label)).append('\n'));
            }
            case JSONL -> labels.forEach((id, label) -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put(ID, id);
                m.put(LABEL, label);
                sb.append(JsonFiles.write(m)).append('\n');
            });
        }
        AtomicFiles.writeString(file, sb.toString());
    }

    private static String csvField(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }
}
