package dev.kiln.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.loss.Losses;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import org.junit.jupiter.api.Test;

/** The sequence-to-sequence model learns a toy task (reverse a sequence) and decodes it greedily. */
class EncoderDecoderTest {
    private static final int PAD = 0, BOS = 1, EOS = 2;

    @Test
    void learnsToReverseShortSequences() {
        EncoderDecoder m = new EncoderDecoder(new EncoderDecoder.Config(8, 8, 8, 32, 4, 64, 1, 1, 0.0, PAD), new Generator(3));
        long[][] sources = {{3, 4, 5}, {5, 6, 7}, {7, 3, 4}, {4, 6, 3}, {6, 5, 7}, {3, 7, 6}};
        int n = sources.length;
        long[] src = new long[n * 4];
        long[] tgtIn = new long[n * 4];
        long[] tgtOut = new long[n * 4];
        for (int i = 0; i < n; i++) {
            long[] s = sources[i];
            src[i * 4] = s[0];
            src[i * 4 + 1] = s[1];
            src[i * 4 + 2] = s[2];
            src[i * 4 + 3] = PAD; // a padded source position, masked as a key
            long[] rev = {s[2], s[1], s[0]};
            tgtIn[i * 4] = BOS;
            System.arraycopy(rev, 0, tgtIn, i * 4 + 1, 3);
            System.arraycopy(rev, 0, tgtOut, i * 4, 3);
            tgtOut[i * 4 + 3] = EOS;
        }
        Tensor srcT = Tensor.fromArray(src, n, 4);
        Tensor tgtInT = Tensor.fromArray(tgtIn, n, 4);
        Tensor tgtOutT = Tensor.fromArray(tgtOut, n * 4);
        double first = 0, last = 0;
        for (int step = 0; step < 150; step++) {
            try (TensorScope _ = TensorScope.open()) {
                Var loss = Losses.crossEntropy(m.forward(srcT, tgtInT).reshape(n * 4, 8), tgtOutT);
                loss.backward();
                for (Var p : m.parameters()) {
                    p.value().addInPlace(p.grad(), -0.1);
                }
                m.zeroGrad();
                if (step == 0) {
                    first = loss.value().item();
                }
                last = loss.value().item();
            }
        }
        assertTrue(last < 0.1 * first, "loss " + first + " -> " + last);
        long[] decoded = m.translateGreedy(new long[] {5, 6, 7, PAD}, BOS, EOS, 6);
        assertArrayEquals(new long[] {BOS, 7, 6, 5, EOS}, decoded);
    }

    @Test
    void paddingInTheSourceDoesNotChangeTheOutput() {
        EncoderDecoder m = new EncoderDecoder(new EncoderDecoder.Config(9, 9, 8, 16, 2, 32, 2, 2, 0.0, PAD), new Generator(4));
        try (NoGrad _ = NoGrad.enter()) {
            Tensor tgt = Tensor.fromArray(new long[] {BOS, 5}, 1, 2);
            float[] short3 = m.forward(Tensor.fromArray(new long[] {3, 4, 8}, 1, 3), tgt).value().toFloatArray();
            float[] padded = m.forward(Tensor.fromArray(new long[] {3, 4, 8, PAD, PAD}, 1, 5), tgt).value().toFloatArray();
            assertArrayEquals(short3, padded, 1e-5f, "masked padding keys must not affect attention");
        }
        assertEquals(2, m.encoder.size());
    }
}
