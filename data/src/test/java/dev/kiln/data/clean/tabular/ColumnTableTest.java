package dev.kiln.data.clean.tabular;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.clean.tabular.ColumnTable.CategoricalColumn;
import dev.kiln.data.clean.tabular.ColumnTable.NumericColumn;
import dev.kiln.data.io.MalformedDataException;
import dev.kiln.data.stream.CsvTable;
import java.util.List;
import org.junit.jupiter.api.Test;

class ColumnTableTest {
    @Test
    void csvColumnsAreTypedAndMissingTokensBecomeNaNOrNull() throws MalformedDataException {
        CsvTable csv = CsvTable.parse("age,city,score\n31,Oslo,1.5\nNA,,2\n40, Rome ,?\n", "t.csv", true);
        ColumnTable t = ColumnTable.fromCsv(csv, ColumnTable.DEFAULT_MISSING);
        assertEquals(3, t.rowCount());
        assertEquals(List.of("age", "city", "score"), t.names());
        assertArrayEquals(new double[] {31, Double.NaN, 40}, t.numeric("age").values());
        assertArrayEquals(new String[] {"Oslo", null, "Rome"}, t.categorical("city").values());
        assertEquals(1, t.numeric("score").missingCount());
        assertInstanceOf(CategoricalColumn.class, t.column("city"));
    }

    @Test
    void mistakesAreNamed() {
        ColumnTable t = new ColumnTable(List.of(new NumericColumn("x", new double[] {1, 2})));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> t.column("y")).getMessage()
                .contains("no column 'y', columns are [x]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> t.categorical("x")).getMessage()
                .contains("'x' is numeric, expected categorical"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ColumnTable(List.of(
                new NumericColumn("a", new double[2]), new NumericColumn("b", new double[3])))).getMessage()
                .contains("column 'b' has 3 rows, column 'a' has 2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new NumericColumn("inf", new double[] {0, Double.POSITIVE_INFINITY}))
                .getMessage().contains("row 1 is Infinity"));
    }

    @Test
    void selectAndReplace() {
        ColumnTable t = new ColumnTable(List.of(new NumericColumn("x", new double[] {1, 2, 3}),
                new CategoricalColumn("c", new String[] {"a", "b", "c"})));
        ColumnTable s = t.selectRows(new boolean[] {true, false, true});
        assertArrayEquals(new double[] {1, 3}, s.numeric("x").values());
        assertArrayEquals(new String[] {"a", "c"}, s.categorical("c").values());
        ColumnTable r = t.with(new NumericColumn("x", new double[] {9, 9, 9}));
        assertEquals(List.of("x", "c"), r.names());
        assertArrayEquals(new double[] {9, 9, 9}, r.numeric("x").values());
    }
}
