package dev.kiln.data.clean.tabular;

import dev.kiln.data.stream.CsvTable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An immutable table of named columns of equal length, each numeric ({@code double}, NaN for a
 * missing value) or categorical ({@code String}, null for a missing value) — what the
 * missing-value and outlier rules work on.
 */
public final class ColumnTable {
    /** The CSV fields read as missing by default: empty, NA, N/A, NaN, nan, null, NULL, None and ?. */
    public static final Set<String> DEFAULT_MISSING = Set.of("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?");

    private final Map<String, Column> columns;
    private final int rowCount;

    /**
     * @throws IllegalArgumentException when the columns differ in length or two share a name
     */
    public ColumnTable(List<? extends Column> columns) {
        Objects.requireNonNull(columns, "ColumnTable: columns");
        Map<String, Column> byName = new LinkedHashMap<>();
        int rows = columns.isEmpty() ? 0 : columns.getFirst().size();
        for (Column c : columns) {
            if (c.size() != rows) {
                throw new IllegalArgumentException("ColumnTable: column '" + c.name() + "' has " + c.size()
                        + " rows, column '" + columns.getFirst().name() + "' has " + rows);
            }
            if (byName.put(c.name(), c) != null) {
                throw new IllegalArgumentException("ColumnTable: two columns are named '" + c.name() + "'");
            }
        }
        this.columns = byName;
        this.rowCount = rows;
    }

    /**
     * A table from a CSV file: a column whose non-missing fields all parse as numbers becomes
     * numeric, any other categorical. Fields equal (after stripping) to one of {@code missing} are
     * missing.
     */
    public static ColumnTable fromCsv(CsvTable csv, Set<String> missing) {
        Objects.requireNonNull(csv, "ColumnTable.fromCsv: csv");
        Objects.requireNonNull(missing, "ColumnTable.fromCsv: missing");
        List<Column> out = new ArrayList<>();
        for (String name : csv.columns()) {
            List<String> raw = csv.stringColumn(name);
            String[] values = new String[raw.size()];
            boolean numeric = true;
            for (int r = 0; r < values.length; r++) {
                String s = raw.get(r).strip();
                values[r] = missing.contains(s) ? null : s;
                if (values[r] != null && numeric && !isNumber(values[r])) {
                    numeric = false;
                }
            }
            if (numeric) {
                double[] d = new double[values.length];
                for (int r = 0; r < d.length; r++) {
                    d[r] = values[r] == null ? Double.NaN : Double.parseDouble(values[r]);
                }
                out.add(new NumericColumn(name, d));
            } else {
                out.add(new CategoricalColumn(name, values));
            }
        }
        return new ColumnTable(out);
    }

    private static boolean isNumber(String s) {
        try {
            double d = Double.parseDouble(s);
            return !Double.isNaN(d); // "NaN" not listed as missing stays text, not a silent missing value
        } catch (NumberFormatException e) {
            return false;
        }
    }

    public int rowCount() {
        return rowCount;
    }

    /** The columns, in order. */
    public List<Column> columns() {
        return List.copyOf(columns.values());
    }

    /** The column names, in order. */
    public List<String> names() {
        return List.copyOf(columns.keySet());
    }

    /** @throws IllegalArgumentException listing the columns when there is none named {@code name} */
    public Column column(String name) {
        Column c = columns.get(name);
        if (c == null) {
            throw new IllegalArgumentException("ColumnTable: no column '" + name + "', columns are " + names());
        }
        return c;
    }

    /** @throws IllegalArgumentException when {@code name} is missing or categorical */
    public NumericColumn numeric(String name) {
        if (column(name) instanceof NumericColumn n) {
            return n;
        }
        throw new IllegalArgumentException("ColumnTable: column '" + name + "' is categorical, expected numeric");
    }

    /** @throws IllegalArgumentException when {@code name} is missing or numeric */
    public CategoricalColumn categorical(String name) {
        if (column(name) instanceof CategoricalColumn c) {
            return c;
        }
        throw new IllegalArgumentException("ColumnTable: column '" + name + "' is numeric, expected categorical");
    }

    /** The rows where {@code keep} is true, in order. */
    public ColumnTable selectRows(boolean[] keep) {
        if (keep.length != rowCount) {
            throw new IllegalArgumentException("ColumnTable.selectRows: mask has " + keep.length + " entries, table has "
                    + rowCount + " rows");
        }
        int n = 0;
        for (boolean k : keep) {
            n += k ? 1 : 0;
        }
        int[] rows = new int[n];
        for (int r = 0, j = 0; r < keep.length; r++) {
            if (keep[r]) {
                rows[j++] = r;
            }
        }
        List<Column> out = new ArrayList<>();
        for (Column c : columns.values()) {
            out.add(c.select(rows));
        }
        return new ColumnTable(out);
    }

    /** This table with {@code column} replacing the column of the same name, or appended when there is none. */
    public ColumnTable with(Column column) {
        List<Column> out = new ArrayList<>();
        boolean replaced = false;
        for (Column c : columns.values()) {
            if (c.name().equals(column.name())) {
                out.add(column);
                replaced = true;
            } else {
                out.add(c);
            }
        }
        if (!replaced) {
            out.add(column);
        }
        return new ColumnTable(out);
    }

    /** A column of a {@link ColumnTable}. */
    public sealed interface Column permits NumericColumn, CategoricalColumn {
        String name();

        int size();

        boolean isMissing(int row);

        /** The number of missing values. */
        default int missingCount() {
            int n = 0;
            for (int r = 0; r < size(); r++) {
                n += isMissing(r) ? 1 : 0;
            }
            return n;
        }

        /** The values at {@code rows}, in that order. */
        Column select(int[] rows);
    }

    /** Numbers; NaN marks a missing value. */
    public static final class NumericColumn implements Column {
        private final String name;
        private final double[] values;

        public NumericColumn(String name, double[] values) {
            this.name = Objects.requireNonNull(name, "NumericColumn: name");
            this.values = values.clone();
            for (int r = 0; r < this.values.length; r++) {
                if (Double.isInfinite(this.values[r])) {
                    throw new IllegalArgumentException("NumericColumn '" + name + "': row " + r + " is " + this.values[r]
                            + "; infinities are not allowed (NaN marks a missing value)");
                }
            }
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int size() {
            return values.length;
        }

        @Override
        public boolean isMissing(int row) {
            return Double.isNaN(values[row]);
        }

        public double get(int row) {
            return values[row];
        }

        /** A copy of the values. */
        public double[] values() {
            return values.clone();
        }

        @Override
        public NumericColumn select(int[] rows) {
            double[] out = new double[rows.length];
            for (int i = 0; i < rows.length; i++) {
                out[i] = values[rows[i]];
            }
            return new NumericColumn(name, out);
        }

        @Override
        public String toString() {
            return name + java.util.Arrays.toString(values);
        }
    }

    /** Text categories; null marks a missing value. */
    public static final class CategoricalColumn implements Column {
        private final String name;
        private final String[] values;

        public CategoricalColumn(String name, String[] values) {
            this.name = Objects.requireNonNull(name, "CategoricalColumn: name");
            this.values = values.clone();
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int size() {
            return values.length;
        }

        @Override
        public boolean isMissing(int row) {
            return values[row] == null;
        }

        public String get(int row) {
            return values[row];
        }

        /** A copy of the values. */
        public String[] values() {
            return values.clone();
        }

        /** The distinct non-missing values. */
        public Set<String> levels() {
            Set<String> out = new HashSet<>();
            for (String v : values) {
                if (v != null) {
                    out.add(v);
                }
            }
            return out;
        }

        @Override
        public CategoricalColumn select(int[] rows) {
            String[] out = new String[rows.length];
            for (int i = 0; i < rows.length; i++) {
                out[i] = values[rows[i]];
            }
            return new CategoricalColumn(name, out);
        }

        @Override
        public String toString() {
            return name + java.util.Arrays.toString(values);
        }
    }
}
