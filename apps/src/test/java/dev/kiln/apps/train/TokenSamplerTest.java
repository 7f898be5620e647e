package dev.kiln.apps.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.random.Generator;
import org.junit.jupiter.api.Test;

/** Top-k / top-p filtering and sampling against hand-computed cases; top-k 1 against greedy decoding. */
class TokenSamplerTest {
    private static final double NEG = Double.NEGATIVE_INFINITY;

    @Test
    void topKKeepsTheKLargest() {
        double[] l = {1, 3, 2, 0};
        TokenSampler.filterTopK(l, 2);
        assertArrayEquals(new double[] {NEG, 3, 2, NEG}, l);
        double[] one = {1, 3, 2, 0};
        TokenSampler.filterTopK(one, 1);
        assertArrayEquals(new double[] {NEG, 3, NEG, NEG}, one);
    }

    @Test
    void topKKeepsTiesWithTheKth() {
        double[] l = {1, 2, 2, 0};
        TokenSampler.filterTopK(l, 2);
        assertArrayEquals(new double[] {NEG, 2, 2, NEG}, l);
    }

    @Test
    void topKOfZeroOrAtLeastTheLengthKeepsAll() {
        double[] l = {1, 3, 2, 0};
        TokenSampler.filterTopK(l, 0);
        assertArrayEquals(new double[] {1, 3, 2, 0}, l);
        TokenSampler.filterTopK(l, 4);
        assertArrayEquals(new double[] {1, 3, 2, 0}, l);
    }

    /** Probabilities 0.5, 0.2, 0.3: sorted 0.5 (id 0), 0.3 (id 2), 0.2 (id 1); cumulative 0.5, 0.8, 1.0. */
    private static double[] logits532() {
        return new double[] {Math.log(0.5), Math.log(0.2), Math.log(0.3)};
    }

    @Test
    void topPKeepsTheShortestPrefixReachingP() {
        double[] a = logits532();
        TokenSampler.filterTopP(a, 0.1);
        assertArrayEquals(new double[] {Math.log(0.5), NEG, NEG}, a, "the most likely token is always kept");
        double[] b = logits532();
        TokenSampler.filterTopP(b, 0.5);
        assertArrayEquals(new double[] {Math.log(0.5), NEG, NEG}, b, "0.5 alone reaches p = 0.5");
        double[] c = logits532();
        TokenSampler.filterTopP(c, 0.6);
        assertArrayEquals(new double[] {Math.log(0.5), NEG, Math.log(0.3)}, c);
        double[] d = logits532();
        TokenSampler.filterTopP(d, 0.81);
        assertArrayEquals(logits532(), d);
        double[] e = logits532();
        TokenSampler.filterTopP(e, 1.0);
        assertArrayEquals(logits532(), e);
    }

    @Test
    void distributionAppliesTemperatureThenTopKThenTopP() {
        // T = 0.5 squares the odds: probabilities prop. to 1, 4 -> 0.2, 0.8
        double[] p = new TokenSampler(0.5, 0, 1.0).distribution(new float[] {0, (float) Math.log(2)});
        assertArrayEquals(new double[] {0.2, 0.8}, p, 1e-6);
        // logits ln(1, 2, 3, 4) / 1: top-k 3 drops id 0 -> 2/9, 3/9, 4/9; top-p 0.5 keeps 4/9 + 3/9 = 7/9 -> 3/7, 4/7
        float[] l = {0, (float) Math.log(2), (float) Math.log(3), (float) Math.log(4)};
        assertArrayEquals(new double[] {0, 2 / 9.0, 3 / 9.0, 4 / 9.0}, new TokenSampler(1, 3, 1).distribution(l), 1e-6);
        assertArrayEquals(new double[] {0, 0, 3 / 7.0, 4 / 7.0}, new TokenSampler(1, 3, 0.5).distribution(l), 1e-6);
    }

    @Test
    void sampleInvertsTheCumulativeDistributionWithOneUniformDraw() {
        TokenSampler s = new TokenSampler(0.5, 0, 1.0); // probabilities 0.2, 0.8 as above
        float[] l = {0, (float) Math.log(2)};
        Generator g = new Generator(7);
        Generator reference = new Generator(7);
        int zeros = 0;
        for (int i = 0; i < 2000; i++) {
            int expected = reference.nextDouble() < 0.2 ? 0 : 1;
            int got = s.sample(l, g);
            assertEquals(expected, got, "draw " + i);
            zeros += got == 0 ? 1 : 0;
        }
        assertTrue(zeros > 320 && zeros < 480, "about 20% zeros, got " + zeros + " of 2000");
    }

    @Test
    void topKOneSamplingEqualsGreedyDecoding() {
        Gpt model = new Gpt(new Gpt.Config(11, 24, 2, 16, 2, 2, 32, false, true), new Generator(3));
        long[] prompt = {1, 5, 2, 7};
        long[] greedy = model.generateGreedy(prompt, 20);
        long[] sampled = new TokenSampler(1.3, 1, 1.0).generate(model, prompt, 20, new Generator(99));
        assertArrayEquals(greedy, sampled);
    }

    @Test
    void generatesBeyondTheContextBySlidingTheWindow() {
        Gpt model = new Gpt(new Gpt.Config(11, 8, 1, 8, 2, 2, 16, false, true), new Generator(4));
        long[] out = new TokenSampler(1, 0, 1).generate(model, new long[] {1, 2, 3}, 30, new Generator(5));
        assertEquals(33, out.length);
        for (long id : out) {
            assertTrue(id >= 0 && id < 11, "id " + id);
        }
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new TokenSampler(0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new TokenSampler(1, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> new TokenSampler(1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new TokenSampler(1, 0, 1.5));
    }
}
