package dev.kiln.serve.model;

import dev.kiln.autograd.NoGrad;
import dev.kiln.data.vocab.WordVocabulary;
import dev.kiln.nn.models.TransformerClassifier;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.List;

/**
 * A {@code kiln train classify} model served over raw text: input {@code text}, BYTES of shape
 * {@code [N]}, each element one message, tokenized by the run's own word vocabulary and cut to
 * its first {@code max_len} tokens, as the app did. Classes: ham (0), spam (1).
 *
 * <p>Every row is padded to the model's {@code max_len}, not to the batch's longest: the result
 * of a message then never depends on which other messages share its batch (a longer padded
 * length changes the order of the float sums in attention and pooling).
 */
public final class TextClassifierModel extends ClassifierModel {
    private static final TensorSpec INPUT = new TensorSpec("text", "BYTES", new long[] {-1});

    private final TransformerClassifier model;
    private final WordVocabulary vocab;

    /** Serves {@code model} (already loaded and in eval mode) with the vocabulary it was trained with. */
    public TextClassifierModel(TransformerClassifier model, WordVocabulary vocab) {
        if (vocab.size() > model.config.vocabSize()) {
            throw new IllegalArgumentException("TextClassifierModel: vocab has " + vocab.size() + " ids, the model embeds "
                    + model.config.vocabSize());
        }
        this.model = model;
        this.vocab = vocab;
    }

    @Override
    public String app() {
        return "classify";
    }

    @Override
    public List<TensorSpec> inputs() {
        return List.of(INPUT);
    }

    @Override
    public int classes() {
        return model.config.classes();
    }

    @Override
    public List<String> classNames() {
        return classes() == 2 ? List.of("ham", "spam") : java.util.stream.IntStream.range(0, classes()).mapToObj(Integer::toString).toList();
    }

    @Override
    public Examples prepare(List<InferTensor> inputs) {
        InferTensor t = InputChecks.single(inputs, INPUT);
        int n = InputChecks.batchSize(t, INPUT.shape());
        int maxLen = model.config.maxLen();
        long[] ids = new long[n * maxLen]; // zeros: PAD
        for (int r = 0; r < n; r++) {
            long[] row = vocab.encode(WordVocabulary.tokenize(t.strings().get(r)), maxLen);
            System.arraycopy(row, 0, ids, r * maxLen, row.length);
        }
        return new Examples(n, maxLen, null, ids);
    }

    @Override
    public float[] logits(List<Examples> batch) {
        int n = batch.stream().mapToInt(Examples::rows).sum();
        int maxLen = model.config.maxLen();
        long[] ids = new long[n * maxLen];
        int at = 0;
        for (Examples e : batch) {
            System.arraycopy(e.i64(), 0, ids, at, e.i64().length);
            at += e.i64().length;
        }
        try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
            return model.forward(Tensor.fromArray(ids, n, maxLen)).value().toFloatArray();
        }
    }
}
