package dev.kiln.data.clean.tabular;

import dev.kiln.data.clean.FilterReport;
import dev.kiln.data.clean.tabular.ColumnTable.CategoricalColumn;
import dev.kiln.data.clean.tabular.ColumnTable.Column;
import dev.kiln.data.clean.tabular.ColumnTable.NumericColumn;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * Applies a {@link MissingStrategy} per column. Order of work: first every {@link
 * MissingStrategy#DROP} column removes its rows (a row is counted once, under the first DROP
 * column in the map's order where it is missing), then flags are added, then the fills run with
 * statistics computed on the rows that remain — so a fill never uses a value from a dropped row.
 * Columns not in the map are left alone. Counts go to the report's stage {@code missing-values}:
 * rows seen, rows removed per column, rows where at least one value was filled (modified).
 */
public final class MissingValues {
    /** The report stage. */
    public static final String STAGE = "missing-values";

    private MissingValues() {}

    /**
     * @throws IllegalArgumentException for an unknown column, a mean or median fill of a
     *     categorical column, a fill of a column with no present value, or a flag column name
     *     that is taken
     */
    public static ColumnTable apply(ColumnTable table, Map<String, MissingStrategy> strategies, FilterReport report) {
        Objects.requireNonNull(table, "MissingValues.apply: table");
        Objects.requireNonNull(strategies, "MissingValues.apply: strategies");
        Objects.requireNonNull(report, "MissingValues.apply: report");
        for (Map.Entry<String, MissingStrategy> e : strategies.entrySet()) {
            Column c = table.column(e.getKey());
            if (c instanceof CategoricalColumn && (e.getValue() == MissingStrategy.FILL_MEAN
                    || e.getValue() == MissingStrategy.FILL_MEDIAN)) {
                throw new IllegalArgumentException("MissingValues: column '" + c.name() + "' is categorical; "
                        + e.getValue() + " needs a numeric column (use FILL_MODE)");
            }
        }
        FilterReport.Stage stage = report.stage(STAGE);
        stage.countSeen(table.rowCount());

        boolean[] keep = new boolean[table.rowCount()];
        Arrays.fill(keep, true);
        for (Map.Entry<String, MissingStrategy> e : strategies.entrySet()) {
            if (e.getValue() != MissingStrategy.DROP) {
                continue;
            }
            Column c = table.column(e.getKey());
            long dropped = 0;
            for (int r = 0; r < keep.length; r++) {
                if (keep[r] && c.isMissing(r)) {
                    keep[r] = false;
                    dropped++;
                }
            }
            stage.countRemoved("missing '" + c.name() + "'", dropped);
        }
        ColumnTable out = table.selectRows(keep);

        for (Map.Entry<String, MissingStrategy> e : strategies.entrySet()) {
            if (e.getValue() != MissingStrategy.FLAG) {
                continue;
            }
            Column c = out.column(e.getKey());
            String flagName = c.name() + "_missing";
            if (out.names().contains(flagName)) {
                throw new IllegalArgumentException("MissingValues: cannot add flag column '" + flagName
                        + "', the table already has a column of that name");
            }
            double[] flag = new double[c.size()];
            for (int r = 0; r < flag.length; r++) {
                flag[r] = c.isMissing(r) ? 1 : 0;
            }
            out = out.with(new NumericColumn(flagName, flag));
        }

        boolean[] filled = new boolean[out.rowCount()];
        ColumnTable stats = out; // fills use the statistics of the table after dropping, before any fill
        for (Map.Entry<String, MissingStrategy> e : strategies.entrySet()) {
            MissingStrategy s = e.getValue();
            if (s == MissingStrategy.DROP || s == MissingStrategy.FLAG) {
                continue;
            }
            Column c = stats.column(e.getKey());
            if (c.missingCount() == 0) {
                continue;
            }
            if (c.missingCount() == c.size()) {
                throw new IllegalArgumentException("MissingValues: column '" + c.name() + "' has no present value to "
                        + s + " from");
            }
            Column replaced = switch (c) {
                case NumericColumn n -> {
                    double[] v = n.values();
                    double fill = switch (s) {
                        case FILL_MEAN -> ColumnStats.mean(v);
                        case FILL_MEDIAN -> ColumnStats.median(v);
                        case FILL_MODE -> ColumnStats.mode(v);
                        default -> throw new AssertionError(s);
                    };
                    for (int r = 0; r < v.length; r++) {
                        if (Double.isNaN(v[r])) {
                            v[r] = fill;
                            filled[r] = true;
                        }
                    }
                    yield new NumericColumn(n.name(), v);
                }
                case CategoricalColumn k -> {
                    String[] v = k.values();
                    String fill = ColumnStats.mode(v);
                    for (int r = 0; r < v.length; r++) {
                        if (v[r] == null) {
                            v[r] = fill;
                            filled[r] = true;
                        }
                    }
                    yield new CategoricalColumn(k.name(), v);
                }
            };
            out = out.with(replaced);
        }
        long modified = 0;
        for (boolean f : filled) {
            modified += f ? 1 : 0;
        }
        stage.countModified(modified);
        return out;
    }
}
