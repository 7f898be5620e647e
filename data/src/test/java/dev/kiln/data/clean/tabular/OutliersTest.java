package dev.kiln.data.clean.tabular;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.clean.FilterReport;
import dev.kiln.data.clean.tabular.ColumnTable.NumericColumn;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutliersTest {
    /** Relative-and-absolute closeness: the quantities are sums of a few hundred doubles. */
    private static void assertClose(double expected, double actual, String what) {
        if (Double.isNaN(expected)) {
            assertTrue(Double.isNaN(actual), what + ": expected NaN, got " + actual);
            return;
        }
        double tol = 1e-12 * Math.max(1, Math.abs(expected));
        assertEquals(expected, actual, tol, what);
    }

    @Test
    void quantilesStatisticsAndMasksMatchNumpyAndScipy() {
        List<Map<String, Object>> cases = TabularFixtures.cases();
        assertTrue(cases.size() >= 6);
        for (Map<String, Object> c : cases) {
            String name = (String) c.get("name");
            double[] x = TabularFixtures.doubles(c.get("values"));
            @SuppressWarnings("unchecked")
            Map<String, Object> quantiles = (Map<String, Object>) c.get("quantiles");
            for (Map.Entry<String, Object> q : quantiles.entrySet()) {
                assertClose(TabularFixtures.number(q.getValue()), ColumnStats.quantile(x, Double.parseDouble(q.getKey())),
                        name + " quantile " + q.getKey());
            }
            assertClose(TabularFixtures.number(c.get("mean")), ColumnStats.mean(x), name + " mean");
            assertClose(TabularFixtures.number(c.get("median")), ColumnStats.median(x), name + " median");
            assertClose(TabularFixtures.number(c.get("std_population")), ColumnStats.std(x, 0), name + " std ddof 0");
            assertClose(TabularFixtures.number(c.get("std_sample")), ColumnStats.std(x, 1), name + " std ddof 1");
            assertEquals(TabularFixtures.number(c.get("mode")), ColumnStats.mode(x), name + " mode");
            for (Outliers.Deviation d : Outliers.Deviation.values()) {
                String key = d == Outliers.Deviation.POPULATION ? "z_population" : "z_sample";
                double[] expectedZ = TabularFixtures.doubles(c.get(key));
                double[] z = Outliers.zScores(x, d);
                for (int i = 0; i < z.length; i++) {
                    assertClose(expectedZ[i], z[i], name + " " + key + "[" + i + "]");
                }
                for (double t : new double[] {2, 3}) {
                    assertArrayEquals(TabularFixtures.booleans(c.get(key + "_outliers_" + (int) t)), Outliers.zScore(x, t, d),
                            name + " " + key + " threshold " + t);
                }
            }
            for (double k : new double[] {1.5, 3}) {
                String suffix = k == 1.5 ? "1.5" : "3";
                double[] fences = TabularFixtures.doubles(c.get("iqr_fences_" + suffix));
                double[] got = Outliers.iqrFences(x, k);
                assertClose(fences[0], got[0], name + " lower fence k=" + k);
                assertClose(fences[1], got[1], name + " upper fence k=" + k);
                assertArrayEquals(TabularFixtures.booleans(c.get("iqr_outliers_" + suffix)), Outliers.iqr(x, k), name + " iqr k=" + k);
            }
        }
    }

    @Test
    void handComputedTukeyFencesAndZScores() {
        double[] x = {1, 2, 3, 4, 100};
        // Q1 = 2, Q3 = 4, IQR = 2: fences -1 and 7
        assertArrayEquals(new double[] {-1, 7}, Outliers.iqrFences(x, 1.5));
        assertArrayEquals(new boolean[] {false, false, false, false, true}, Outliers.iqr(x, 1.5));
        // a value exactly on the fence stays: {0, 0, 0, 0, 1, 1, 1, 1}: Q1 = 0, Q3 = 1, upper fence 2.5
        assertArrayEquals(new boolean[8], Outliers.iqr(new double[] {0, 0, 0, 0, 1, 1, 1, 2.5}, 1.5));
        // mean 22, population std sqrt(1522) = 39.0128...; 100 has z = 78/39.0128 = 1.9993 < 2
        assertArrayEquals(new boolean[5], Outliers.zScore(x, 2, Outliers.Deviation.POPULATION));
        assertArrayEquals(new boolean[] {false, false, false, false, true}, Outliers.zScore(x, 1.99, Outliers.Deviation.POPULATION));
        // constant column: no spread, no outliers
        assertArrayEquals(new boolean[3], Outliers.zScore(new double[] {5, 5, 5}, 3, Outliers.Deviation.SAMPLE));
        // missing values are never outliers
        assertArrayEquals(new boolean[] {false, false, false, false, true, false},
                Outliers.iqr(new double[] {1, 2, 3, 4, 100, Double.NaN}, 1.5));
    }

    @Test
    void removeRowsCountsInTheReport() {
        ColumnTable t = new ColumnTable(List.of(new NumericColumn("v", new double[] {1, 2, 3, 4, 100}),
                new NumericColumn("w", new double[] {10, 20, 30, 40, 50})));
        FilterReport r = new FilterReport();
        ColumnTable out = Outliers.removeRows(t, Outliers.iqr(t.numeric("v").values(), 1.5), "outliers", "IQR 1.5 in 'v'", r);
        assertArrayEquals(new double[] {10, 20, 30, 40}, out.numeric("w").values());
        assertEquals(5, r.stage("outliers").seen());
        assertEquals(Map.of("IQR 1.5 in 'v'", 1L), r.stage("outliers").removedByReason());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Outliers.removeRows(t, new boolean[2], "o", "r", r))
                .getMessage().contains("mask has 2 entries, table has 5 rows"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Outliers.zScore(new double[] {1}, 0, Outliers.Deviation.SAMPLE))
                .getMessage().contains("threshold must be > 0, got 0.0"));
    }
}
