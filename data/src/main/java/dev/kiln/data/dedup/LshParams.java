package dev.kiln.data.dedup;

/**
 * Banding for locality-sensitive hashing of MinHash signatures: the signature is cut into {@code
 * bands} bands of {@code rows} rows, and two documents become a candidate pair when all rows of at
 * least one band agree. For documents of Jaccard similarity s that happens with probability
 * P(s) = 1 − (1 − s<sup>r</sup>)<sup>b</sup>, an S-curve that rises steeply around (1/b)<sup>1/r</sup>.
 *
 * <p>{@link #forThreshold} puts the curve so that a pair exactly at the threshold becomes a
 * candidate with at least the requested probability (recall comes first: a missed pair is lost,
 * a spurious candidate only costs one verification), and among such choices takes the one with
 * the fewest candidates below the threshold, measured as the area ∫<sub>0</sub><sup>t</sup> P(s) ds
 * (the rate of false candidates if similarities were uniform, as datasketch also assumes). With
 * 128 permutations, threshold 0.8 and recall 0.99 this gives 21 bands × 6 rows: P(0.8) = 0.998,
 * P(0.5) = 0.28, P(0.3) = 0.015.
 */
public record LshParams(int bands, int rows) {
    public LshParams {
        if (bands < 1 || rows < 1) {
            throw new IllegalArgumentException("LshParams: bands and rows must be >= 1, got " + bands + " x " + rows);
        }
    }

    /** Signature entries used: bands × rows (the rest of a longer signature is ignored). */
    public int width() {
        return bands * rows;
    }

    /** P(candidate | similarity s) = 1 − (1 − s^rows)^bands. */
    public double candidateProbability(double s) {
        return 1 - Math.pow(1 - Math.pow(s, rows), bands);
    }

    /** ∫₀^t P(s) ds by Simpson's rule on 1,000 intervals. */
    public double areaBelow(double t) {
        int n = 1000;
        double h = t / n;
        double sum = candidateProbability(0) + candidateProbability(t);
        for (int i = 1; i < n; i++) {
            sum += (i % 2 == 1 ? 4 : 2) * candidateProbability(i * h);
        }
        return sum * h / 3;
    }

    /**
     * The banding for {@code numPermutations} signature entries whose candidate probability at
     * {@code threshold} is at least {@code minRecall} with the smallest {@link #areaBelow} the
     * threshold; when no banding reaches {@code minRecall}, the one with the highest probability.
     */
    public static LshParams forThreshold(double threshold, int numPermutations, double minRecall) {
        if (!(threshold > 0 && threshold < 1)) {
            throw new IllegalArgumentException("LshParams.forThreshold: threshold must be in (0, 1), got " + threshold);
        }
        if (numPermutations < 1) {
            throw new IllegalArgumentException("LshParams.forThreshold: numPermutations must be >= 1, got " + numPermutations);
        }
        if (!(minRecall > 0 && minRecall < 1)) {
            throw new IllegalArgumentException("LshParams.forThreshold: minRecall must be in (0, 1), got " + minRecall);
        }
        LshParams best = null;
        double bestArea = Double.POSITIVE_INFINITY;
        LshParams mostRecall = null;
        double mostRecallP = -1;
        for (int rows = 1; rows <= numPermutations; rows++) {
            LshParams p = new LshParams(numPermutations / rows, rows);
            double recall = p.candidateProbability(threshold);
            if (recall > mostRecallP) {
                mostRecallP = recall;
                mostRecall = p;
            }
            if (recall >= minRecall) {
                double area = p.areaBelow(threshold);
                if (area < bestArea) {
                    bestArea = area;
                    best = p;
                }
            }
        }
        return best != null ? best : mostRecall;
    }
}
