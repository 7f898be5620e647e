package dev.kiln.data.dedup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class MinHasherTest {
    private static final BigInteger P = BigInteger.ONE.shiftLeft(61).subtract(BigInteger.ONE);

    @Test
    void modularArithmeticMatchesBigInteger() {
        SplittableRandom rng = new SplittableRandom(1);
        long[] edge = {0, 1, MinHasher.P - 1, MinHasher.P, MinHasher.P + 1, -1, Long.MIN_VALUE, Long.MAX_VALUE};
        for (int t = 0; t < 20_000; t++) {
            long x = t < edge.length ? edge[t] : rng.nextLong();
            BigInteger ux = new BigInteger(Long.toUnsignedString(x));
            long reduced = MinHasher.reduce(x);
            assertEquals(ux.mod(P).longValueExact(), reduced, "reduce " + Long.toUnsignedString(x));
            long a = t < edge.length ? MinHasher.P - 1 : 1 + rng.nextLong(MinHasher.P - 1);
            long b = t < edge.length ? MinHasher.P - 1 : rng.nextLong(MinHasher.P);
            long expected = BigInteger.valueOf(a).multiply(BigInteger.valueOf(reduced)).add(BigInteger.valueOf(b)).mod(P)
                    .longValueExact();
            assertEquals(expected, MinHasher.affine(a, reduced, b), "affine a=" + a + " x=" + reduced + " b=" + b);
        }
    }

    @Test
    void signatureIsTheMinimumOverShinglesAndDeterministicUnderSeed() {
        long[] shingles = new SplittableRandom(2).longs(300).toArray();
        MinHasher h = new MinHasher(64, 42);
        long[] sig = h.signature(shingles);
        assertArrayEquals(sig, new MinHasher(64, 42).signature(shingles));
        assertTrue(!Arrays.equals(sig, new MinHasher(64, 43).signature(shingles)));
        // order of shingles does not matter
        long[] reversed = LongStream.range(0, shingles.length).map(i -> shingles[shingles.length - 1 - (int) i]).toArray();
        assertArrayEquals(sig, h.signature(reversed));
        long[] empty = h.signature(new long[0]);
        assertTrue(Arrays.stream(empty).allMatch(v -> v == Long.MAX_VALUE));
    }

    @Test
    void estimateIsCloseToTheTrueJaccard() {
        SplittableRandom rng = new SplittableRandom(3);
        MinHasher h = new MinHasher(256, 7);
        for (double target : new double[] {0.2, 0.5, 0.8, 0.95}) {
            // |A ∩ B| = s, |A \ B| = |B \ A| = d: J = s / (s + 2d)
            int s = 1000;
            int d = (int) Math.round(s * (1 - target) / (2 * target));
            long[] common = rng.longs(s).toArray();
            long[] a = LongStream.concat(Arrays.stream(common), rng.longs(d)).toArray();
            long[] b = LongStream.concat(Arrays.stream(common), rng.longs(d)).toArray();
            double truth = (double) s / (s + 2 * d);
            double est = MinHasher.estimatedJaccard(h.signature(a), h.signature(b));
            double sigma = Math.sqrt(truth * (1 - truth) / 256);
            assertEquals(truth, est, 4 * sigma + 1e-9, "J=" + truth);
        }
    }
}
