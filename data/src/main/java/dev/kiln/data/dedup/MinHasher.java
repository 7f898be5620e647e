package dev.kiln.data.dedup;

import java.util.SplittableRandom;

/**
 * MinHash signatures (Broder 1997): for each of {@code numPermutations} hash functions h_i, the
 * minimum of h_i over a document's shingles. For two documents the probability that the minima
 * agree equals the Jaccard similarity of their shingle sets, so the fraction of agreeing
 * positions estimates it with standard deviation √(J(1−J)/numPermutations) (≈ 0.035 at J = 0.8
 * with 128).
 *
 * <p>The hash functions are the universal family h(x) = (a·x + b) mod p with the Mersenne prime
 * p = 2<sup>61</sup> − 1 and a ∈ [1, p), b ∈ [0, p) drawn from a {@link SplittableRandom} seeded
 * with {@code seed}: the same seed gives the same signatures on every machine. Thread-safe.
 */
public final class MinHasher {
    /** The Mersenne prime 2^61 − 1. */
    static final long P = (1L << 61) - 1;

    private final long[] a;
    private final long[] b;

    public MinHasher(int numPermutations, long seed) {
        if (numPermutations < 1) {
            throw new IllegalArgumentException("MinHasher: numPermutations must be >= 1, got " + numPermutations);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        a = new long[numPermutations];
        b = new long[numPermutations];
        for (int i = 0; i < numPermutations; i++) {
            a[i] = 1 + rng.nextLong(P - 1);
            b[i] = rng.nextLong(P);
        }
    }

    public int numPermutations() {
        return a.length;
    }

    /** x mod p for any 64-bit x (taken as unsigned). */
    static long reduce(long x) {
        long r = (x & P) + (x >>> 61);
        return r >= P ? r - P : r;
    }

    /** (a·x + b) mod p for a, x, b in [0, p): the 122-bit product folded with 2^61 ≡ 1 (mod p). */
    static long affine(long a, long x, long b) {
        long lo = a * x;
        long hi = Math.multiplyHigh(a, x); // a, x < 2^61, so the product is below 2^122 and hi below 2^58
        long folded = (lo & P) + ((lo >>> 61) | (hi << 3)) + b; // each term < 2^61: the sum fits
        long r = (folded & P) + (folded >>> 61);
        return r >= P ? r - P : r;
    }

    /**
     * The signature of a set of shingle hashes; all entries are {@code Long.MAX_VALUE} (larger
     * than any hash) when the set is empty.
     */
    public long[] signature(long[] shingles) {
        int m = a.length;
        long[] sig = new long[m];
        java.util.Arrays.fill(sig, Long.MAX_VALUE);
        for (long s : shingles) {
            long x = reduce(s);
            for (int i = 0; i < m; i++) {
                long h = affine(a[i], x, b[i]);
                if (h < sig[i]) {
                    sig[i] = h;
                }
            }
        }
        return sig;
    }

    /** The fraction of positions where two signatures agree: the MinHash estimate of the Jaccard similarity. */
    public static double estimatedJaccard(long[] sigA, long[] sigB) {
        if (sigA.length != sigB.length) {
            throw new IllegalArgumentException("MinHasher.estimatedJaccard: signatures have " + sigA.length + " and "
                    + sigB.length + " entries");
        }
        int same = 0;
        for (int i = 0; i < sigA.length; i++) {
            same += sigA[i] == sigB[i] ? 1 : 0;
        }
        return (double) same / sigA.length;
    }
}
