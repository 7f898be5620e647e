package dev.kiln.apps.quant;

import dev.kiln.apps.train.FashionMnist;
import dev.kiln.apps.train.TrainedModels;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.data.Batch;
import dev.kiln.data.DataLoader;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.quant.ActivationRanges;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The calibration pass of {@code kiln quantize --activations static}: N batches of the run's own
 * training data, read with the readers the training apps use, go through the F32 model under
 * {@link ActivationRanges}; the result is each layer's static input scale (max |input| / 127).
 *
 * <p>cnn: the first N·B training images (the files' own order, which is already shuffled), normalised
 * with the run's input mean and std. gpt: N·B windows of the model's context spread evenly over
 * the training documents' tokens. B is the run's --batch-size. Deterministic: the same run and N
 * give the same scales.
 */
final class Calibration {
    /** What the pass saw, for the report line. */
    record Result(Map<String, Float> inputScales, int batches, int examples, String unit) {}

    private Calibration() {}

    static Result cnn(Sequential model, Path fashionMnistDir, Map<String, String> metadata, int batches, int batchSize)
            throws IOException {
        double mean = metaDouble(metadata, "input_mean");
        double std = metaDouble(metadata, "input_std");
        FashionMnist data = TrainedModels.fashionMnist(fashionMnistDir, 0, 1, mean, std);
        int n = Math.min(data.train().size(), batches * batchSize);
        int[] first = IntStream.range(0, n).toArray();
        model.eval();
        try (ActivationRanges ranges = ActivationRanges.observe(model); NoGrad _ = NoGrad.enter();
             DataLoader<Tensor[]> loader = DataLoader.builder(TrainedModels.select(data.train(), first), data.collate())
                     .batchSize(batchSize).build()) {
            int seen = 0;
            for (Batch b : loader) {
                try (b; TensorScope _ = TensorScope.open()) {
                    model.forward(Var.constant(b.get(0)));
                    seen++;
                }
            }
            return new Result(ranges.inputScales(), seen, n, "training images");
        }
    }

    static Result gpt(Gpt model, Path runDir, Path brownDir, Map<String, String> metadata, Map<String, Object> config,
                      int batches, int batchSize) throws IOException {
        if (config.get("shards") != null) {
            throw new IOException("static calibration reads the run's Brown training documents; this run trained on"
                    + " token shards (" + config.get("shards") + "), use --activations dynamic");
        }
        int limitDocs = config.get("limit-docs") instanceof Number l ? l.intValue() : 0;
        long[] ids = TrainedModels.gptTokens(runDir, metadata).encode(TrainedModels.brownTrainingText(brownDir, limitDocs));
        int context = model.config.maxSeqLen();
        if (ids.length < context) {
            throw new IOException("the training text has " + ids.length + " tokens, fewer than one window of " + context);
        }
        int windows = batches * batchSize;
        long span = ids.length - context;
        model.eval();
        try (ActivationRanges ranges = ActivationRanges.observe(model); NoGrad _ = NoGrad.enter()) {
            for (int b = 0; b < batches; b++) {
                long[] x = new long[batchSize * context];
                for (int r = 0; r < batchSize; r++) {
                    int start = (int) (span * (b * batchSize + r) / Math.max(1, windows - 1));
                    System.arraycopy(ids, start, x, r * context, context);
                }
                try (TensorScope _ = TensorScope.open()) {
                    model.forward(Tensor.fromArray(x, batchSize, context));
                }
            }
            return new Result(ranges.inputScales(), batches, windows, "windows of " + context + " tokens");
        }
    }

    /** The run's --batch-size from config.json, or {@code fallback}. */
    static int batchSize(Map<String, Object> config, int fallback) {
        return config.get("batch-size") instanceof Number n && n.intValue() > 0 ? n.intValue() : fallback;
    }

    private static double metaDouble(Map<String, String> metadata, String key) throws IOException {
        try {
            return Double.parseDouble(metadata.get(key));
        } catch (NullPointerException | NumberFormatException e) {
            throw new IOException("checkpoint metadata \"" + key + "\" must be a number, got " + metadata.get(key), e);
        }
    }
}
