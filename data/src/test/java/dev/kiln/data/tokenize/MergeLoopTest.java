package dev.kiln.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MergeLoopTest {
    /**
     * GPT-2's original loop (encoder.py's bpe): find the adjacent pair of lowest rank, merge every
     * occurrence of it left to right in one pass, repeat.
     */
    static int[] gpt2Reference(int[] word, int[] left, int[] right, int[] result) {
        List<Integer> s = new ArrayList<>();
        for (int v : word) {
            s.add(v);
        }
        while (s.size() > 1) {
            int best = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < s.size(); i++) {
                for (int r = 0; r < left.length && r < best; r++) {
                    if (left[r] == s.get(i) && right[r] == s.get(i + 1)) {
                        best = r;
                    }
                }
            }
            if (best == Integer.MAX_VALUE) {
                break;
            }
            List<Integer> merged = new ArrayList<>();
            for (int i = 0; i < s.size(); i++) {
                if (i + 1 < s.size() && s.get(i) == left[best] && s.get(i + 1) == right[best]) {
                    merged.add(result[best]);
                    i++;
                } else {
                    merged.add(s.get(i));
                }
            }
            s = merged;
        }
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void bothLoopsMatchGpt2sLoopOnRandomTables() {
        SplittableRandom rng = new SplittableRandom(11);
        for (int table = 0; table < 40; table++) {
            int alphabet = 2 + rng.nextInt(4);
            int nMerges = 1 + rng.nextInt(60);
            int[] left = new int[nMerges];
            int[] right = new int[nMerges];
            int[] result = new int[nMerges];
            int next = alphabet;
            for (int r = 0; r < nMerges; r++) {
                // A merge joins tokens that exist by then, as training produces them.
                left[r] = rng.nextInt(next);
                right[r] = rng.nextInt(next);
                result[r] = next++;
            }
            PairRanks ranks = new PairRanks(left, right, result);
            for (int w = 0; w < 30; w++) {
                int n = rng.nextInt(w % 3 == 0 ? 300 : 20);
                int[] word = new int[n];
                for (int i = 0; i < n; i++) {
                    word[i] = rng.nextInt(alphabet);
                }
                int[] expected = gpt2Reference(word, left, right, result);
                int[] linear = word.clone();
                int[] heap = word.clone();
                String label = "table " + table + ", word " + Arrays.toString(word);
                assertArrayEquals(expected, Arrays.copyOf(linear, MergeLoop.mergeLinear(linear, n, ranks)), label);
                assertArrayEquals(expected, Arrays.copyOf(heap, MergeLoop.mergeWithHeap(heap, n, ranks)), label);
            }
        }
    }

    @Test
    void repeatedPairsMergeLeftToRight() {
        // "a a a": (a a) joins the first two; "a a a a" gives two merged tokens.
        PairRanks ranks = new PairRanks(new int[] {0}, new int[] {0}, new int[] {1});
        int[] three = {0, 0, 0};
        assertArrayEquals(new int[] {1, 0}, Arrays.copyOf(three, MergeLoop.mergeLinear(three, 3, ranks)));
        int[] four = {0, 0, 0, 0};
        assertArrayEquals(new int[] {1, 1}, Arrays.copyOf(four, MergeLoop.mergeWithHeap(four, 4, ranks)));
    }

    @Test
    void pairRanksLookUpEveryMergeAndNothingElse() {
        SplittableRandom rng = new SplittableRandom(5);
        int n = 5000;
        int[] left = new int[n];
        int[] right = new int[n];
        int[] result = new int[n];
        java.util.Map<Long, Integer> reference = new java.util.HashMap<>();
        for (int r = 0; r < n; r++) {
            left[r] = rng.nextInt(300);
            right[r] = rng.nextInt(300);
            result[r] = 300 + r;
            reference.putIfAbsent(PairRanks.pack(left[r], right[r]), r);
        }
        PairRanks ranks = new PairRanks(left, right, result);
        for (int a = 0; a < 300; a++) {
            for (int b = 0; b < 300; b++) {
                Integer expected = reference.get(PairRanks.pack(a, b));
                assertEquals(expected == null ? -1 : expected, ranks.rank(a, b), "pair " + a + " " + b);
            }
        }
        assertEquals(300 + 17, ranks.result(17));
    }

    @Test
    void longHeapMatchesSortedOrder() {
        SplittableRandom rng = new SplittableRandom(2);
        MergeLoop.LongHeap heap = new MergeLoop.LongHeap(1);
        long[] values = new long[1000];
        for (int i = 0; i < values.length; i++) {
            values[i] = rng.nextLong(-1000, 1000);
            heap.push(values[i]);
        }
        Arrays.sort(values);
        for (long v : values) {
            assertEquals(v, heap.pop());
        }
        assertEquals(true, heap.isEmpty());
    }
}
