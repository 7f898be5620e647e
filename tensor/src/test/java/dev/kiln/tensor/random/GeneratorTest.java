package dev.kiln.tensor.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.kernels.cpu.CpuParallel;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GeneratorTest {

    // ---- Philox4x32-10 known answers ----

    /**
     * The three "philox4x32 10" lines of Random123's tests/kat_vectors (D. E. Shaw Research):
     * counter (4 words), key (2 words), expected output (4 words).
     */
    @Test
    void philoxMatchesRandom123KnownAnswers() {
        int[][][] kat = {
            {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
            {{-1, -1, -1, -1}, {-1, -1}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
            {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
                {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
        };
        for (int[][] v : kat) {
            int[] out = new int[4];
            Generator.philox(v[0][0], v[0][1], v[0][2], v[0][3], v[1][0], v[1][1], out);
            assertArrayEquals(v[2], out, () -> "philox4x32-10 of counter " + Arrays.toString(v[0]));
        }
    }

    @Test
    void streamBlockIsPhiloxOfSeedAndOffset() {
        long seed = 0x299f31d0_a4093822L;
        Generator g = new Generator(seed);
        g.setOffset(0x05a308d3_243f6a88L);
        // Counter (offset, 0, 0): low 64 bits of the counter hold the offset, key = seed.
        int[] out = new int[4];
        Generator.philox(0x243f6a88, 0x05a308d3, 0, 0, 0xa4093822, 0x299f31d0, out);
        assertEquals(((long) out[1] << 32) | (out[0] & 0xffffffffL), g.nextLong());
        assertEquals(0x05a308d3_243f6a89L, g.offset());
    }

    // ---- determinism ----

    @Test
    void sameSeedSameNumbers() {
        Generator a = new Generator(42);
        Generator b = new Generator(42);
        assertArrayEquals(drawAll(a), drawAll(b));
        assertNotEquals(Arrays.toString(drawAll(new Generator(42))), Arrays.toString(drawAll(new Generator(43))));
    }

    @Test
    void manualSeedRewindsTheDefaultGeneratorInPlace() {
        Generator shared = Generator.defaultGenerator();
        assertTrue(shared == Generator.defaultGenerator(), "defaultGenerator() must always be the same instance");
        try {
            Generator.manualSeed(7);
            shared.split(); // a reseed also forgets splits, as torch.manual_seed does
            long[] first = drawAll(shared);
            Generator.manualSeed(7);
            assertEquals(new Generator.State(7, 0, 0), shared.state());
            shared.split();
            assertArrayEquals(first, drawAll(shared), "same seed -> same stream");
            Generator fresh = new Generator(7);
            fresh.split();
            assertArrayEquals(first, drawAll(fresh), "manualSeed(s) makes it new Generator(s)");
            Generator.manualSeed(8);
            shared.split();
            assertNotEquals(Arrays.toString(first), Arrays.toString(drawAll(shared)), "different seed -> different stream");
        } finally {
            Generator.manualSeed(Generator.DEFAULT_SEED); // back to the start-up state for later tests
        }
    }

    /** One of everything, as bit patterns, so the comparison is exact. */
    private static long[] drawAll(Generator g) {
        float[] u = new float[37];
        float[] z = new float[41];
        long[] r = new long[23];
        g.fillUniform(u, 0, u.length, -2, 5);
        g.fillNormal(z, 0, z.length, 1, 3);
        g.fillRandInt(r, 0, r.length, -1000, 1000);
        long[] all = new long[u.length + z.length + r.length + 3];
        int k = 0;
        for (float f : u) {
            all[k++] = Float.floatToRawIntBits(f);
        }
        for (float f : z) {
            all[k++] = Float.floatToRawIntBits(f);
        }
        for (long x : r) {
            all[k++] = x;
        }
        all[k++] = g.nextLong();
        all[k++] = Float.floatToRawIntBits(g.nextFloat());
        all[k] = Double.doubleToRawLongBits(g.nextDouble());
        return all;
    }

    @Test
    void fillsAreBitIdenticalAtOneAndTwoThreads() {
        int saved = CpuParallel.threads();
        try {
            int n = 300_001; // several chunks, and a partial last block
            CpuParallel.setThreads(1);
            float[] u1 = new float[n];
            float[] z1 = new float[n];
            long[] r1 = new long[n];
            Generator g1 = new Generator(7);
            g1.fillUniform(u1, 0, n, 0, 1);
            g1.fillNormal(z1, 0, n, 0, 1);
            g1.fillRandInt(r1, 0, n, Long.MIN_VALUE, Long.MAX_VALUE);

            CpuParallel.setThreads(2);
            float[] u2 = new float[n];
            float[] z2 = new float[n];
            long[] r2 = new long[n];
            Generator g2 = new Generator(7);
            g2.fillUniform(u2, 0, n, 0, 1);
            g2.fillNormal(z2, 0, n, 0, 1);
            g2.fillRandInt(r2, 0, n, Long.MIN_VALUE, Long.MAX_VALUE);

            assertArrayEquals(u1, u2);
            assertArrayEquals(z1, z2);
            assertArrayEquals(r1, r2);
            assertEquals(g1.state(), g2.state());
        } finally {
            CpuParallel.setThreads(saved);
        }
    }

    @Test
    void offsetsAdvanceAsDocumented() {
        Generator g = new Generator(1);
        g.fillUniform(new float[10], 0, 9, 0, 1);
        assertEquals(3, g.offset());
        g.fillNormal(new float[10], 0, 4, 0, 1);
        assertEquals(4, g.offset());
        g.fillNormal(new float[10], 0, 0, 0, 1);
        assertEquals(4, g.offset());
        g.fillRandInt(new long[10], 0, 7, 0, 2);
        assertEquals(11, g.offset());
        g.nextLong();
        g.nextFloat();
        g.nextDouble();
        assertEquals(14, g.offset());
    }

    @Test
    void splittingAFillChangesNothingWhenTheFirstPartIsAMultipleOfFour() {
        float[] whole = new float[103];
        new Generator(5).fillUniform(whole, 0, 103, 0, 1);
        float[] parts = new float[103];
        Generator g = new Generator(5);
        g.fillUniform(parts, 0, 40, 0, 1);
        g.fillUniform(parts, 40, 63, 0, 1);
        assertArrayEquals(whole, parts);

        new Generator(5).fillNormal(whole, 0, 103, 0, 1);
        g = new Generator(5);
        g.fillNormal(parts, 0, 8, 0, 1);
        g.fillNormal(parts, 8, 95, 0, 1);
        assertArrayEquals(whole, parts);

        // Not a multiple of 4: the rest of the partial block is skipped, as documented.
        new Generator(5).fillUniform(whole, 0, 103, 0, 1);
        g = new Generator(5);
        g.fillUniform(parts, 0, 41, 0, 1);
        g.fillUniform(parts, 41, 62, 0, 1);
        assertArrayEquals(Arrays.copyOf(whole, 41), Arrays.copyOf(parts, 41));
        assertFalse(Arrays.equals(Arrays.copyOfRange(whole, 41, 103), Arrays.copyOfRange(parts, 41, 103)));

        long[] wholeInts = new long[50];
        new Generator(5).fillRandInt(wholeInts, 0, 50, 0, 1000);
        long[] partInts = new long[50];
        g = new Generator(5);
        g.fillRandInt(partInts, 0, 17, 0, 1000);
        g.fillRandInt(partInts, 17, 33, 0, 1000);
        assertArrayEquals(wholeInts, partInts);
    }

    @Test
    void fillWritesOnlyItsRange() {
        float[] dst = new float[20];
        Arrays.fill(dst, -9f);
        new Generator(3).fillUniform(dst, 5, 10, 0, 1);
        for (int i = 0; i < 20; i++) {
            assertEquals(i >= 5 && i < 15, dst[i] != -9f, "index " + i);
        }
        // The values do not depend on where in the array they land.
        float[] at0 = new float[10];
        new Generator(3).fillUniform(at0, 0, 10, 0, 1);
        assertArrayEquals(at0, Arrays.copyOfRange(dst, 5, 15));
    }

    // ---- split, state ----

    @Test
    void splitStreamsDifferFromParentAndEachOther() {
        Generator parent = new Generator(11);
        Generator c1 = parent.split();
        Generator c2 = parent.split();
        assertEquals(0, parent.offset(), "split does not consume the parent's stream");
        Set<Long> seen = new HashSet<>();
        for (Generator g : new Generator[] {parent, c1, c2, c1.split()}) {
            for (int i = 0; i < 4; i++) {
                assertTrue(seen.add(g.nextLong()), "streams overlap");
            }
        }
        assertEquals(3, new HashSet<>(Arrays.asList(parent.seed(), c1.seed(), c2.seed())).size());

        // Deterministic, and independent of how much the parent drew before splitting.
        Generator again = new Generator(11);
        again.fillUniform(new float[100], 0, 100, 0, 1);
        assertEquals(c1.seed(), again.split().seed());
        assertEquals(c2.seed(), again.split().seed());
    }

    @Test
    void restoreResumesBitExactly() {
        Generator g = new Generator(-123456789L);
        g.fillNormal(new float[13], 0, 13, 0, 1);
        g.split();
        Generator.State saved = g.state();
        long[] expected = drawAll(g);
        Generator child = g.split();

        Generator other = new Generator(99);
        other.restore(saved);
        assertEquals(saved, other.state());
        assertArrayEquals(expected, drawAll(other));
        assertEquals(child.seed(), other.split().seed());

        g.restore(saved);
        assertArrayEquals(expected, drawAll(g));
    }

    // ---- distributions ----

    @Test
    void uniformMeanAndVarianceWithinFiveSigma() {
        int n = 1_000_000;
        float[] u = new float[n];
        new Generator(2024).fillUniform(u, 0, n, 0, 1);
        double sum = 0;
        double sumSq = 0;
        for (float v : u) {
            assertTrue(v >= 0 && v < 1, "out of [0, 1): " + v);
            sum += v;
            sumSq += (double) v * v;
        }
        double mean = sum / n;
        double var = sumSq / n - mean * mean;
        // sd(mean) = sqrt(1/12/n); sd(var) = sqrt((1/80 - 1/144)/n).
        assertEquals(0.5, mean, 5 * Math.sqrt(1.0 / 12 / n), "uniform mean");
        assertEquals(1.0 / 12, var, 5 * Math.sqrt((1.0 / 80 - 1.0 / 144) / n), "uniform variance");
    }

    @Test
    void normalMeanAndStdWithinFiveSigma() {
        int n = 1_000_000;
        float[] z = new float[n];
        new Generator(77).fillNormal(z, 0, n, 3, 2);
        double sum = 0;
        double sumSq = 0;
        for (float v : z) {
            double s = (v - 3) / 2.0;
            sum += s;
            sumSq += s * s;
        }
        double mean = sum / n;
        double var = sumSq / n - mean * mean;
        // sd(mean) = 1/sqrt(n); sd(var) = sqrt(2/n) for a standard normal.
        assertEquals(0, mean, 5 / Math.sqrt(n), "normal mean");
        assertEquals(1, var, 5 * Math.sqrt(2.0 / n), "normal variance");
        float[] fixed = new float[5];
        new Generator(1).fillNormal(fixed, 0, 5, 1.5f, 0);
        for (float v : fixed) {
            assertEquals(1.5f, v);
        }
    }

    @Test
    void uniformNeverReturnsHigh() {
        // [1, 2): low + (high - low)·u with u = 1 - 2^-24 rounds to 2 in float; it must not appear.
        Generator g = new Generator(0);
        g.setOffset(0);
        float[] u = new float[200_000];
        g.fillUniform(u, 0, u.length, 1, 2);
        float[] tiny = new float[200_000];
        g.fillUniform(tiny, 0, tiny.length, 1e7f, 1e7f + 1); // one float apart: all must be low
        for (int i = 0; i < u.length; i++) {
            assertTrue(u[i] >= 1 && u[i] < 2, "out of [1, 2): " + u[i]);
            assertEquals(1e7f, tiny[i]);
        }
        float[] wide = new float[100_000];
        g.fillUniform(wide, 0, wide.length, -Float.MAX_VALUE, Float.MAX_VALUE);
        for (float v : wide) {
            assertTrue(Float.isFinite(v) && v < Float.MAX_VALUE);
        }
        for (int i = 0; i < 10_000; i++) {
            float f = g.nextFloat();
            double d = g.nextDouble();
            assertTrue(f >= 0 && f < 1 && d >= 0 && d < 1);
        }
    }

    @Test
    void randIntCoversASmallRangeWithoutBias() {
        int n = 1_000_000;
        int k = 10;
        long[] r = new long[n];
        new Generator(31337).fillRandInt(r, 0, n, -3, -3 + k);
        long[] counts = new long[k];
        for (long v : r) {
            assertTrue(v >= -3 && v < -3 + k, "out of range: " + v);
            counts[(int) (v + 3)]++;
        }
        double expected = (double) n / k;
        double chi2 = 0;
        for (long c : counts) {
            assertTrue(c > 0);
            chi2 += (c - expected) * (c - expected) / expected;
        }
        // chi-square with 9 degrees of freedom: mean 9, sd 4.24; P(chi2 > 40) < 1e-5.
        assertTrue(chi2 < 40, "chi-square " + chi2 + " for counts " + Arrays.toString(counts));
    }

    @Test
    void randIntHandlesTheWidestRanges() {
        int n = 200_000;
        long[] r = new long[n];
        Generator g = new Generator(8);
        g.fillRandInt(r, 0, n, Long.MIN_VALUE, Long.MAX_VALUE);
        int negative = 0;
        for (long v : r) {
            assertTrue(v != Long.MAX_VALUE);
            negative += v < 0 ? 1 : 0;
        }
        assertEquals(0.5, (double) negative / n, 5 * 0.5 / Math.sqrt(n), "sign balance over the full range");

        long low = -(1L << 62);
        g.fillRandInt(r, 0, n, low, 1L << 62); // width exactly 2^63
        int upperHalf = 0;
        for (long v : r) {
            assertTrue(v >= low && v < (1L << 62));
            upperHalf += v >= 0 ? 1 : 0;
        }
        assertEquals(0.5, (double) upperHalf / n, 5 * 0.5 / Math.sqrt(n), "halves of a 2^63-wide range");

        g.fillRandInt(r, 0, 100, 41, 42);
        for (int i = 0; i < 100; i++) {
            assertEquals(41, r[i]);
        }
    }

    @Test
    void scaleHighIsTheTop64BitsOfTheProduct() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(4);
        BigInteger mask = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
        for (int t = 0; t < 2000; t++) {
            long hi = rnd.nextLong();
            long lo = rnd.nextLong();
            long range = t % 3 == 0 ? -1L : rnd.nextLong();
            BigInteger x = new BigInteger(Long.toUnsignedString(hi)).shiftLeft(64)
                    .or(new BigInteger(Long.toUnsignedString(lo)));
            BigInteger want = x.multiply(new BigInteger(Long.toUnsignedString(range))).shiftRight(128).and(mask);
            assertEquals(want.longValue(), Generator.scaleHigh(hi, lo, range));
        }
    }

    // ---- argument checks ----

    @Test
    void rejectsBadArguments() {
        Generator g = new Generator(0);
        float[] f = new float[4];
        long[] l = new long[4];
        assertMessage(IllegalArgumentException.class, "low=1.0, high=1.0", () -> g.fillUniform(f, 0, 4, 1, 1));
        assertMessage(IllegalArgumentException.class, "finite", () -> g.fillUniform(f, 0, 4, 0, Float.POSITIVE_INFINITY));
        assertMessage(IllegalArgumentException.class, "std=-1.0", () -> g.fillNormal(f, 0, 4, 0, -1));
        assertMessage(IllegalArgumentException.class, "n must be >= 0, got -1", () -> g.fillNormal(f, 0, -1, 0, 1));
        assertMessage(IndexOutOfBoundsException.class, "[2, 6) does not fit an array of length 4",
                () -> g.fillUniform(f, 2, 4, 0, 1));
        assertMessage(IndexOutOfBoundsException.class, "length 4", () -> g.fillRandInt(l, -1, 2, 0, 1));
        assertMessage(IllegalArgumentException.class, "low=5, highExclusive=5", () -> g.fillRandInt(l, 0, 4, 5, 5));
        assertMessage(IllegalArgumentException.class, "offset must be >= 0", () -> g.setOffset(-1));
        assertThrows(NullPointerException.class, () -> g.fillUniform(null, 0, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Generator.State(0, -1, 0));
        assertEquals(0, g.offset(), "rejected calls consume nothing");
    }

    private static void assertMessage(Class<? extends Throwable> type, String fragment,
            org.junit.jupiter.api.function.Executable call) {
        Throwable t = assertThrows(type, call);
        assertTrue(t.getMessage().contains(fragment), () -> "message '" + t.getMessage() + "' lacks '" + fragment + "'");
    }
}
