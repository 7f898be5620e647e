package dev.kiln.eval.validation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrainValTestSplitTest {

    @Test
    void randomSplitHasScikitLearnSizesAndPartitions() {
        TrainValTestSplit s = TrainValTestSplit.random(101, 0.1, 0.25, 5);
        assertEquals(26, s.test().length);          // ceil(0.25 * 101)
        assertEquals(11, s.validation().length);    // ceil(0.1 * 101)
        assertEquals(64, s.train().length);
        assertPartition(s, 101);
        assertEquals(0, TrainValTestSplit.random(10, 0, 0.3, 5).validation().length);
    }

    @Test
    void sameSeedSameSplitOtherSeedOtherSplit() {
        assertArrayEquals(TrainValTestSplit.random(50, 0.2, 0.2, 1).test(), TrainValTestSplit.random(50, 0.2, 0.2, 1).test());
        assertFalse(Arrays.equals(TrainValTestSplit.random(50, 0.2, 0.2, 1).test(),
                TrainValTestSplit.random(50, 0.2, 0.2, 2).test()));
        int[] y = CrossValidationTest.randomLabels(80, 4, 3);
        assertArrayEquals(TrainValTestSplit.stratified(y, 0.2, 0.2, 8).validation(),
                TrainValTestSplit.stratified(y, 0.2, 0.2, 8).validation());
    }

    @Test
    void stratifiedSplitKeepsEveryClassWithinOneOfItsShare() {
        SplittableRandom random = new SplittableRandom(17);
        for (int trial = 0; trial < 30; trial++) {
            int n = 10 + random.nextInt(300);
            int[] y = CrossValidationTest.randomLabels(n, 2 + random.nextInt(5), trial);
            double valFraction = random.nextInt(4) / 10.0;
            double testFraction = 0.05 + random.nextInt(4) / 10.0;
            TrainValTestSplit s = TrainValTestSplit.stratified(y, valFraction, testFraction, trial);
            String what = "trial " + trial + " (n " + n + ", val " + valFraction + ", test " + testFraction + ")";
            assertPartition(s, n);
            int nTest = (int) Math.ceil(testFraction * n), nVal = (int) Math.ceil(valFraction * n);
            assertEquals(nTest, s.test().length, what);
            assertEquals(nVal, s.validation().length, what);
            int[] classes = Arrays.stream(y).sorted().distinct().toArray();
            for (int c : classes) {
                long count = Arrays.stream(y).filter(v -> v == c).count();
                long inTest = Arrays.stream(s.test()).filter(i -> y[i] == c).count();
                double share = (double) nTest * count / n;
                assertTrue(Math.abs(inTest - share) < 1, what + ": class " + c + " has " + inTest + " test samples, share "
                        + share);
                long inVal = Arrays.stream(s.validation()).filter(i -> y[i] == c).count();
                double valShare = (double) nVal * count / n;
                assertTrue(Math.abs(inVal - valShare) < 1 || inVal + inTest == count,
                        what + ": class " + c + " has " + inVal + " validation samples, share " + valShare);
            }
        }
    }

    @Test
    void badFractionsAreRefused() {
        assertEquals("TrainValTestSplit.random: with 10 samples, testFraction = 0.5 (5 samples) and validationFraction"
                        + " = 0.5 (5 samples) leave no training samples",
                assertThrows(IllegalArgumentException.class, () -> TrainValTestSplit.random(10, 0.5, 0.5, 0)).getMessage());
        assertEquals("TrainValTestSplit.stratified: validationFraction = -0.1 and testFraction = 0.2 must lie in [0, 1)",
                assertThrows(IllegalArgumentException.class,
                        () -> TrainValTestSplit.stratified(new int[] {0, 1}, -0.1, 0.2, 0)).getMessage());
    }

    private static void assertPartition(TrainValTestSplit s, int n) {
        int[] seen = new int[n];
        for (int[] part : new int[][] {s.train(), s.validation(), s.test()}) {
            assertTrue(CrossValidationTest.isSortedDistinct(part), "indices sorted and distinct");
            for (int i : part) {
                seen[i]++;
            }
        }
        for (int i = 0; i < n; i++) {
            assertEquals(1, seen[i], "sample " + i + " appears " + seen[i] + " times");
        }
    }
}
