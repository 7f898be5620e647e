package dev.kiln.serve.model;

import dev.kiln.data.vocab.TokenVocabulary;
import dev.kiln.nn.generate.EncoderDecoderScorer;
import dev.kiln.nn.generate.SequenceSearch;
import dev.kiln.nn.transformer.EncoderDecoder;
import dev.kiln.serve.ServeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A {@code kiln train seq2seq} grapheme-to-phoneme model served over BYTES: input {@code text} of
 * shape {@code [N]}, one word each; output {@code phonemes} of shape {@code [N]}, each word's
 * ARPAbet phones joined by spaces, decoded greedily with the decoder's key/value cache as the app's
 * greedy evaluation does.
 *
 * <p>Every source is padded to the model's {@code max_len}, not to the batch's longest word, so a
 * word's phones never depend on which other words share its batch.
 */
public final class PronunciationModel implements ServedModel {
    /** The app's special ids: padding, begin and end of the phone sequence. */
    static final long PAD = 0;
    static final long BOS = 1;
    static final long EOS = 2;
    private static final TensorSpec INPUT = new TensorSpec("text", "BYTES", new long[] {-1});

    private final EncoderDecoder model;
    private final TokenVocabulary letters;
    private final TokenVocabulary phones;

    /** Serves {@code model} (loaded, in eval mode) with the letter and phone vocabularies it was trained with. */
    public PronunciationModel(EncoderDecoder model, TokenVocabulary letters, TokenVocabulary phones) {
        if (letters.size() > model.config.srcVocab() || phones.size() > model.config.tgtVocab()) {
            throw new IllegalArgumentException("PronunciationModel: vocabularies of " + letters.size() + " letters and "
                    + phones.size() + " phones do not fit the model's " + model.config.srcVocab() + " and "
                    + model.config.tgtVocab());
        }
        this.model = model;
        this.letters = letters;
        this.phones = phones;
    }

    @Override
    public String app() {
        return "seq2seq";
    }

    @Override
    public List<TensorSpec> inputs() {
        return List.of(INPUT);
    }

    @Override
    public List<TensorSpec> outputs() {
        return List.of(new TensorSpec("phonemes", "BYTES", new long[] {-1}));
    }

    @Override
    public Map<String, Object> parameters() {
        return Map.of("max_word_length", model.config.maxLen(), "decoding", "greedy");
    }

    @Override
    public Examples prepare(List<InferTensor> inputs) {
        InferTensor t = InputChecks.single(inputs, INPUT);
        int n = InputChecks.batchSize(t, INPUT.shape());
        int maxLen = model.config.maxLen();
        long[] ids = new long[n * maxLen]; // zeros: PAD
        for (int r = 0; r < n; r++) {
            String word = t.strings().get(r).strip();
            List<String> chars = word.codePoints().mapToObj(Character::toString).toList();
            if (chars.isEmpty() || chars.size() > maxLen) {
                throw ServeException.badRequest(t.field() + ".data[" + r + "]: expected a word of 1 to " + maxLen
                        + " letters, got " + chars.size());
            }
            for (int i = 0; i < chars.size(); i++) {
                ids[r * maxLen + i] = letterId(chars.get(i));
            }
        }
        return new Examples(n, maxLen, null, ids);
    }

    /** The letter's id; a letter the run never saw in this case is tried in the other case before it becomes unknown. */
    private long letterId(String c) {
        if (letters.tokens().contains(c)) {
            return letters.id(c);
        }
        String lower = c.toLowerCase(java.util.Locale.ROOT);
        String upper = c.toUpperCase(java.util.Locale.ROOT);
        return letters.id(letters.tokens().contains(lower) ? lower : upper); // unknown letters map to <unk>
    }

    @Override
    public List<List<OutputTensor>> run(List<Examples> batch) {
        int maxLen = model.config.maxLen();
        List<long[]> sources = new ArrayList<>();
        for (Examples e : batch) {
            for (int r = 0; r < e.rows(); r++) {
                sources.add(Arrays.copyOfRange(e.i64(), r * maxLen, (r + 1) * maxLen));
            }
        }
        List<SequenceSearch.Hypothesis> hyps;
        try (EncoderDecoderScorer scorer = new EncoderDecoderScorer(model, sources.toArray(long[][]::new), true, PAD, BOS)) {
            hyps = SequenceSearch.greedy(scorer, BOS, EOS, maxLen - 1);
        }
        List<List<OutputTensor>> answers = new ArrayList<>(batch.size());
        int at = 0;
        for (Examples e : batch) {
            List<String> words = new ArrayList<>(e.rows());
            for (int r = 0; r < e.rows(); r++) {
                words.add(String.join(" ", phones.decode(hyps.get(at + r).tokens())));
            }
            answers.add(List.of(OutputTensor.bytes("phonemes", words, e.rows())));
            at += e.rows();
        }
        return answers;
    }
}
