package dev.kiln.data.stream;

import dev.kiln.data.io.MalformedDataException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A CSV file in memory (RFC 4180), read strictly by {@link CsvReader} (Kiln's one CSV parser, so
 * both accept exactly the same dialect): fields separated by commas, records by LF or CRLF; a field
 * in double quotes may hold commas, line breaks and doubled quotes ({@code ""} for {@code "}).
 * Every record must have as many fields as the first (the header, when there is one). Blank lines
 * are skipped. Unlike the streaming reader, the first bad record is an error. Typed accessors parse
 * on demand and name the line of a bad value.
 */
public final class CsvTable {
    private final String source;
    private final List<String> columns;
    private final List<String[]> rows;
    private final int[] lines; // 1-based line where each row starts

    private CsvTable(String source, List<String> columns, List<String[]> rows, int[] lines) {
        this.source = source;
        this.columns = columns;
        this.rows = rows;
        this.lines = lines;
    }

    /** Reads {@code file} (UTF-8, gzipped or plain); the first record is the header when {@code header}. */
    public static CsvTable read(Path file, boolean header) throws IOException {
        return read(CsvReader.strict(InputFiles.open(file), file.toString(), header));
    }

    /**
     * Parses {@code text}; {@code source} names it in errors. Without a header the columns are
     * named {@code "0"}, {@code "1"}, ...
     *
     * @throws MalformedDataException naming the line (and where it applies the column) of an
     *     unterminated quote, a character after a closing quote, a quote inside an unquoted field,
     *     a record with the wrong number of fields or a repeated header name
     */
    public static CsvTable parse(String text, String source, boolean header) throws MalformedDataException {
        Objects.requireNonNull(text, "CsvTable.parse: text");
        try {
            return read(CsvReader.strict(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), source, header));
        } catch (MalformedDataException e) {
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException("CsvTable.parse: reading from memory cannot fail", e);
        }
    }

    private static CsvTable read(CsvReader reader) throws IOException {
        try (reader) {
            List<String[]> rows = new ArrayList<>();
            List<Integer> starts = new ArrayList<>();
            for (CsvRecord r = reader.read(); r != null; r = reader.read()) {
                rows.add(r.fields().toArray(String[]::new));
                starts.add((int) r.line());
            }
            int[] lines = starts.stream().mapToInt(Integer::intValue).toArray();
            return new CsvTable(reader.skips().source(), reader.columns(), rows, lines);
        }
    }

    /** Column names: the header, or {@code "0", "1", ...}. */
    public List<String> columns() {
        return columns;
    }

    /** Number of data rows (the header excluded). */
    public int rowCount() {
        return rows.size();
    }

    /** The 1-based line of the file where data row {@code row} starts. */
    public int lineOf(int row) {
        Objects.checkIndex(row, rows.size());
        return lines[row];
    }

    /**
     * Index of the column named {@code name}.
     *
     * @throws IllegalArgumentException listing the columns when there is none of that name
     */
    public int columnIndex(String name) {
        int c = columns.indexOf(name);
        if (c < 0) {
            throw new IllegalArgumentException(source + ": no column '" + name + "', columns are " + columns);
        }
        return c;
    }

    /** The raw text of a field. */
    public String get(int row, int column) {
        Objects.checkIndex(row, rows.size());
        Objects.checkIndex(column, columns.size());
        return rows.get(row)[column];
    }

    public String get(int row, String column) {
        return get(row, columnIndex(column));
    }

    /** A field as a double. @throws MalformedDataException naming file, line and column when it is not a number */
    public double getDouble(int row, String column) throws MalformedDataException {
        int c = columnIndex(column);
        String s = get(row, c).strip();
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new MalformedDataException(source + ":" + lines[row] + ": column '" + column + "' is '" + s
                    + "', not a number", e);
        }
    }

    /** A field as a long. @throws MalformedDataException naming file, line and column when it is not an integer */
    public long getLong(int row, String column) throws MalformedDataException {
        int c = columnIndex(column);
        String s = get(row, c).strip();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new MalformedDataException(source + ":" + lines[row] + ": column '" + column + "' is '" + s
                    + "', not an integer", e);
        }
    }

    /** A whole column as doubles. */
    public double[] doubleColumn(String column) throws MalformedDataException {
        double[] out = new double[rows.size()];
        for (int r = 0; r < out.length; r++) {
            out[r] = getDouble(r, column);
        }
        return out;
    }

    /** A whole column as longs. */
    public long[] longColumn(String column) throws MalformedDataException {
        long[] out = new long[rows.size()];
        for (int r = 0; r < out.length; r++) {
            out[r] = getLong(r, column);
        }
        return out;
    }

    /** A whole column as text. */
    public List<String> stringColumn(String column) {
        int c = columnIndex(column);
        List<String> out = new ArrayList<>(rows.size());
        for (String[] row : rows) {
            out.add(row[c]);
        }
        return out;
    }
}
