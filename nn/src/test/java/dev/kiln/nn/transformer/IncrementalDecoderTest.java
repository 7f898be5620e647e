package dev.kiln.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Cached step-by-step decoding gives the logits of a full {@link EncoderDecoder#decode} over each prefix. */
class IncrementalDecoderTest {
    private static final int PAD = 0;

    @Test
    void matchesFullDecodingWhileRowsAreDroppedDuplicatedAndReordered() {
        EncoderDecoder model = new EncoderDecoder(new EncoderDecoder.Config(9, 11, 12, 32, 4, 48, 2, 2, 0.1, PAD), new Generator(5));
        model.eval(); // dropout 0.1 must be off in both paths
        Random r = new Random(3);
        long[][] src = {{3, 4, 5, PAD, PAD}, {5, 6, 7, 8, 3}, {7, 3, PAD, PAD, PAD}};
        try (TensorScope _ = TensorScope.open(); NoGrad _ = NoGrad.enter()) {
            Tensor s = Tensor.fromArray(Arrays.stream(src).flatMapToLong(Arrays::stream).toArray(), 3, 5);
            Tensor pad = model.paddingMask(s);
            Var memory = model.encode(s);
            // rows: (source, prefix); start with one row per source, then change the row set each step
            List<Integer> rowSource = new ArrayList<>(List.of(0, 1, 2));
            List<long[]> prefixes = new ArrayList<>(List.of(new long[] {1}, new long[] {1}, new long[] {1}));
            int[] parents = {0, 1, 2};
            double worst = 0;
            try (IncrementalDecoder dec = new IncrementalDecoder(model, memory.value(), pad)) {
                for (int step = 0; step < 7; step++) {
                    long[] last = prefixes.stream().mapToLong(p -> p[p.length - 1]).toArray();
                    Tensor logits = dec.step(parents, last);
                    assertEquals(List.of(prefixes.size(), 11), List.of(logits.size(0), logits.size(1)));
                    float[] got = logits.toFloatArray();
                    for (int row = 0; row < prefixes.size(); row++) {
                        float[] want = fullDecodeLastLogits(model, memory, pad, rowSource.get(row), prefixes.get(row));
                        for (int v = 0; v < want.length; v++) {
                            worst = Math.max(worst, Math.abs(want[v] - got[row * 11 + v]));
                        }
                    }
                    // next rows: a random multiset of the current rows (some dropped, some twice), shuffled, each extended by a random token
                    int next = 1 + r.nextInt(5);
                    parents = new int[next];
                    List<Integer> nextSource = new ArrayList<>();
                    List<long[]> nextPrefixes = new ArrayList<>();
                    for (int i = 0; i < next; i++) {
                        parents[i] = r.nextInt(prefixes.size());
                        nextSource.add(rowSource.get(parents[i]));
                        long[] p = Arrays.copyOf(prefixes.get(parents[i]), prefixes.get(parents[i]).length + 1);
                        p[p.length - 1] = 3 + r.nextInt(8);
                        nextPrefixes.add(p);
                    }
                    rowSource = nextSource;
                    prefixes = nextPrefixes;
                }
                assertEquals(7, dec.length());
            }
            assertTrue(worst < 2e-5, "largest logit difference from full decoding: " + worst);
        }
    }

    private static float[] fullDecodeLastLogits(EncoderDecoder model, Var memory, Tensor pad, int source, long[] prefix) {
        try (TensorScope _ = TensorScope.open()) {
            try (Tensor idx = Tensor.fromArray(new long[] {source}, 1)) {
                Var mem = Var.constant(memory.value().indexSelect(0, idx));
                Var logits = model.decode(Tensor.fromArray(prefix, 1, prefix.length), mem, pad.indexSelect(0, idx));
                return logits.value().narrow(1, prefix.length - 1, 1).reshape(-1).toFloatArray();
            }
        }
    }

    @Test
    void rejectsBadRowsAndOverlongSequences() {
        EncoderDecoder model = new EncoderDecoder(new EncoderDecoder.Config(5, 5, 2, 8, 2, 16, 1, 1, 0.0, PAD), new Generator(1));
        model.eval();
        try (TensorScope _ = TensorScope.open(); NoGrad _ = NoGrad.enter()) {
            Tensor s = Tensor.fromArray(new long[] {3, 4}, 1, 2);
            try (IncrementalDecoder dec = new IncrementalDecoder(model, model.encode(s).value(), null)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dec.step(new int[] {1}, new long[] {1}));
                assertEquals("IncrementalDecoder.step: parent 1 of row 0 is not in [0, 1)", e.getMessage());
                dec.step(new int[] {0}, new long[] {1});
                dec.step(new int[] {0, 0}, new long[] {3, 4});
                IllegalStateException full = assertThrows(IllegalStateException.class, () -> dec.step(new int[] {0}, new long[] {3}));
                assertEquals("IncrementalDecoder.step: position 2 exceeds maxLen 2", full.getMessage());
            }
        }
    }
}
