package dev.kiln.data.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LshParamsTest {
    /** P(candidate) straight from the definition: the chance that some band has all rows equal. */
    private static double probability(int bands, int rows, double s) {
        double allRowsEqual = 1;
        for (int r = 0; r < rows; r++) {
            allRowsEqual *= s;
        }
        double noBand = 1;
        for (int b = 0; b < bands; b++) {
            noBand *= 1 - allRowsEqual;
        }
        return 1 - noBand;
    }

    /** ∫₀^t P by the midpoint rule, to compare bandings independently of Simpson's rule. */
    private static double area(int bands, int rows, double t) {
        int n = 20_000;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += probability(bands, rows, (i + 0.5) * t / n);
        }
        return sum * t / n;
    }

    @Test
    void handComputedCurveValues() {
        LshParams p = new LshParams(21, 6);
        // 0.8^6 = 0.262144; 1 - 0.737856^21 = 1 - 0.0016881... = 0.998312
        assertEquals(0.998312, p.candidateProbability(0.8), 1e-6);
        assertEquals(probability(21, 6, 0.5), p.candidateProbability(0.5), 1e-15);
        assertEquals(area(21, 6, 0.8), p.areaBelow(0.8), 1e-7);
        assertEquals(126, p.width());
    }

    @Test
    void forThresholdReachesTheRecallWithTheLeastAreaBelow() {
        for (double t : new double[] {0.5, 0.7, 0.8, 0.9}) {
            for (int perms : new int[] {64, 128, 256}) {
                LshParams chosen = LshParams.forThreshold(t, perms, 0.99);
                assertTrue(probability(chosen.bands(), chosen.rows(), t) >= 0.99, chosen + " at " + t);
                double chosenArea = area(chosen.bands(), chosen.rows(), t);
                for (int rows = 1; rows <= perms; rows++) {
                    int bands = perms / rows;
                    if (probability(bands, rows, t) >= 0.99) {
                        assertTrue(area(bands, rows, t) >= chosenArea - 1e-6,
                                bands + "x" + rows + " beats " + chosen + " at t=" + t + " perms=" + perms);
                    }
                }
            }
        }
        assertEquals(new LshParams(21, 6), LshParams.forThreshold(0.8, 128, 0.99));
    }

    @Test
    void badArgumentsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LshParams.forThreshold(1.2, 128, 0.99))
                .getMessage().contains("threshold must be in (0, 1), got 1.2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new LshParams(0, 4)).getMessage()
                .contains("got 0 x 4"));
    }
}
