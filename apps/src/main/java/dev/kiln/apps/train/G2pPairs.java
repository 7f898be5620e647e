package dev.kiln.apps.train;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.data.vocab.TokenVocabulary;
import dev.kiln.nn.loss.Losses;
import dev.kiln.nn.loss.Reduction;
import dev.kiln.nn.transformer.EncoderDecoder;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The word-pronunciation pairs of {@code kiln train seq2seq} as the model reads them: letter and
 * phone ids, padded batches with teacher-forced decoder inputs and targets, and the loss on them.
 */
final class G2pPairs {
    private G2pPairs() {}

    /** A training or validation pair: letter ids and phone ids (no begin/end tokens). */
    record Pair(long[] letters, long[] phones) {}

    /**
     * The letters and phones of the training words (after the special tokens; letters outside
     * them map to {@code <unk>}), and the longest spelling or pronunciation + end token of any side.
     */
    record Vocabularies(TokenVocabulary letters, TokenVocabulary phones, int maxLen) {
        static Vocabularies of(Cmudict.Split split, List<String> letterSpecials, List<String> phoneSpecials) {
            TreeSet<String> chars = new TreeSet<>();
            TreeSet<String> phoneSet = new TreeSet<>();
            int maxSrc = 1;
            int maxTgt = 1;
            for (Cmudict.Word w : split.train()) {
                w.spelling().codePoints().forEach(cp -> chars.add(Character.toString(cp)));
                w.pronunciations().forEach(phoneSet::addAll);
            }
            for (List<Cmudict.Word> side : List.of(split.train(), split.validation(), split.test())) {
                for (Cmudict.Word w : side) {
                    maxSrc = Math.max(maxSrc, w.spelling().length());
                    for (List<String> p : w.pronunciations()) {
                        maxTgt = Math.max(maxTgt, p.size() + 1);
                    }
                }
            }
            TokenVocabulary letters = new TokenVocabulary(letterSpecials, chars, "<unk>");
            TokenVocabulary phones = new TokenVocabulary(phoneSpecials, phoneSet, null);
            return new Vocabularies(letters, phones, Math.max(maxSrc, maxTgt));
        }
    }

    /** Every pronunciation of every word as one pair. */
    static List<Pair> pairs(List<Cmudict.Word> words, TokenVocabulary letters, TokenVocabulary phones) {
        List<Pair> out = new ArrayList<>();
        for (Cmudict.Word w : words) {
            long[] src = G2pEvaluation.encodeSpelling(letters, w.spelling());
            for (List<String> p : w.pronunciations()) {
                out.add(new Pair(src, phones.encode(p)));
            }
        }
        return out;
    }

    /** Source [B, S], decoder input [B, T] (begin token + phones) and targets [B, T] (phones + end token, padding ignored). */
    static Tensor[] batch(List<Pair> pairs, int[] indices) {
        long[][] src = new long[indices.length][];
        long[][] in = new long[indices.length][];
        long[][] out = new long[indices.length][];
        for (int i = 0; i < indices.length; i++) {
            Pair p = pairs.get(indices[i]);
            src[i] = p.letters();
            in[i] = new long[p.phones().length + 1];
            in[i][0] = G2pEvaluation.BOS;
            System.arraycopy(p.phones(), 0, in[i], 1, p.phones().length);
            out[i] = java.util.Arrays.copyOf(p.phones(), p.phones().length + 1);
            out[i][p.phones().length] = G2pEvaluation.EOS;
        }
        return new Tensor[] {Batches.padded(src, G2pEvaluation.PAD), Batches.padded(in, G2pEvaluation.PAD),
            Batches.padded(out, Losses.IGNORE_INDEX)};
    }

    /** Mean cross-entropy per target phone (end token included, padding ignored). */
    static Var loss(EncoderDecoder model, Tensor[] b, double labelSmoothing) {
        Var logits = model.forward(b[0], b[1]);
        return Losses.crossEntropy(logits.reshape(-1, model.config.tgtVocab()), b[2].reshape(-1), null, Losses.IGNORE_INDEX,
                Reduction.MEAN, labelSmoothing);
    }

    /** One training step's batch ({@link #batch}'s tensors), closed by the training loop after the step. */
    record Batch(Tensor[] tensors, int pairs) implements AutoCloseable {
        static Batch of(List<Pair> pairs, int[] indices) {
            return new Batch(batch(pairs, indices), indices.length);
        }

        @Override
        public void close() {
            for (Tensor t : tensors) {
                t.close();
            }
        }
    }

    /** Mean per-phone cross-entropy (no label smoothing) over all validation pairs. */
    static double validationLoss(EncoderDecoder model, List<Pair> val, List<int[]> batches) {
        model.eval();
        double sum = 0;
        long tokens = 0;
        try (NoGrad _ = NoGrad.enter()) {
            for (int[] idx : batches) {
                try (TensorScope _ = TensorScope.open()) {
                    Tensor[] b = batch(val, idx);
                    long n = 0;
                    for (int i : idx) {
                        n += val.get(i).phones().length + 1;
                    }
                    sum += loss(model, b, 0).value().item() * n;
                    tokens += n;
                }
            }
        } finally {
            model.train();
        }
        return sum / tokens;
    }

    /**
     * Training FLOPs of one pair with {@code srcLen} letters and {@code tgtLen} decoder positions:
     * 6 per weight per token it touches (encoder weights per letter; decoder self-attention, MLP
     * and head per phone; cross-attention's query and output per phone and its key/value
     * projections per letter), attention scores left out (short sequences).
     */
    static double trainFlopsPerPair(EncoderDecoder.Config c, double srcLen, double tgtLen) {
        double d = c.dModel();
        double ff = c.dFeedForward();
        double enc = c.encoderLayers() * (4 * d * d + 2 * d * ff);
        double decSelfMlp = c.decoderLayers() * (4 * d * d + 2 * d * ff + 2 * d * d);
        double decCrossKv = c.decoderLayers() * 2 * d * d;
        double head = d * c.tgtVocab();
        return 6 * (enc * srcLen + decCrossKv * srcLen + (decSelfMlp + head) * tgtLen);
    }
}
