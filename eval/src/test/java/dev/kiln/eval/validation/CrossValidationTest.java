package dev.kiln.eval.validation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Properties of KFold and StratifiedKFold: partitions, sizes, stratification, determinism, errors. */
class CrossValidationTest {

    @Test
    void kFoldPartitionsTheSamplesWithScikitLearnSizes() {
        for (int n : new int[] {2, 7, 10, 101}) {
            for (int k = 2; k <= Math.min(n, 6); k++) {
                for (KFold kFold : new KFold[] {KFold.of(k), KFold.shuffled(k, 42)}) {
                    List<Fold> folds = kFold.split(n);
                    assertPartitions(folds, n, kFold + " on " + n);
                    for (Fold fold : folds) {
                        int expected = n / k + (fold.index() < n % k ? 1 : 0);   // the first n % k folds get one more
                        assertEquals(expected, fold.test().length, kFold + " fold " + fold.index() + " of " + n);
                    }
                }
            }
        }
    }

    @Test
    void shuffledFoldsDependOnlyOnTheSeed() {
        assertArrayEquals(KFold.shuffled(5, 3).foldOf(50), KFold.shuffled(5, 3).foldOf(50));
        assertFalse(Arrays.equals(KFold.shuffled(5, 3).foldOf(50), KFold.shuffled(5, 4).foldOf(50)));
        assertFalse(Arrays.equals(KFold.of(5).foldOf(50), KFold.shuffled(5, 3).foldOf(50)));
        int[] y = randomLabels(60, 3, 11);
        assertArrayEquals(StratifiedKFold.shuffled(4, 9).foldOf(y), StratifiedKFold.shuffled(4, 9).foldOf(y));
        assertFalse(Arrays.equals(StratifiedKFold.shuffled(4, 9).foldOf(y), StratifiedKFold.shuffled(4, 10).foldOf(y)));
    }

    @Test
    void stratifiedFoldsPartitionAndBalanceEveryClass() {
        for (int trial = 0; trial < 20; trial++) {
            int n = 20 + trial * 7;
            int k = 2 + trial % 5;
            int[] y = randomLabels(n, 2 + trial % 4, trial);
            StratifiedKFold skf = StratifiedKFold.shuffled(k, trial);
            List<Fold> folds = skf.split(y);
            assertPartitions(folds, n, skf + " trial " + trial);
            double[][] counts = FoldsFixtureTest.classCounts(skf.foldOf(y), y, k);
            for (int j = 0; j < counts[0].length; j++) {
                double min = Double.MAX_VALUE, max = 0;
                for (double[] fold : counts) {
                    min = Math.min(min, fold[j]);
                    max = Math.max(max, fold[j]);
                }
                assertTrue(max - min <= 1, "trial " + trial + ": class " + j + " spread over folds " + min + ".." + max);
            }
        }
    }

    @Test
    void allocationFollowsTheRoundRobinRule() {
        // classes in order of appearance with 5, 3 and 4 members dealt over 3 folds from the sorted list
        // 0 0 0 0 0 1 1 1 2 2 2 2: fold 0 gets positions 0,3,6,9 -> classes 0,0,1,2; fold 1: 1,4,7,10 -> 0,0,1,2;
        // fold 2: 2,5,8,11 -> 0,1,2,2
        int[][] expected = {{2, 1, 1}, {2, 1, 1}, {1, 1, 2}};
        assertArrayEquals(expected, StratifiedKFold.allocation(new int[] {5, 3, 4}, 3));
    }

    @Test
    void badArgumentsAreRefused() {
        assertEquals("KFold: numFolds = 1 must be at least 2",
                assertThrows(IllegalArgumentException.class, () -> KFold.of(1)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KFold.of(5).split(4)).getMessage()
                .startsWith("KFold: numFolds = 5 is more than the 4 samples"));
        assertEquals("StratifiedKFold: numFolds = 3 is more than the number of members of every class (largest class: 2)",
                assertThrows(IllegalArgumentException.class,
                        () -> StratifiedKFold.of(3).split(new int[] {0, 0, 1, 1})).getMessage());
        // a class smaller than k is allowed when another class is not (scikit-learn warns): it misses some folds
        List<Fold> folds = StratifiedKFold.of(3).split(new int[] {0, 0, 0, 1});
        assertPartitions(folds, 4, "small class");
    }

    static void assertPartitions(List<Fold> folds, int n, String what) {
        int[] timesTested = new int[n];
        for (Fold fold : folds) {
            int[] test = fold.test(), train = fold.train();
            assertEquals(n, test.length + train.length, what + ": fold " + fold.index() + " sizes");
            assertTrue(isSortedDistinct(test) && isSortedDistinct(train), what + ": indices sorted and distinct");
            boolean[] inTest = new boolean[n];
            for (int i : test) {
                inTest[i] = true;
                timesTested[i]++;
            }
            for (int i : train) {
                assertFalse(inTest[i], what + ": sample " + i + " is in both train and test of fold " + fold.index());
            }
        }
        for (int i = 0; i < n; i++) {
            assertEquals(1, timesTested[i], what + ": sample " + i + " is tested " + timesTested[i] + " times");
        }
    }

    static boolean isSortedDistinct(int[] a) {
        for (int i = 1; i < a.length; i++) {
            if (a[i] <= a[i - 1]) {
                return false;
            }
        }
        return true;
    }

    static int[] randomLabels(int n, int classes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            // skewed class sizes: class c drawn with weight c + 1
            int r = random.nextInt(classes * (classes + 1) / 2);
            int c = 0;
            while (r >= c + 1) {
                r -= c + 1;
                c++;
            }
            y[i] = c;
        }
        return y;
    }
}
