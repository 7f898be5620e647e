package dev.kiln.eval.validation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.eval.metrics.ClassificationMetrics;
import dev.kiln.eval.metrics.RankingMetrics;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BootstrapTest {

    @Test
    void percentileIntervalsOfAMeanCoverTheTrueMeanAboutAsOftenAsNominal() {
        // 200 data sets of 50 draws from N(3, 2^2); each gets a 95% interval from 1000 resamples. Percentile
        // intervals run slightly narrow at this n (about 94% coverage over many trials). 200 trials have a
        // standard error of about 1.5 points, and the luck of the data moves every method alike, so the
        // bootstrap is also compared with the exact Student-t interval on the same data sets: both must land
        // in a loose band around 95%, and the bootstrap within 4 points of the t interval. A badly wrong
        // method (a 68% interval, or resamples that ignore the data) lands far outside.
        SplittableRandom data = new SplittableRandom(1);
        double trueMean = 3.0;
        int coveredByBootstrap = 0, coveredByT = 0, trials = 200;
        for (int t = 0; t < trials; t++) {
            double[] x = new double[50];
            for (int i = 0; i < x.length; i++) {
                x[i] = trueMean + 2.0 * gaussian(data);
            }
            ConfidenceInterval ci = Bootstrap.percentile(x.length, idx -> mean(Bootstrap.select(x, idx)), 1000, 0.95, t);
            assertEquals(mean(x), ci.estimate(), 1e-12);
            assertTrue(ci.lower() < ci.estimate() && ci.estimate() < ci.upper(), "trial " + t + ": " + ci);
            coveredByBootstrap += ci.contains(trueMean) ? 1 : 0;
            double m = mean(x), squares = 0;
            for (double v : x) {
                squares += (v - m) * (v - m);
            }
            double standardError = Math.sqrt(squares / (x.length - 1) / x.length);
            coveredByT += Math.abs(m - trueMean) <= T_975_49 * standardError ? 1 : 0;
        }
        double bootstrap = (double) coveredByBootstrap / trials, student = (double) coveredByT / trials;
        String report = "coverage: bootstrap " + bootstrap + ", Student t " + student + ", nominal 0.95";
        assertTrue(bootstrap >= 0.88 && bootstrap <= 0.99, report);
        assertTrue(Math.abs(bootstrap - student) <= 0.04, report);
    }

    /** The 97.5% quantile of Student's t with 49 degrees of freedom (scipy.stats.t.ppf(0.975, 49)). */
    private static final double T_975_49 = 2.009575234489209;

    @Test
    void sameSeedSameInterval() {
        int[] yTrue = {0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 1};
        int[] yPred = {0, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 0};
        ResampledStatistic accuracy = idx -> ClassificationMetrics.accuracy(Bootstrap.select(yTrue, idx),
                Bootstrap.select(yPred, idx));
        assertEquals(Bootstrap.percentile(yTrue.length, accuracy, 5), Bootstrap.percentile(yTrue.length, accuracy, 5));
        assertArrayEquals(Bootstrap.replicates(12, accuracy, 50, 5), Bootstrap.replicates(12, accuracy, 50, 5));
        assertFalse(Arrays.equals(Bootstrap.replicates(12, accuracy, 50, 5), Bootstrap.replicates(12, accuracy, 50, 6)));
        ConfidenceInterval ci = Bootstrap.percentile(yTrue.length, accuracy, 5);
        assertEquals(ClassificationMetrics.accuracy(yTrue, yPred), ci.estimate());
        assertEquals(Bootstrap.DEFAULT_RESAMPLES, ci.resamples());
    }

    @Test
    void quantilesInterpolateLikeNumpy() {
        double[] sorted = {1, 2, 3, 4};
        assertEquals(1.75, Bootstrap.quantile(sorted, 0.25));      // np.quantile([1, 2, 3, 4], 0.25)
        assertEquals(3.97, Bootstrap.quantile(sorted, 0.99), 1e-12);
        assertEquals(4.0, Bootstrap.quantile(sorted, 1.0));
        assertEquals(1.0, Bootstrap.quantile(sorted, 0.0));
    }

    @Test
    void anUndefinedStatisticOnAResampleIsReported() {
        // ROC AUC of 1 positive among 6: some resamples miss the positive, where the metric refuses
        int[] y = {1, 0, 0, 0, 0, 0};
        double[] s = {0.9, 0.1, 0.2, 0.3, 0.4, 0.5};
        assertThrows(IllegalArgumentException.class, () -> Bootstrap.percentile(6,
                idx -> RankingMetrics.rocAuc(Bootstrap.select(y, idx), Bootstrap.select(s, idx)), 1));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Bootstrap.percentile(3, idx -> idx[0] == 0 ? Double.NaN : 1.0, 100, 0.9, 1));
        assertTrue(e.getMessage().startsWith("Bootstrap.replicates: the statistic returned NaN on resample "),
                e.getMessage());
        assertEquals("Bootstrap.percentile: confidence = 1.0 is not in (0, 1)", assertThrows(
                IllegalArgumentException.class, () -> Bootstrap.percentile(3, idx -> 1.0, 10, 1.0, 1)).getMessage());
        assertEquals("Bootstrap.select: index 5 is outside the 3 values", assertThrows(IllegalArgumentException.class,
                () -> Bootstrap.select(new int[3], new int[] {5})).getMessage());
    }

    private static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    /** A standard normal draw (Box–Muller), independent of the code under test. */
    private static double gaussian(SplittableRandom r) {
        double u = 1.0 - r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
    }
}
