package dev.kiln.data.clean.tabular;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.clean.FilterReport;
import dev.kiln.data.clean.tabular.ColumnTable.CategoricalColumn;
import dev.kiln.data.clean.tabular.ColumnTable.NumericColumn;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MissingValuesTest {
    private static final double NA = Double.NaN;

    private static ColumnTable table() {
        return new ColumnTable(List.of(
                new NumericColumn("x", new double[] {1, NA, 3, 4, 10}),
                new NumericColumn("y", new double[] {2, 2, NA, 5, 5}),
                new CategoricalColumn("c", new String[] {"b", null, "a", "b", "a"})));
    }

    private static Map<String, MissingStrategy> plan(Object... pairs) {
        Map<String, MissingStrategy> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], (MissingStrategy) pairs[i + 1]);
        }
        return m;
    }

    @Test
    void fillsUseMeanMedianAndModeOfThePresentValues() {
        FilterReport r = new FilterReport();
        ColumnTable t = MissingValues.apply(table(), plan("x", MissingStrategy.FILL_MEAN, "y", MissingStrategy.FILL_MEDIAN,
                "c", MissingStrategy.FILL_MODE), r);
        assertArrayEquals(new double[] {1, 4.5, 3, 4, 10}, t.numeric("x").values()); // (1+3+4+10)/4
        assertArrayEquals(new double[] {2, 2, 3.5, 5, 5}, t.numeric("y").values()); // median of 2,2,5,5
        assertArrayEquals(new String[] {"b", "a", "a", "b", "a"}, t.categorical("c").values()); // a and b tie: "a"
        assertEquals(5, r.stage(MissingValues.STAGE).seen());
        assertEquals(2, r.stage(MissingValues.STAGE).modified()); // rows 1 and 2
        assertEquals(0, r.stage(MissingValues.STAGE).removed());

        ColumnTable m = MissingValues.apply(table(), plan("y", MissingStrategy.FILL_MODE), new FilterReport());
        assertArrayEquals(new double[] {2, 2, 2, 5, 5}, m.numeric("y").values()); // 2 and 5 tie: the smaller
    }

    @Test
    void dropRemovesRowsBeforeFillsComputeTheirStatistics() {
        FilterReport r = new FilterReport();
        ColumnTable t = MissingValues.apply(table(), plan("c", MissingStrategy.DROP, "y", MissingStrategy.DROP,
                "x", MissingStrategy.FILL_MEAN), r);
        // row 1 (c missing) and row 2 (y missing) go; x is then complete
        assertArrayEquals(new double[] {1, 4, 10}, t.numeric("x").values());
        assertEquals(Map.of("missing 'c'", 1L, "missing 'y'", 1L), r.stage(MissingValues.STAGE).removedByReason());

        // with only y dropped (row 2), x keeps its gap in row 1, filled with the mean of 1, 4 and 10
        ColumnTable u = MissingValues.apply(table(), plan("y", MissingStrategy.DROP, "x", MissingStrategy.FILL_MEAN),
                new FilterReport());
        assertArrayEquals(new double[] {1, 5, 4, 10}, u.numeric("x").values()); // (1+4+10)/3 = 5
    }

    @Test
    void flagAddsAnIndicatorAndCanBeFollowedByAFill() {
        ColumnTable flagged = MissingValues.apply(table(), plan("x", MissingStrategy.FLAG), new FilterReport());
        assertEquals(List.of("x", "y", "c", "x_missing"), flagged.names());
        assertArrayEquals(new double[] {0, 1, 0, 0, 0}, flagged.numeric("x_missing").values());
        assertEquals(1, flagged.numeric("x").missingCount());
        ColumnTable filled = MissingValues.apply(flagged, plan("x", MissingStrategy.FILL_MEDIAN), new FilterReport());
        assertArrayEquals(new double[] {1, 3.5, 3, 4, 10}, filled.numeric("x").values());
        assertArrayEquals(new double[] {0, 1, 0, 0, 0}, filled.numeric("x_missing").values());
    }

    @Test
    void impossibleRequestsAreRejectedWithTheColumnName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MissingValues.apply(table(),
                plan("c", MissingStrategy.FILL_MEAN), new FilterReport())).getMessage()
                .contains("column 'c' is categorical; FILL_MEAN needs a numeric column"));
        ColumnTable empty = new ColumnTable(List.of(new NumericColumn("e", new double[] {NA, NA})));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MissingValues.apply(empty,
                plan("e", MissingStrategy.FILL_MEDIAN), new FilterReport())).getMessage()
                .contains("column 'e' has no present value"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MissingValues.apply(table(),
                plan("nope", MissingStrategy.DROP), new FilterReport())).getMessage().contains("no column 'nope'"));
        ColumnTable clash = MissingValues.apply(table(), plan("x", MissingStrategy.FLAG), new FilterReport());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MissingValues.apply(clash,
                plan("x", MissingStrategy.FLAG), new FilterReport())).getMessage().contains("'x_missing'"));
    }
}
