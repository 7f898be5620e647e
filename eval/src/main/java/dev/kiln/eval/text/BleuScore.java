package dev.kiln.eval.text;

import java.util.Arrays;
import java.util.Locale;

/**
 * A corpus BLEU result with sacreBLEU's fields: the score (0–100), matched and total n-grams per
 * order, the n-gram precisions in percent (after smoothing), the brevity penalty, and the system
 * (hypothesis) and reference lengths in tokens. The arrays are copied in and out.
 */
public record BleuScore(double score, long[] counts, long[] totals, double[] precisions, double bp, long sysLen, long refLen) {
    public BleuScore {
        counts = counts.clone();
        totals = totals.clone();
        precisions = precisions.clone();
    }

    @Override
    public long[] counts() {
        return counts.clone();
    }

    @Override
    public long[] totals() {
        return totals.clone();
    }

    @Override
    public double[] precisions() {
        return precisions.clone();
    }

    /** System length / reference length (0 when the reference length is 0), as sacreBLEU reports it. */
    public double ratio() {
        return refLen == 0 ? 0 : (double) sysLen / refLen;
    }

    /** sacreBLEU's format: {@code BLEU = 34.12 70.0/44.4/25.0/14.3 (BP = 1.000 ratio = 1.000 hyp_len = 10 ref_len = 10)}. */
    @Override
    public String toString() {
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < precisions.length; i++) {
            p.append(i == 0 ? "" : "/").append(String.format(Locale.ROOT, "%.1f", precisions[i]));
        }
        return String.format(Locale.ROOT, "BLEU = %.2f %s (BP = %.3f ratio = %.3f hyp_len = %d ref_len = %d)", score, p, bp,
                ratio(), sysLen, refLen);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BleuScore b && Double.compare(score, b.score) == 0 && Arrays.equals(counts, b.counts)
                && Arrays.equals(totals, b.totals) && Arrays.equals(precisions, b.precisions)
                && Double.compare(bp, b.bp) == 0 && sysLen == b.sysLen && refLen == b.refLen;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new Object[] {score, Arrays.hashCode(counts), Arrays.hashCode(totals),
            Arrays.hashCode(precisions), bp, sysLen, refLen});
    }
}
