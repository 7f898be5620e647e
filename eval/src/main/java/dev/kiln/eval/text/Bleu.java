package dev.kiln.eval.text;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Corpus BLEU (Papineni et al., 2002) computed exactly as sacreBLEU 2.x does; the defaults
 * ({@code new Bleu()}) are those of {@code sacrebleu.corpus_bleu(hyps, [refs])}: 13a tokenization,
 * case-sensitive, n-grams up to 4, "exp" smoothing (mteval-v13a: the k-th order with no match
 * gets precision 1 / (2^k · total)), no effective order.
 *
 * <p>Per segment: the hypothesis n-grams are clipped by the largest count of that n-gram in any
 * one reference, and the reference length is the one closest to the hypothesis length (the
 * shorter on a tie). Counts and lengths are summed over the corpus; the score is
 * {@code BP · exp(mean_n log p_n)} with {@code BP = exp(1 - ref/sys)} when the system is
 * shorter, 0 when it is empty. As in sacreBLEU, a corpus without a single matched n-gram scores 0,
 * an order with no hypothesis n-grams at all stops the precisions there (the higher ones stay 0),
 * and a zero precision enters the mean as log 0 = -9999999999.
 *
 * <p>Immutable and thread-safe.
 */
public final class Bleu {
    /** How segments are cut into tokens before counting. */
    public enum Tokenize {
        /** mteval-v13a ({@link Tokenizer13a}), sacreBLEU's default. */
        V13A("13a"),
        /** Split on whitespace only (for text that is already tokens, such as phoneme strings). */
        NONE("none");

        public final String signature;

        Tokenize(String signature) {
            this.signature = signature;
        }
    }

    /** sacreBLEU's smoothing methods (Chen and Cherry, 2014) with their default values. */
    public enum Smoothing {
        /** No smoothing: a zero precision makes the score 0. */
        NONE("none", Double.NaN),
        /** Method 1: a zero count becomes {@code value} (default 0.1). */
        FLOOR("floor", 0.1),
        /** Method 2: {@code value} (default 1) is added to counts and totals of orders 2 and up. */
        ADD_K("add-k", 1),
        /** Method 3 (NIST mteval-v13a): the k-th zero-count order gets 1 / (2^k · total). */
        EXP("exp", Double.NaN);

        public final String signature;
        public final double defaultValue;

        Smoothing(String signature, double defaultValue) {
            this.signature = signature;
            this.defaultValue = defaultValue;
        }
    }

    /** sacreBLEU's floor for log(0) ({@code sacrebleu.utils.my_log}). */
    private static final double LOG_ZERO = -9999999999.0;

    private final Tokenize tokenize;
    private final boolean lowercase;
    private final Smoothing smoothing;
    private final double smoothValue;
    private final int maxOrder;
    private final boolean effectiveOrder;

    /** sacreBLEU's defaults: 13a, case-sensitive, exp smoothing, order 4, no effective order. */
    public Bleu() {
        this(Tokenize.V13A, false, Smoothing.EXP, Double.NaN, 4, false);
    }

    /**
     * @param smoothValue the value of FLOOR or ADD_K; NaN for the method's default (ignored by NONE and EXP)
     * @param maxOrder the largest n-gram order, {@code >= 1}
     * @param effectiveOrder average only over the orders up to the last with any hypothesis n-gram
     *     (sacreBLEU's option for sentence-level BLEU)
     * @param lowercase lowercase hypotheses and references first ({@link String#toLowerCase} with
     *     {@link Locale#ROOT}, which agrees with Python's {@code str.lower} outside a few special cases)
     */
    public Bleu(Tokenize tokenize, boolean lowercase, Smoothing smoothing, double smoothValue, int maxOrder,
            boolean effectiveOrder) {
        this.tokenize = Objects.requireNonNull(tokenize, "Bleu: tokenize must not be null");
        this.smoothing = Objects.requireNonNull(smoothing, "Bleu: smoothing must not be null");
        if (maxOrder < 1) {
            throw new IllegalArgumentException("Bleu: maxOrder must be >= 1, got " + maxOrder);
        }
        double v = Double.isNaN(smoothValue) ? smoothing.defaultValue : smoothValue;
        if ((smoothing == Smoothing.FLOOR || smoothing == Smoothing.ADD_K) && !(v >= 0 && Double.isFinite(v))) {
            throw new IllegalArgumentException("Bleu: the " + smoothing.signature + " smoothing value must be a finite number >= 0, got "
                    + smoothValue);
        }
        this.lowercase = lowercase;
        this.smoothValue = v;
        this.maxOrder = maxOrder;
        this.effectiveOrder = effectiveOrder;
    }

    /** The same settings with another tokenizer. */
    public Bleu withTokenize(Tokenize t) {
        return new Bleu(t, lowercase, smoothing, smoothValue, maxOrder, effectiveOrder);
    }

    /**
     * sacreBLEU's layout: {@code corpus_bleu(hypotheses, referenceStreams)}. Each stream holds one
     * reference per hypothesis, in order; a null entry means that hypothesis has no reference in
     * that stream (variable numbers of references), but every hypothesis needs at least one.
     */
    public BleuScore corpusScore(List<String> hypotheses, List<? extends List<String>> referenceStreams) {
        Objects.requireNonNull(hypotheses, "Bleu.corpusScore: hypotheses must not be null");
        Objects.requireNonNull(referenceStreams, "Bleu.corpusScore: referenceStreams must not be null");
        if (referenceStreams.isEmpty()) {
            throw new IllegalArgumentException("Bleu.corpusScore: need at least one reference stream, got none");
        }
        for (int s = 0; s < referenceStreams.size(); s++) {
            List<String> stream = Objects.requireNonNull(referenceStreams.get(s), "Bleu.corpusScore: reference stream " + s + " is null");
            if (stream.size() != hypotheses.size()) {
                throw new IllegalArgumentException("Bleu.corpusScore: reference stream " + s + " has " + stream.size()
                        + " segments, the hypotheses " + hypotheses.size());
            }
        }
        List<List<String>> bySegment = new ArrayList<>(hypotheses.size());
        for (int i = 0; i < hypotheses.size(); i++) {
            List<String> refs = new ArrayList<>();
            for (List<String> stream : referenceStreams) {
                if (stream.get(i) != null) {
                    refs.add(stream.get(i));
                }
            }
            bySegment.add(refs);
        }
        return corpusScoreBySegment(hypotheses, bySegment);
    }

    /** Corpus BLEU where hypothesis {@code i} has the references {@code references.get(i)} (at least one each). */
    public BleuScore corpusScoreBySegment(List<String> hypotheses, List<? extends List<String>> references) {
        Objects.requireNonNull(hypotheses, "Bleu.corpusScoreBySegment: hypotheses must not be null");
        Objects.requireNonNull(references, "Bleu.corpusScoreBySegment: references must not be null");
        if (references.size() != hypotheses.size()) {
            throw new IllegalArgumentException("Bleu.corpusScoreBySegment: " + hypotheses.size() + " hypotheses but "
                    + references.size() + " reference lists");
        }
        long sysLen = 0;
        long refLen = 0;
        long[] correct = new long[maxOrder];
        long[] total = new long[maxOrder];
        for (int i = 0; i < hypotheses.size(); i++) {
            String hyp = Objects.requireNonNull(hypotheses.get(i), "Bleu: hypothesis " + i + " is null");
            List<String> refs = references.get(i);
            if (refs == null || refs.isEmpty() || refs.stream().allMatch(Objects::isNull)) {
                throw new IllegalArgumentException("Bleu: hypothesis " + i + " has no reference");
            }
            Map<String, Integer> refMax = new HashMap<>();
            List<Integer> refLens = new ArrayList<>();
            for (String ref : refs) {
                if (ref == null) {
                    continue;
                }
                List<String> tokens = tokens(ref);
                refLens.add(tokens.size());
                ngrams(tokens).forEach((g, c) -> refMax.merge(g, c, Math::max));
            }
            List<String> hypTokens = tokens(hyp);
            int h = hypTokens.size();
            sysLen += h;
            refLen += closestLength(h, refLens);
            for (Map.Entry<String, Integer> e : ngrams(hypTokens).entrySet()) {
                int n = order(e.getKey());
                total[n - 1] += e.getValue();
                correct[n - 1] += Math.min(e.getValue(), refMax.getOrDefault(e.getKey(), 0));
            }
        }
        return fromStatistics(correct, total, sysLen, refLen);
    }

    /** BLEU of one hypothesis against its references (sacreBLEU's {@code sentence_score}). */
    public BleuScore sentenceScore(String hypothesis, List<String> references) {
        return corpusScoreBySegment(List.of(hypothesis), List.of(references));
    }

    /** The score from summed statistics ({@code BLEU.compute_bleu}). */
    BleuScore fromStatistics(long[] correct, long[] total, long sysLen, long refLen) {
        double bp = 1.0;
        if (sysLen < refLen) {
            bp = sysLen > 0 ? Math.exp(1 - (double) refLen / sysLen) : 0.0;
        }
        double[] precisions = new double[maxOrder];
        boolean anyMatch = false;
        for (long c : correct) {
            anyMatch |= c != 0;
        }
        if (!anyMatch) {
            return new BleuScore(0.0, correct, total, precisions, bp, sysLen, refLen);
        }
        double smoothMteval = 1.0;
        int effOrder = maxOrder;
        for (int n = 1; n <= maxOrder; n++) {
            double c = correct[n - 1];
            double t = total[n - 1];
            if (smoothing == Smoothing.ADD_K && n > 1) {
                c += smoothValue;
                t += smoothValue;
            }
            if (t == 0) {
                break;
            }
            if (effectiveOrder) {
                effOrder = n;
            }
            if (c == 0) {
                if (smoothing == Smoothing.EXP) {
                    smoothMteval *= 2;
                    precisions[n - 1] = 100.0 / (smoothMteval * t);
                } else if (smoothing == Smoothing.FLOOR) {
                    precisions[n - 1] = 100.0 * smoothValue / t;
                }
            } else {
                precisions[n - 1] = 100.0 * c / t;
            }
        }
        double logSum = 0;
        for (int n = 0; n < effOrder; n++) {
            logSum += precisions[n] == 0.0 ? LOG_ZERO : Math.log(precisions[n]);
        }
        double score = bp * Math.exp(logSum / effOrder);
        return new BleuScore(score, correct, total, precisions, bp, sysLen, refLen);
    }

    private List<String> tokens(String segment) {
        String s = lowercase ? segment.toLowerCase(Locale.ROOT) : segment;
        s = PythonWhitespace.rstrip(s);
        if (tokenize == Tokenize.V13A) {
            s = Tokenizer13a.tokenize(s);
        }
        return PythonWhitespace.split(s);
    }

    /**
     * Counts of every n-gram of orders 1..maxOrder, keyed by its tokens joined with single spaces
     * (unambiguous: tokens never contain whitespace).
     */
    private Map<String, Integer> ngrams(List<String> tokens) {
        Map<String, Integer> counts = new HashMap<>();
        StringBuilder sb = new StringBuilder();
        for (int n = 1; n <= maxOrder; n++) {
            for (int i = 0; i + n <= tokens.size(); i++) {
                sb.setLength(0);
                for (int k = i; k < i + n; k++) {
                    sb.append(k == i ? "" : " ").append(tokens.get(k));
                }
                counts.merge(sb.toString(), 1, Integer::sum);
            }
        }
        return counts;
    }

    private static int order(String ngram) {
        int n = 1;
        for (int i = 0; i < ngram.length(); i++) {
            n += ngram.charAt(i) == ' ' ? 1 : 0;
        }
        return n;
    }

    /** The reference length nearest to {@code hypLen}, the shorter on a tie (sacreBLEU's {@code _get_closest_ref_len}). */
    private static int closestLength(int hypLen, List<Integer> refLens) {
        int best = -1;
        int bestDiff = -1;
        for (int len : refLens) {
            int diff = Math.abs(hypLen - len);
            if (bestDiff == -1 || diff < bestDiff || (diff == bestDiff && len < best)) {
                bestDiff = diff;
                best = len;
            }
        }
        return best;
    }

    /** sacreBLEU's signature, e.g. {@code nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0} without the counts and version. */
    public String signature() {
        String smooth = smoothing.signature;
        if (smoothing == Smoothing.FLOOR || smoothing == Smoothing.ADD_K) {
            smooth += String.format(Locale.ROOT, "[%.2f]", smoothValue);
        }
        return "case:" + (lowercase ? "lc" : "mixed") + "|eff:" + (effectiveOrder ? "yes" : "no") + "|tok:" + tokenize.signature
                + "|smooth:" + smooth;
    }

    @Override
    public String toString() {
        return "Bleu[" + signature() + (maxOrder != 4 ? "|order:" + maxOrder : "") + "]";
    }
}
