package dev.kiln.data.stream;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** One CSV record: its fields (unquoted) and the 1-based line where it starts. Immutable. */
public final class CsvRecord {
    private final String[] fields;
    private final long line;
    private final String source;
    private final Map<String, Integer> columns;

    CsvRecord(String[] fields, long line, String source, Map<String, Integer> columns) {
        this.fields = fields;
        this.line = line;
        this.source = source;
        this.columns = columns;
    }

    public int size() {
        return fields.length;
    }

    /** The 1-based line of the file where this record starts. */
    public long line() {
        return line;
    }

    /** Field {@code index} (0-based). */
    public String get(int index) {
        if (index < 0 || index >= fields.length) {
            throw new IndexOutOfBoundsException(source + ":" + line + ": field " + index + " out of range, the record has "
                    + fields.length + " fields");
        }
        return fields[index];
    }

    /**
     * The field in column {@code column} of the header.
     *
     * @throws IllegalArgumentException listing the columns when there is no such column
     */
    public String get(String column) {
        Integer c = columns.get(column);
        if (c == null) {
            throw new IllegalArgumentException(source + ": no column '" + column + "', columns are " + columns.keySet());
        }
        return fields[c];
    }

    public List<String> fields() {
        return List.of(fields);
    }

    @Override
    public String toString() {
        return source + ":" + line + " " + Arrays.toString(fields);
    }
}
