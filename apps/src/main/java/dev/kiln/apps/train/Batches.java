package dev.kiln.apps.train;

import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Padding and length-bucketed batching of variable-length token sequences (for {@code kiln train seq2seq}). */
final class Batches {
    private Batches() {}

    /** I64 [N, longest] with each row left-aligned and the rest filled with {@code pad}. */
    static Tensor padded(long[][] rows, long pad) {
        int width = 1;
        for (long[] r : rows) {
            width = Math.max(width, r.length);
        }
        long[] flat = new long[rows.length * width];
        Arrays.fill(flat, pad);
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * width, rows[i].length);
        }
        return Tensor.fromArray(flat, rows.length, width);
    }

    /**
     * One epoch of batches of {@code batchSize} indices into {@code lengths}: shuffled, then sorted
     * by length within pools of {@code poolBatches} batches, cut into batches, and the batches
     * shuffled. Batches then hold similar lengths (little padding) while the order stays random;
     * the last batch of a pool may be smaller.
     */
    static List<int[]> bucketed(int[] lengths, int batchSize, int poolBatches, Random random) {
        if (batchSize < 1 || poolBatches < 1) {
            throw new IllegalArgumentException("Batches.bucketed: batchSize and poolBatches must be >= 1, got " + batchSize + " and "
                    + poolBatches);
        }
        int n = lengths.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        List<Integer> shuffled = new ArrayList<>(Arrays.asList(order));
        java.util.Collections.shuffle(shuffled, random);
        List<int[]> batches = new ArrayList<>();
        int pool = batchSize * poolBatches;
        for (int from = 0; from < n; from += pool) {
            List<Integer> chunk = new ArrayList<>(shuffled.subList(from, Math.min(n, from + pool)));
            chunk.sort((a, b) -> Integer.compare(lengths[a], lengths[b])); // stable: ties keep the shuffled order
            for (int b = 0; b < chunk.size(); b += batchSize) {
                batches.add(chunk.subList(b, Math.min(chunk.size(), b + batchSize)).stream().mapToInt(Integer::intValue).toArray());
            }
        }
        java.util.Collections.shuffle(batches, random);
        return batches;
    }
}
