package dev.kiln.data.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A CSV file in memory (RFC 4180): fields separated by commas, records by LF or CRLF; a field in
 * double quotes may hold commas, line breaks and doubled quotes ({@code ""} for {@code "}). Every
 * record must have as many fields as the first (the header, when there is one). Blank lines are
 * skipped. Typed accessors parse on demand and name the line and column of a bad value.
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
        return parse(TextFile.read(file, StandardCharsets.UTF_8), file.toString(), header);
    }

    /**
     * Parses {@code text}; {@code source} names it in errors. Without a header the columns are
     * named {@code "0"}, {@code "1"}, ...
     *
     * @throws MalformedDataException for an unterminated quote, a character after a closing quote,
     *     a quote inside an unquoted field, or a record with the wrong number of fields
     */
    public static CsvTable parse(String text, String source, boolean header) throws MalformedDataException {
        Objects.requireNonNull(text, "CsvTable.parse: text");
        List<String[]> records = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        int line = 1;
        int i = 0;
        int n = text.length();
        if (n > 0 && text.charAt(0) == '\uFEFF') {
            i = 1; // byte order mark
        }
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        while (i < n) {
            // one record
            int recordLine = line;
            char c0 = text.charAt(i);
            if (c0 == '\n' || (c0 == '\r' && i + 1 < n && text.charAt(i + 1) == '\n')) {
                i += c0 == '\r' ? 2 : 1; // blank line
                line++;
                continue;
            }
            fields.clear();
            boolean endOfRecord = false;
            while (!endOfRecord) {
                field.setLength(0);
                if (i < n && text.charAt(i) == '"') {
                    int quoteLine = line;
                    int quoteCol = column(text, i);
                    i++;
                    while (true) {
                        if (i >= n) {
                            throw new MalformedDataException(source + ":" + quoteLine + ":" + quoteCol
                                    + ": unterminated quoted field (the file ends before its closing quote)");
                        }
                        char c = text.charAt(i);
                        if (c == '"') {
                            if (i + 1 < n && text.charAt(i + 1) == '"') {
                                field.append('"');
                                i += 2;
                                continue;
                            }
                            i++;
                            break;
                        }
                        if (c == '\n') {
                            line++;
                        }
                        field.append(c);
                        i++;
                    }
                    if (i < n && text.charAt(i) != ',' && text.charAt(i) != '\n'
                            && !(text.charAt(i) == '\r' && i + 1 < n && text.charAt(i + 1) == '\n')) {
                        throw new MalformedDataException(source + ":" + line + ":" + column(text, i)
                                + ": unexpected '" + text.charAt(i) + "' after a closing quote (expected ',' or end of line)");
                    }
                } else {
                    while (i < n) {
                        char c = text.charAt(i);
                        if (c == ',' || c == '\n' || (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n')) {
                            break;
                        }
                        if (c == '"') {
                            throw new MalformedDataException(source + ":" + line + ":" + column(text, i)
                                    + ": quote inside an unquoted field (quote the whole field and double the quote)");
                        }
                        field.append(c);
                        i++;
                    }
                }
                fields.add(field.toString());
                if (i >= n) {
                    endOfRecord = true;
                } else if (text.charAt(i) == ',') {
                    i++;
                } else {
                    i += text.charAt(i) == '\r' ? 2 : 1;
                    line++;
                    endOfRecord = true;
                }
            }
            if (!records.isEmpty() && fields.size() != records.getFirst().length) {
                throw new MalformedDataException(source + ":" + recordLine + ": expected "
                        + records.getFirst().length + " fields (as in " + (header ? "the header" : "line " + starts.getFirst())
                        + "), found " + fields.size());
            }
            records.add(fields.toArray(String[]::new));
            starts.add(recordLine);
        }
        List<String> columns;
        int first;
        if (header) {
            if (records.isEmpty()) {
                throw new MalformedDataException(source + ": empty, expected a header row");
            }
            columns = List.of(records.getFirst());
            for (int a = 0; a < columns.size(); a++) {
                for (int b = 0; b < a; b++) {
                    if (columns.get(a).equals(columns.get(b))) {
                        throw new MalformedDataException(source + ":" + starts.getFirst() + ": column name '"
                                + columns.get(a) + "' appears twice in the header");
                    }
                }
            }
            first = 1;
        } else {
            int width = records.isEmpty() ? 0 : records.getFirst().length;
            List<String> names = new ArrayList<>();
            for (int c = 0; c < width; c++) {
                names.add(Integer.toString(c));
            }
            columns = List.copyOf(names);
            first = 0;
        }
        List<String[]> rows = new ArrayList<>(records.subList(first, records.size()));
        int[] lines = new int[rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            lines[r] = starts.get(r + first);
        }
        return new CsvTable(source, columns, rows, lines);
    }

    private static int column(String text, int i) {
        int start = text.lastIndexOf('\n', i - 1) + 1;
        return i - start + 1;
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
