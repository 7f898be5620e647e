package dev.kiln.nn.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Greedy and beam-search decoding over a {@link NextTokenScorer}, for all of its sources at once:
 * each step asks the scorer for the next-token distributions of every live prefix of every source
 * in one call (one batched forward pass of a model), and sources drop out as they finish.
 *
 * <p>Beam search keeps {@code beamSize} live hypotheses per source, ranked by their summed
 * log-probability. Each step it ranks the {@code 2·beamSize} best one-token extensions: an
 * extension ending in the end token that ranks within the first {@code beamSize} is finished, and
 * the best {@code beamSize} of the others stay live (the rule of fairseq's search). A source is
 * done when it has {@code beamSize} finished hypotheses, or at {@code maxSteps} tokens, when its
 * live hypotheses are finished as they stand. The answer is the finished hypothesis with the
 * highest length-normalised score {@code logP / length^alpha}, where the length counts the
 * generated tokens including the end token (alpha 0: raw log-probability, which favours short
 * outputs; alpha 1: mean log-probability per token). With {@code beamSize} 1 this is exactly greedy
 * decoding. Ties in ranking go to the earlier hypothesis, then the lower token id, as in greedy's
 * argmax.
 */
public final class SequenceSearch {
    private SequenceSearch() {}

    /**
     * A decoded sequence: the generated tokens without the begin and end tokens, their summed
     * log-probability (the end token's included), whether it ended with the end token, and the
     * length-normalised score the beam ranked it by.
     */
    public record Hypothesis(long[] tokens, double logProb, boolean finished, double score) {
        @Override
        public String toString() {
            return "Hypothesis" + Arrays.toString(tokens) + String.format(java.util.Locale.ROOT, "(logP %.4f, score %.4f%s)",
                    logProb, score, finished ? "" : ", unfinished");
        }
    }

    /** The most likely token at every step, until the end token or {@code maxSteps} tokens; one result per source. */
    public static List<Hypothesis> greedy(NextTokenScorer scorer, long bos, long eos, int maxSteps) {
        checkArgs(scorer, maxSteps, 1);
        int n = scorer.sources();
        int v = scorer.vocabSize();
        long[][] prefixes = new long[n][];
        double[] logProbs = new double[n];
        Hypothesis[] out = new Hypothesis[n];
        int[] active = new int[n];
        for (int i = 0; i < n; i++) {
            prefixes[i] = new long[] {bos};
            active[i] = i;
        }
        int live = n;
        for (int step = 0; step < maxSteps && live > 0; step++) {
            int[] rows = Arrays.copyOf(active, live);
            long[][] batch = new long[live][];
            for (int r = 0; r < live; r++) {
                batch[r] = prefixes[rows[r]];
            }
            float[] lp = scorer.nextLogProbs(rows, batch);
            int kept = 0;
            for (int r = 0; r < live; r++) {
                int src = rows[r];
                int best = argmax(lp, r * v, v);
                logProbs[src] += lp[r * v + best];
                if (best == eos) {
                    out[src] = finish(prefixes[src], logProbs[src], true, 1.0);
                } else {
                    prefixes[src] = append(prefixes[src], best);
                    active[kept++] = src;
                }
            }
            live = kept;
        }
        for (int r = 0; r < live; r++) {
            int src = active[r];
            out[src] = finish(prefixes[src], logProbs[src], false, 1.0);
        }
        return List.of(out);
    }

    /** Beam search with {@code beamSize} hypotheses and length-normalisation exponent {@code alpha}; one result per source. */
    public static List<Hypothesis> beam(NextTokenScorer scorer, long bos, long eos, int maxSteps, int beamSize, double alpha) {
        checkArgs(scorer, maxSteps, beamSize);
        if (!(alpha >= 0 && Double.isFinite(alpha))) {
            throw new IllegalArgumentException("SequenceSearch.beam: alpha must be a finite number >= 0, got " + alpha);
        }
        int n = scorer.sources();
        int v = scorer.vocabSize();
        List<List<Partial>> live = new ArrayList<>(n);
        List<List<Hypothesis>> finished = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            live.add(List.of(new Partial(new long[] {bos}, 0.0)));
            finished.add(new ArrayList<>());
        }
        for (int step = 0; step < maxSteps; step++) {
            int rows = 0;
            for (int i = 0; i < n; i++) {
                rows += live.get(i).size();
            }
            if (rows == 0) {
                break;
            }
            int[] sourceOfRow = new int[rows];
            long[][] prefixes = new long[rows][];
            int r = 0;
            for (int i = 0; i < n; i++) {
                for (Partial p : live.get(i)) {
                    sourceOfRow[r] = i;
                    prefixes[r++] = p.tokens;
                }
            }
            float[] lp = scorer.nextLogProbs(sourceOfRow, prefixes);
            r = 0;
            for (int i = 0; i < n; i++) {
                List<Partial> hyps = live.get(i);
                if (hyps.isEmpty()) {
                    continue;
                }
                Candidate[] top = topCandidates(hyps, lp, r, v, 2 * beamSize);
                r += hyps.size();
                List<Partial> next = new ArrayList<>(beamSize);
                List<Hypothesis> done = finished.get(i);
                for (int rank = 0; rank < top.length && next.size() < beamSize; rank++) {
                    Candidate c = top[rank];
                    Partial parent = hyps.get(c.hyp);
                    if (c.token == eos) {
                        if (rank < beamSize) {
                            done.add(finish(parent.tokens, c.logProb, true, alpha));
                        }
                    } else {
                        next.add(new Partial(append(parent.tokens, c.token), c.logProb));
                    }
                }
                live.set(i, done.size() >= beamSize ? List.of() : next);
            }
        }
        List<Hypothesis> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            List<Hypothesis> done = finished.get(i);
            for (Partial p : live.get(i)) {
                done.add(finish(p.tokens, p.logProb, false, alpha));
            }
            Hypothesis best = null;
            for (Hypothesis h : done) {
                if (best == null || h.score() > best.score()) {
                    best = h;
                }
            }
            out.add(best);
        }
        return out;
    }

    /** A live hypothesis: its tokens from the begin token on, and their summed log-probability. */
    private record Partial(long[] tokens, double logProb) {}

    /** Extending hypothesis {@code hyp} (its index in the live list) by {@code token}, to a total of {@code logProb}. */
    private record Candidate(int hyp, int token, double logProb) {}

    /** The {@code k} best extensions of {@code hyps}, whose rows start at {@code firstRow} in {@code lp}, best first. */
    private static Candidate[] topCandidates(List<Partial> hyps, float[] lp, int firstRow, int v, int k) {
        int total = hyps.size() * v;
        Candidate[] all = new Candidate[total];
        for (int h = 0; h < hyps.size(); h++) {
            double base = hyps.get(h).logProb;
            int row = (firstRow + h) * v;
            for (int t = 0; t < v; t++) {
                all[h * v + t] = new Candidate(h, t, base + lp[row + t]);
            }
        }
        // A stable sort keeps (hypothesis, token) order among equal scores: the same tie rule as argmax.
        Arrays.sort(all, (a, b) -> Double.compare(b.logProb, a.logProb));
        return Arrays.copyOf(all, Math.min(k, total));
    }

    private static Hypothesis finish(long[] prefix, double logProb, boolean ended, double alpha) {
        long[] tokens = Arrays.copyOfRange(prefix, 1, prefix.length);
        int length = tokens.length + (ended ? 1 : 0);
        double score = length == 0 ? logProb : logProb / Math.pow(length, alpha);
        return new Hypothesis(tokens, logProb, ended, score);
    }

    private static long[] append(long[] prefix, long token) {
        long[] out = Arrays.copyOf(prefix, prefix.length + 1);
        out[prefix.length] = token;
        return out;
    }

    /** The first index of the largest value in {@code a[from, from + n)}, relative to {@code from}. */
    private static int argmax(float[] a, int from, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (a[from + i] > a[from + best]) {
                best = i;
            }
        }
        return best;
    }

    private static void checkArgs(NextTokenScorer scorer, int maxSteps, int beamSize) {
        if (maxSteps < 1) {
            throw new IllegalArgumentException("SequenceSearch: maxSteps must be >= 1, got " + maxSteps);
        }
        if (beamSize < 1) {
            throw new IllegalArgumentException("SequenceSearch: beamSize must be >= 1, got " + beamSize);
        }
        if (scorer.vocabSize() < 1) {
            throw new IllegalArgumentException("SequenceSearch: the scorer's vocabulary is empty");
        }
    }
}
