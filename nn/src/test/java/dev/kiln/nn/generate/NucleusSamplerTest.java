package dev.kiln.nn.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.GoldenFixture;
import dev.kiln.tensor.random.Generator;
import org.junit.jupiter.api.Test;

/** Temperature and nucleus sampling on fixed logits, against distributions and CDFs worked out by hand. */
class NucleusSamplerTest {
    /** Logits whose softmax is exactly 0.1, 0.2, 0.3, 0.4 (shifted by 1 to show only differences matter). */
    private static final float[] LOGITS = {
        (float) (1 + Math.log(0.1)), (float) (1 + Math.log(0.2)), (float) (1 + Math.log(0.3)), (float) (1 + Math.log(0.4))};

    @Test
    void distributionMatchesHandComputedTemperatureAndNucleus() {
        assertArrayEquals(new double[] {0.1, 0.2, 0.3, 0.4}, NucleusSampler.distribution(LOGITS, 0, 4, 1.0, 1.0), 1e-6);
        // T = 0.5 squares the probabilities: 1, 4, 9, 16 over 30
        assertArrayEquals(new double[] {1 / 30.0, 4 / 30.0, 9 / 30.0, 16 / 30.0},
                NucleusSampler.distribution(LOGITS, 0, 4, 0.5, 1.0), 1e-6);
        // top_p 0.5: 0.4 alone is short of 0.5, 0.4 + 0.3 reaches it; renormalised over 0.7
        assertArrayEquals(new double[] {0, 0, 3 / 7.0, 4 / 7.0}, NucleusSampler.distribution(LOGITS, 0, 4, 1.0, 0.5), 1e-6);
        // top_p 0.35 is reached by the top token alone; a tiny top_p still keeps one token
        assertArrayEquals(new double[] {0, 0, 0, 1}, NucleusSampler.distribution(LOGITS, 0, 4, 1.0, 0.35), 1e-6);
        assertArrayEquals(new double[] {0, 0, 0, 1}, NucleusSampler.distribution(LOGITS, 0, 4, 1.0, 1e-9), 1e-6);
        // temperature and nucleus together: 16/30 + 9/30 = 25/30 >= 0.8
        assertArrayEquals(new double[] {0, 0, 9 / 25.0, 16 / 25.0}, NucleusSampler.distribution(LOGITS, 0, 4, 0.5, 0.8), 1e-6);
        // a row at an offset inside a batch of rows
        float[] two = new float[8];
        System.arraycopy(LOGITS, 0, two, 4, 4);
        assertArrayEquals(new double[] {0, 0, 3 / 7.0, 4 / 7.0}, NucleusSampler.distribution(two, 4, 4, 1.0, 0.5), 1e-6);
    }

    /** Hugging Face's temperature + top-p warpers in torch (nn/src/test/python/sampling_fixtures.py) on random logits. */
    @Test
    void distributionMatchesTorchWarpersOnRandomLogits() throws java.io.IOException {
        GoldenFixture f = GoldenFixture.load(NucleusSamplerTest.class, "/golden/nucleus_sampling.txt");
        GoldenFixture.Entry logits = f.entry("logits");
        int rows = logits.shape()[0];
        int vocab = logits.shape()[1];
        float[] l = new float[rows * vocab];
        for (int i = 0; i < l.length; i++) {
            l[i] = (float) logits.values()[i];
        }
        for (int c = 0; c < 6; c++) { // the six (temperature, top_p) pairs of sampling_fixtures.py
            double t = f.entry("c" + c + ".temperature").values()[0];
            double p = f.entry("c" + c + ".top_p").values()[0];
            double[] expected = f.entry("c" + c + ".probs").values();
            for (int r = 0; r < rows; r++) {
                double[] actual = NucleusSampler.distribution(l, r * vocab, vocab, t, p);
                for (int v = 0; v < vocab; v++) {
                    double want = expected[r * vocab + v];
                    assertEquals(want, actual[v], 1e-9 + 1e-6 * want,
                            "temperature " + t + ", top_p " + p + ", row " + r + ", token " + v);
                }
            }
        }
    }

    @Test
    void drawIsTheInverseCdfOfOneUniform() {
        // the nucleus of top_p 0.5 is {2: 3/7, 3: 4/7}: u < 3/7 picks 2, else 3
        Generator g = new Generator(123);
        Generator copy = new Generator(123);
        for (int i = 0; i < 200; i++) {
            double u = copy.nextDouble();
            int expected = u < 3 / 7.0 ? 2 : 3;
            assertEquals(expected, NucleusSampler.sample(LOGITS, 0, 4, 1.0, 0.5, g), "draw " + i + " with u = " + u);
        }
        // full distribution, CDF 0.1, 0.3, 0.6, 1.0
        for (int i = 0; i < 200; i++) {
            double u = copy.nextDouble();
            int expected = u < 0.1 ? 0 : u < 0.3 ? 1 : u < 0.6 ? 2 : 3;
            assertEquals(expected, NucleusSampler.sample(LOGITS, 0, 4, 1.0, 1.0, g), "draw " + i + " with u = " + u);
        }
    }

    @Test
    void empiricalFrequenciesMatchTheRenormalisedNucleus() {
        Generator g = new Generator(7);
        int draws = 40_000;
        int[] counts = new int[4];
        for (int i = 0; i < draws; i++) {
            counts[NucleusSampler.sample(LOGITS, 0, 4, 0.5, 0.8, g)]++;
        }
        double[] expected = {0, 0, 9 / 25.0, 16 / 25.0};
        for (int t = 0; t < 4; t++) {
            double sigma = Math.sqrt(draws * expected[t] * (1 - expected[t]));
            assertTrue(Math.abs(counts[t] - draws * expected[t]) <= 4 * sigma + 1e-9,
                    "token " + t + ": " + counts[t] + " draws, expected " + draws * expected[t] + " ± " + 4 * sigma);
        }
    }

    @Test
    void temperatureZeroIsArgmaxAndDrawsNothing() {
        Generator g = new Generator(1);
        long before = g.offset();
        assertEquals(3, NucleusSampler.sample(LOGITS, 0, 4, 0.0, 0.3, g));
        assertEquals(1, NucleusSampler.sample(new float[] {0, 5, 5, 1}, 0, 4, 0.0, 1.0, g), "ties go to the lower id");
        assertEquals(before, g.offset());
    }

    @Test
    void badRowIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NucleusSampler.distribution(LOGITS, 2, 4, 1.0, 1.0));
        assertTrue(e.getMessage().contains("length 4"), e.getMessage());
    }

    @Test
    void badParamsNameTheField() {
        SamplingParams d = SamplingParams.defaults();
        assertEquals(16, d.maxTokens());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.withTemperature(-1)).getMessage().contains("temperature"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.withTopP(0)).getMessage().contains("topP"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.withTopP(1.5)).getMessage().contains("topP"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.withN(0)).getMessage().contains("n must"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.withMaxTokens(0)).getMessage().contains("maxTokens"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> d.withStopTokens(java.util.List.of(new long[0])))
                .getMessage().contains("stopTokens[0]"));
    }
}
