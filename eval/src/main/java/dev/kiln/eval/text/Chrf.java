package dev.kiln.eval.text;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Corpus chrF (Popović, 2015) and chrF++ computed exactly as sacreBLEU 2.x does; the defaults
 * ({@code new Chrf()}) are those of {@code sacrebleu.corpus_chrf(hyps, [refs])}: character
 * n-grams of orders 1–6 over the text with whitespace removed, no word n-grams, β = 2.
 *
 * <p>Per segment and order the statistics are (hypothesis n-grams, reference n-grams, matches),
 * where the hypothesis count is 0 when the reference has no n-gram of that order; with several
 * references the one giving the segment the highest F-score is used. The statistics are summed
 * over the corpus; the score is the F-β of the precision and recall averaged over the orders that
 * have both hypothesis and reference n-grams (or, with {@code epsSmoothing}, the mean over all
 * orders of each order's F-β, a zero count counting as 1e-16). Characters are Unicode code points;
 * word n-grams (chrF++: {@code wordOrder = 2}) come from whitespace tokens with one leading or
 * trailing ASCII punctuation mark split off.
 *
 * <p>Immutable and thread-safe.
 */
public final class Chrf {
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    private static final double EPS = 1e-16;

    private final int charOrder;
    private final int wordOrder;
    private final double beta;
    private final boolean lowercase;
    private final boolean whitespace;
    private final boolean epsSmoothing;

    /** sacreBLEU's chrF defaults: char order 6, word order 0, β 2, case-sensitive, whitespace removed. */
    public Chrf() {
        this(6, 0, 2, false, false, false);
    }

    /**
     * @param whitespace keep whitespace inside character n-grams
     * @param epsSmoothing chrF++.py's smoothing (mean of per-order F-scores) instead of sacreBLEU's effective order
     */
    public Chrf(int charOrder, int wordOrder, double beta, boolean lowercase, boolean whitespace, boolean epsSmoothing) {
        if (charOrder < 0 || wordOrder < 0 || charOrder + wordOrder == 0) {
            throw new IllegalArgumentException("Chrf: charOrder and wordOrder must be >= 0 and not both 0, got " + charOrder
                    + " and " + wordOrder);
        }
        if (!(beta >= 0 && Double.isFinite(beta))) {
            throw new IllegalArgumentException("Chrf: beta must be a finite number >= 0, got " + beta);
        }
        this.charOrder = charOrder;
        this.wordOrder = wordOrder;
        this.beta = beta;
        this.lowercase = lowercase;
        this.whitespace = whitespace;
        this.epsSmoothing = epsSmoothing;
    }

    /** sacreBLEU's layout: one list per reference stream, each as long as the hypotheses; null entries are skipped. */
    public double corpusScore(List<String> hypotheses, List<? extends List<String>> referenceStreams) {
        Objects.requireNonNull(hypotheses, "Chrf.corpusScore: hypotheses must not be null");
        Objects.requireNonNull(referenceStreams, "Chrf.corpusScore: referenceStreams must not be null");
        if (referenceStreams.isEmpty()) {
            throw new IllegalArgumentException("Chrf.corpusScore: need at least one reference stream, got none");
        }
        List<List<String>> bySegment = new ArrayList<>();
        for (int i = 0; i < hypotheses.size(); i++) {
            bySegment.add(new ArrayList<>());
        }
        for (int s = 0; s < referenceStreams.size(); s++) {
            List<String> stream = Objects.requireNonNull(referenceStreams.get(s), "Chrf.corpusScore: reference stream " + s + " is null");
            if (stream.size() != hypotheses.size()) {
                throw new IllegalArgumentException("Chrf.corpusScore: reference stream " + s + " has " + stream.size()
                        + " segments, the hypotheses " + hypotheses.size());
            }
            for (int i = 0; i < stream.size(); i++) {
                if (stream.get(i) != null) {
                    bySegment.get(i).add(stream.get(i));
                }
            }
        }
        return corpusScoreBySegment(hypotheses, bySegment);
    }

    /** Corpus chrF where hypothesis {@code i} has the references {@code references.get(i)} (at least one each). */
    public double corpusScoreBySegment(List<String> hypotheses, List<? extends List<String>> references) {
        Objects.requireNonNull(hypotheses, "Chrf.corpusScoreBySegment: hypotheses must not be null");
        Objects.requireNonNull(references, "Chrf.corpusScoreBySegment: references must not be null");
        if (references.size() != hypotheses.size()) {
            throw new IllegalArgumentException("Chrf.corpusScoreBySegment: " + hypotheses.size() + " hypotheses but "
                    + references.size() + " reference lists");
        }
        int orders = charOrder + wordOrder;
        long[] sum = new long[3 * orders];
        for (int i = 0; i < hypotheses.size(); i++) {
            String hyp = Objects.requireNonNull(hypotheses.get(i), "Chrf: hypothesis " + i + " is null");
            List<String> refs = references.get(i);
            if (refs == null || refs.stream().allMatch(Objects::isNull)) {
                throw new IllegalArgumentException("Chrf: hypothesis " + i + " has no reference");
            }
            List<Map<String, Integer>> hypGrams = ngrams(hyp);
            long[] best = null;
            double bestF = -1;
            for (String ref : refs) {
                if (ref == null) {
                    continue;
                }
                List<Map<String, Integer>> refGrams = ngrams(ref);
                long[] stats = new long[3 * orders];
                for (int o = 0; o < orders; o++) {
                    matchStatistics(hypGrams.get(o), refGrams.get(o), stats, 3 * o);
                }
                double f = fScore(stats);
                if (f > bestF) {
                    bestF = f;
                    best = stats;
                }
            }
            for (int k = 0; k < sum.length; k++) {
                sum[k] += best[k];
            }
        }
        return fScore(sum);
    }

    /** chrF of one hypothesis against its references. */
    public double sentenceScore(String hypothesis, List<String> references) {
        return corpusScoreBySegment(List.of(hypothesis), List.of(references));
    }

    private static void matchStatistics(Map<String, Integer> hyp, Map<String, Integer> ref, long[] out, int at) {
        long match = 0;
        long hypCount = 0;
        for (Map.Entry<String, Integer> e : hyp.entrySet()) {
            hypCount += e.getValue();
            Integer r = ref.get(e.getKey());
            if (r != null) {
                match += Math.min(e.getValue(), r);
            }
        }
        long refCount = 0;
        for (int c : ref.values()) {
            refCount += c;
        }
        out[at] = ref.isEmpty() ? 0 : hypCount; // sacreBLEU: no hits counted when the reference has no n-gram of this order
        out[at + 1] = refCount;
        out[at + 2] = match;
    }

    /** sacreBLEU's {@code CHRF._compute_f_score}: the statistics are [hyp, ref, match] per order. */
    double fScore(long[] stats) {
        double factor = beta * beta;
        double score = 0;
        double avgPrec = 0;
        double avgRec = 0;
        int effective = 0;
        for (int o = 0; o < charOrder + wordOrder; o++) {
            long nHyp = stats[3 * o];
            long nRef = stats[3 * o + 1];
            long nMatch = stats[3 * o + 2];
            double prec = nHyp > 0 ? (double) nMatch / nHyp : EPS;
            double rec = nRef > 0 ? (double) nMatch / nRef : EPS;
            double denom = factor * prec + rec;
            score += denom > 0 ? (1 + factor) * prec * rec / denom : EPS;
            if (nHyp > 0 && nRef > 0) {
                avgPrec += prec;
                avgRec += rec;
                effective++;
            }
        }
        if (epsSmoothing) {
            return 100 * score / (charOrder + wordOrder);
        }
        if (effective == 0) {
            avgPrec = 0;
            avgRec = 0;
        } else {
            avgPrec /= effective;
            avgRec /= effective;
        }
        if (avgPrec + avgRec != 0) {
            double f = (1 + factor) * avgPrec * avgRec;
            f /= factor * avgPrec + avgRec;
            return 100 * f;
        }
        return 0.0;
    }

    /** Character n-gram counts of orders 1..charOrder, then word n-gram counts of orders 1..wordOrder. */
    private List<Map<String, Integer>> ngrams(String segment) {
        String s = lowercase ? segment.toLowerCase(Locale.ROOT) : segment;
        List<Map<String, Integer>> out = new ArrayList<>();
        int[] cps = (whitespace ? s : PythonWhitespace.removeSpaces(s)).codePoints().toArray();
        for (int n = 1; n <= charOrder; n++) {
            Map<String, Integer> counts = new HashMap<>();
            for (int i = 0; i + n <= cps.length; i++) {
                counts.merge(new String(cps, i, n), 1, Integer::sum);
            }
            out.add(counts);
        }
        if (wordOrder > 0) {
            List<String> words = splitPunctuation(s);
            for (int n = 1; n <= wordOrder; n++) {
                Map<String, Integer> counts = new HashMap<>();
                for (int i = 0; i + n <= words.size(); i++) {
                    counts.merge(String.join(" ", words.subList(i, i + n)), 1, Integer::sum);
                }
                out.add(counts);
            }
        }
        return out;
    }

    /** sacreBLEU's {@code _remove_punctuation}: one trailing, else one leading, ASCII punctuation mark becomes its own word. */
    private static List<String> splitPunctuation(String s) {
        List<String> out = new ArrayList<>();
        for (String w : PythonWhitespace.split(s)) {
            int first = w.codePointAt(0);
            int last = w.codePointBefore(w.length());
            if (w.codePointCount(0, w.length()) == 1) {
                out.add(w);
            } else if (isPunctuation(last)) {
                out.add(w.substring(0, w.length() - 1));
                out.add(w.substring(w.length() - 1));
            } else if (isPunctuation(first)) {
                out.add(w.substring(0, 1));
                out.add(w.substring(1));
            } else {
                out.add(w);
            }
        }
        return out;
    }

    private static boolean isPunctuation(int cp) {
        return cp < 128 && PUNCTUATION.indexOf(cp) >= 0;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "Chrf[nc:%d|nw:%d|beta:%s|case:%s|space:%s|eps:%s]", charOrder, wordOrder, beta,
                lowercase ? "lc" : "mixed", whitespace ? "yes" : "no", epsSmoothing ? "yes" : "no");
    }
}
