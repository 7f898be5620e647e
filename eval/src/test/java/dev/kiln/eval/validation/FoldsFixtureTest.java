package dev.kiln.eval.validation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.eval.metrics.MetricFixture;
import dev.kiln.eval.metrics.MetricFixture.Case;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Folds against scikit-learn's KFold and StratifiedKFold on random labels: unshuffled folds must be
 * identical; shuffled stratified folds must have scikit-learn's per-fold class counts.
 */
class FoldsFixtureTest {

    @TestFactory
    Stream<DynamicTest> foldsMatchScikitLearn() throws IOException {
        List<Case> cases = MetricFixture.load("folds");
        assertFalse(cases.isEmpty(), "no 'folds' cases in the fixture");
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
    }

    private static void check(Case c) {
        int[] y = c.ints("y");
        int k = c.ints("n_splits")[0];
        if (c.raised("kfold.sizes")) {
            assertThrows(IllegalArgumentException.class, () -> KFold.of(k).foldOf(y.length));
        } else {
            int[] foldOf = KFold.of(k).foldOf(y.length);
            assertArrayEquals(c.ints("kfold.fold_of"), foldOf, c + ": KFold fold of each sample");
            int[] sizes = KFold.shuffled(k, 7).split(y.length).stream().mapToInt(f -> f.test().length).toArray();
            assertArrayEquals(c.ints("kfold.sizes"), sizes, c + ": shuffled KFold fold sizes");
        }
        if (c.raised("stratified.fold_of")) {
            assertThrows(IllegalArgumentException.class, () -> StratifiedKFold.of(k).foldOf(y));
            return;
        }
        assertArrayEquals(c.ints("stratified.fold_of"), StratifiedKFold.of(k).foldOf(y),
                c + ": StratifiedKFold fold of each sample");
        double[][] expectedCounts = c.matrix("stratified.counts");
        for (long seed : new long[] {1, 2, 3}) {
            double[][] counts = classCounts(StratifiedKFold.shuffled(k, seed).foldOf(y), y, k);
            for (int f = 0; f < k; f++) {
                assertArrayEquals(expectedCounts[f], counts[f], c + ": shuffled (seed " + seed + ") class counts of fold " + f);
            }
        }
    }

    /** counts[f][j] = the number of samples of the j-th smallest label in fold f. */
    static double[][] classCounts(int[] foldOf, int[] y, int k) {
        int[] classes = Arrays.stream(y).sorted().distinct().toArray();
        double[][] counts = new double[k][classes.length];
        for (int i = 0; i < y.length; i++) {
            counts[foldOf[i]][Arrays.binarySearch(classes, y[i])]++;
        }
        return counts;
    }
}
