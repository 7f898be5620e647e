package dev.kiln.apps.train;

import dev.kiln.data.vocab.TokenVocabulary;
import dev.kiln.eval.text.Bleu;
import dev.kiln.eval.text.BleuScore;
import dev.kiln.eval.text.ErrorRate;
import dev.kiln.nn.generate.EncoderDecoderScorer;
import dev.kiln.nn.generate.SequenceSearch;
import dev.kiln.nn.transformer.EncoderDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Decodes held-out words with a trained grapheme-to-phoneme {@link EncoderDecoder} and scores the
 * results. A word may have several pronunciations: its hypothesis is scored against the closest
 * ({@link ErrorRate#addClosest}: fewest edits, the dictionary's first on ties), and BLEU takes all
 * of them as references. Metrics: phoneme error rate (edits / reference phones), word error rate
 * (words whose hypothesis matches none of their pronunciations), and corpus BLEU over the phone
 * strings with whitespace tokenization (sacreBLEU {@code tokenize="none"}).
 */
final class G2pEvaluation {
    private G2pEvaluation() {}

    /** One decoded word: its phones and how they scored. */
    record Prediction(Cmudict.Word word, List<String> phones, ErrorRate.Result score) {}

    /** The scores of one decoding method over the held-out words. */
    record Result(String method, ErrorRate errors, BleuScore bleu, double seconds, long decoderTokens, long generatedTokens,
                  List<Prediction> predictions) {
        double phonemeErrorRate() {
            return errors.tokenErrorRate();
        }

        double wordErrorRate() {
            return errors.sequenceErrorRate();
        }
    }

    /**
     * How the words are decoded: greedy when {@code beam} is 0, else beam search of that width;
     * with the decoder's key/value caches ({@code cached}) or recomputing every prefix.
     */
    record Settings(int beam, double lengthAlpha, int batchWords, int maxSteps, boolean cached) {}

    static final long PAD = 0;
    static final long BOS = 1;
    static final long EOS = 2;

    /** Greedy decoding of the same words with and without the decoder cache. */
    record DecodingCost(int words, double cachedSeconds, double recomputeSeconds, long cachedPositions, long recomputePositions,
                        int differingWords) {
        static DecodingCost compare(Result cached, Result recomputed) {
            int differ = 0;
            for (int i = 0; i < cached.predictions().size(); i++) {
                differ += cached.predictions().get(i).phones().equals(recomputed.predictions().get(i).phones()) ? 0 : 1;
            }
            return new DecodingCost(cached.predictions().size(), cached.seconds(), recomputed.seconds(), cached.decoderTokens(),
                    recomputed.decoderTokens(), differ);
        }
    }

    /** The held-out words decoded greedily and with beam search, and what the decoder cache saves. */
    record HeldOut(Result greedy, Result beam, DecodingCost cost) {}

    /**
     * Decodes {@code words} greedily and with {@code s.beam()}; then greedily again, with and
     * without the decoder cache, on the first {@code costWords} of them, to measure what the cache
     * saves. The model must be in eval mode; {@code s.cached()} is ignored.
     */
    static HeldOut heldOut(EncoderDecoder model, TokenVocabulary letters, TokenVocabulary phones, List<Cmudict.Word> words,
            Settings s, int costWords) {
        Settings greedy = new Settings(0, s.lengthAlpha(), s.batchWords(), s.maxSteps(), true);
        Result g = decode(model, letters, phones, words, greedy);
        Result b = decode(model, letters, phones, words, new Settings(s.beam(), s.lengthAlpha(), s.batchWords(), s.maxSteps(), true));
        List<Cmudict.Word> costSubset = words.subList(0, Math.min(costWords, words.size()));
        Result cached = decode(model, letters, phones, costSubset, greedy);
        Result recomputed = decode(model, letters, phones, costSubset,
                new Settings(0, s.lengthAlpha(), s.batchWords(), s.maxSteps(), false));
        return new HeldOut(g, b, DecodingCost.compare(cached, recomputed));
    }

    /** Decodes {@code words} in batches of similar spelling length (the model must be in eval mode). */
    static Result decode(EncoderDecoder model, TokenVocabulary letters, TokenVocabulary phones, List<Cmudict.Word> words,
            Settings s) {
        long t0 = System.nanoTime();
        SequenceSearch.Hypothesis[] hyps = new SequenceSearch.Hypothesis[words.size()];
        long decoderTokens = 0;
        for (int[] chunk : lengthChunks(words, s.batchWords())) {
            long[][] sources = new long[chunk.length][];
            for (int i = 0; i < chunk.length; i++) {
                sources[i] = encodeSpelling(letters, words.get(chunk[i]).spelling());
            }
            try (EncoderDecoderScorer scorer = new EncoderDecoderScorer(model, sources, s.cached(), PAD, BOS)) {
                List<SequenceSearch.Hypothesis> out = s.beam() == 0
                        ? SequenceSearch.greedy(scorer, BOS, EOS, s.maxSteps())
                        : SequenceSearch.beam(scorer, BOS, EOS, s.maxSteps(), s.beam(), s.lengthAlpha());
                for (int i = 0; i < chunk.length; i++) {
                    hyps[chunk[i]] = out.get(i);
                }
                decoderTokens += scorer.decoderTokens();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;

        ErrorRate errors = new ErrorRate();
        List<Prediction> predictions = new ArrayList<>(words.size());
        List<String> hypStrings = new ArrayList<>(words.size());
        List<List<String>> refStrings = new ArrayList<>(words.size());
        long generated = 0;
        for (int i = 0; i < words.size(); i++) {
            Cmudict.Word w = words.get(i);
            List<String> p = phones.decode(hyps[i].tokens());
            generated += hyps[i].tokens().length + (hyps[i].finished() ? 1 : 0);
            predictions.add(new Prediction(w, p, errors.addClosest(p, w.pronunciations())));
            hypStrings.add(String.join(" ", p));
            refStrings.add(w.pronunciations().stream().map(ref -> String.join(" ", ref)).toList());
        }
        BleuScore bleu = new Bleu().withTokenize(Bleu.Tokenize.NONE).corpusScoreBySegment(hypStrings, refStrings);
        String method = s.beam() == 0 ? "greedy" : "beam " + s.beam();
        return new Result(method, errors, bleu, seconds, decoderTokens, generated, predictions);
    }

    static long[] encodeSpelling(TokenVocabulary letters, String spelling) {
        List<String> chars = spelling.codePoints().mapToObj(Character::toString).toList();
        return letters.encode(chars);
    }

    /** Word indices sorted by spelling length, cut into chunks of {@code size}. */
    static List<int[]> lengthChunks(List<Cmudict.Word> words, int size) {
        Integer[] order = new Integer[words.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> words.get(i).spelling().length()));
        List<int[]> chunks = new ArrayList<>();
        for (int from = 0; from < order.length; from += size) {
            chunks.add(Arrays.stream(order, from, Math.min(order.length, from + size)).mapToInt(Integer::intValue).toArray());
        }
        return chunks;
    }
}
