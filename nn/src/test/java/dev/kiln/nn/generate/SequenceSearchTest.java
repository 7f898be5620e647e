package dev.kiln.nn.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Greedy and beam search over hand-built next-token tables, where the right answers are worked out by hand. */
class SequenceSearchTest {
    private static final int BOS = 1;
    private static final int EOS = 2;
    private static final int A = 3;
    private static final int B = 4;
    private static final int VOCAB = 5;

    /**
     * A scorer that ignores the source and looks the prefix (after the begin token) up in a table
     * of next-token probabilities; prefixes not in the table end at once (EOS with probability 1).
     */
    private static final class TableScorer implements NextTokenScorer {
        private final Map<String, double[]> table = new HashMap<>();
        private final int sources;
        int calls;

        TableScorer(int sources) {
            this.sources = sources;
        }

        TableScorer next(String prefix, double... probs) {
            table.put(prefix, probs);
            return this;
        }

        @Override
        public int vocabSize() {
            return VOCAB;
        }

        @Override
        public int sources() {
            return sources;
        }

        @Override
        public float[] nextLogProbs(int[] sourceOfRow, long[][] prefixes) {
            calls++;
            float[] out = new float[prefixes.length * VOCAB];
            for (int r = 0; r < prefixes.length; r++) {
                assertEquals(BOS, prefixes[r][0], "every prefix starts with the begin token");
                StringBuilder key = new StringBuilder();
                for (int i = 1; i < prefixes[r].length; i++) {
                    key.append(prefixes[r][i] == A ? 'A' : prefixes[r][i] == B ? 'B' : '?');
                }
                double[] p = table.getOrDefault(key.toString(), new double[] {0, 0, 1, 0, 0});
                for (int v = 0; v < VOCAB; v++) {
                    out[r * VOCAB + v] = (float) Math.log(Math.max(p[v], 1e-12));
                }
            }
            return out;
        }
    }

    //                                       PAD BOS EOS  A     B
    private static TableScorer greedyTrap(int sources) {
        return new TableScorer(sources)
                .next("", 0, 0, 0, 0.6, 0.4)         // A looks better first ...
                .next("A", 0, 0, 0.33, 0.34, 0.33)   // ... but nothing after it is likely (greedy: 0.6 * 0.34 = 0.204)
                .next("AA", 0, 0, 1, 0, 0)
                .next("B", 0, 0, 0.9, 0.05, 0.05);   // while B then EOS is 0.36 in all
    }

    @Test
    void beamFindsTheLikelierSequenceThatGreedyMisses() {
        SequenceSearch.Hypothesis greedy = SequenceSearch.greedy(greedyTrap(1), BOS, EOS, 10).getFirst();
        assertArrayEquals(new long[] {A, A}, greedy.tokens());
        assertEquals(Math.log(0.6) + Math.log(0.34) + Math.log(1.0), greedy.logProb(), 1e-6);
        assertTrue(greedy.finished());
        for (double alpha : new double[] {0, 1}) {
            SequenceSearch.Hypothesis beam = SequenceSearch.beam(greedyTrap(1), BOS, EOS, 10, 2, alpha).getFirst();
            assertArrayEquals(new long[] {B}, beam.tokens(), "alpha " + alpha + ": " + beam);
            assertEquals(Math.log(0.4) + Math.log(0.9), beam.logProb(), 1e-6);
            assertEquals(beam.logProb() / Math.pow(2, alpha), beam.score(), 1e-9, "length 2: B and the end token");
        }
        // beam 1 is greedy, on every source of a batch
        List<SequenceSearch.Hypothesis> one = SequenceSearch.beam(greedyTrap(3), BOS, EOS, 10, 1, 1.0);
        for (SequenceSearch.Hypothesis h : one) {
            assertArrayEquals(greedy.tokens(), h.tokens());
            assertEquals(greedy.logProb(), h.logProb());
        }
    }

    @Test
    void lengthNormalisationDecidesBetweenShortAndLong() {
        // the empty output has P = 0.4; "A B" has P = 0.6 * 0.6 * 0.6 = 0.216 but a better mean log-probability
        //                                           PAD BOS EOS  A    B
        TableScorer table = new TableScorer(1).next("", 0, 0, 0.4, 0.6, 0)
                .next("A", 0, 0, 0.1, 0.3, 0.6).next("AB", 0, 0, 0.6, 0.2, 0.2);
        SequenceSearch.Hypothesis raw = SequenceSearch.beam(table, BOS, EOS, 10, 2, 0.0).getFirst();
        assertArrayEquals(new long[] {}, raw.tokens(), raw.toString());
        SequenceSearch.Hypothesis mean = SequenceSearch.beam(table, BOS, EOS, 10, 2, 1.0).getFirst();
        assertArrayEquals(new long[] {A, B}, mean.tokens(), mean.toString());
        assertEquals(Math.log(0.216) / 3, mean.score(), 1e-6);
    }

    @Test
    void unfinishedHypothesesAtTheStepLimitAreReturnedAsTheyStand() {
        // A is always the likeliest: the output only stops at maxSteps
        TableScorer table = new TableScorer(2).next("", 0, 0, 0.1, 0.9, 0).next("A", 0, 0, 0.1, 0.9, 0)
                .next("AA", 0, 0, 0.1, 0.9, 0).next("AAA", 0, 0, 0.1, 0.9, 0);
        for (SequenceSearch.Hypothesis h : SequenceSearch.greedy(table, BOS, EOS, 3)) {
            assertArrayEquals(new long[] {A, A, A}, h.tokens());
            assertFalse(h.finished());
        }
        assertEquals(3, table.calls, "one scorer call per step for all sources together");
        SequenceSearch.Hypothesis beam1 = SequenceSearch.beam(table, BOS, EOS, 3, 1, 1.0).getFirst();
        assertArrayEquals(new long[] {A, A, A}, beam1.tokens());
        assertFalse(beam1.finished());
    }

    @Test
    void finishedSourcesLeaveTheBatch() {
        // source-independent table, so all sources finish together after "B"; greedy asks for 2 steps, not maxSteps
        TableScorer table = new TableScorer(4).next("", 0, 0, 0, 0.1, 0.9).next("B", 0, 0, 0.9, 0.05, 0.05);
        List<SequenceSearch.Hypothesis> out = SequenceSearch.greedy(table, BOS, EOS, 20);
        assertEquals(4, out.size());
        assertEquals(2, table.calls);
        out.forEach(h -> assertEquals("[4]", Arrays.toString(h.tokens())));
    }
}
