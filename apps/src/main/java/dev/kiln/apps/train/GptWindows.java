package dev.kiln.apps.train;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.loss.Losses;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The arithmetic of {@code kiln train gpt} on token windows: batches of windows, the next-token
 * loss, validation over fixed windows, the FLOP count for MFU.
 */
final class GptWindows {
    private GptWindows() {}

    /** Inputs [B, T] and next-character targets [B, T] from windows of {@code tokens} starting at {@code starts}. */
    static Tensor[] batch(long[] tokens, long[] starts, int t) {
        long[] x = new long[starts.length * t];
        long[] y = new long[starts.length * t];
        for (int b = 0; b < starts.length; b++) {
            System.arraycopy(tokens, (int) starts[b], x, b * t, t);
            System.arraycopy(tokens, (int) starts[b] + 1, y, b * t, t);
        }
        return new Tensor[] {Tensor.fromArray(x, starts.length, t), Tensor.fromArray(y, starts.length, t)};
    }

    /** Mean next-character cross-entropy of {@code model} over [B, T] inputs and targets. */
    static Var loss(Gpt model, Tensor x, Tensor y) {
        Var logits = model.forward(x);
        int v = model.config.vocabSize();
        return Losses.crossEntropy(logits.reshape(-1, v), y.reshape(-1));
    }

    /** Training FLOPs per token (Kaplan et al.): 6 per non-embedding weight (the tied head counts) + 6·L·T·d for attention. */
    static double trainFlopsPerToken(Gpt model, int context) {
        long n = model.parameterCount() - model.wpe.weight.value().numel();
        return 6.0 * n + 6.0 * model.config.nLayers() * context * model.config.dModel();
    }

    /** Mean validation loss per character and its perplexity. */
    record Evaluation(double loss) {
        double perplexity() {
            return Math.exp(loss);
        }

        Map<String, Object> asMetrics() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("val_loss", loss);
            m.put("val_perplexity", perplexity());
            return m;
        }
    }

    /** The mean loss over the windows at {@code evalStarts} of {@code val}, in batches of {@code batchSize}. */
    static Evaluation evaluate(Gpt model, long[] val, long[] evalStarts, int batchSize, int context) {
        model.eval();
        double sum = 0;
        try (NoGrad _ = NoGrad.enter()) {
            for (int from = 0; from < evalStarts.length; from += batchSize) {
                long[] starts = java.util.Arrays.copyOfRange(evalStarts, from, Math.min(evalStarts.length, from + batchSize));
                try (TensorScope _ = TensorScope.open()) {
                    Tensor[] b = batch(val, starts, context);
                    sum += loss(model, b[0], b[1]).value().item() * starts.length;
                }
            }
        } finally {
            model.train();
        }
        return new Evaluation(sum / evalStarts.length);
    }
}
