package dev.kiln.serve.model;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.models.Forecaster;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.List;
import java.util.Map;

/**
 * A {@code kiln train rnn} next-hour forecaster served over FP32 windows: input {@code window} of
 * shape {@code [N, W]}, the last W hourly temperatures in the data's degrees, oldest first; output
 * {@code forecast} of shape {@code [N]}, the next hour in degrees. The server normalises with the
 * training series' mean and std and maps the prediction back, as the app did.
 */
public final class ForecasterModel implements ServedModel {
    private final Forecaster model;
    private final int window;
    private final double mean;
    private final double std;
    private final TensorSpec input;

    /** Serves {@code model} (loaded, in eval mode) for windows of {@code window} hours normalised as {@code (x - mean) / std}. */
    public ForecasterModel(Forecaster model, int window, double mean, double std) {
        if (window < 1) {
            throw new IllegalArgumentException("ForecasterModel: window must be >= 1, got " + window);
        }
        if (!(std > 0)) {
            throw new IllegalArgumentException("ForecasterModel: std must be > 0, got " + std);
        }
        this.model = model;
        this.window = window;
        this.mean = mean;
        this.std = std;
        this.input = new TensorSpec("window", "FP32", new long[] {-1, window});
    }

    @Override
    public String app() {
        return "rnn";
    }

    @Override
    public List<TensorSpec> inputs() {
        return List.of(input);
    }

    @Override
    public List<TensorSpec> outputs() {
        return List.of(new TensorSpec("forecast", "FP32", new long[] {-1}));
    }

    @Override
    public Map<String, Object> parameters() {
        return Map.of("window_hours", window, "input_mean", mean, "input_std", std);
    }

    @Override
    public Examples prepare(List<InferTensor> inputs) {
        InferTensor t = InputChecks.single(inputs, input);
        int n = InputChecks.batchSize(t, input.shape());
        double[] x = t.numbers();
        float[] rows = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i])) {
                throw dev.kiln.serve.ServeException.badRequest(t.field() + ".data[" + i + "]: expected a finite number, got " + x[i]);
            }
            rows[i] = (float) ((x[i] - mean) / std);
        }
        return new Examples(n, window, rows, null);
    }

    @Override
    public List<List<OutputTensor>> run(List<Examples> batch) {
        int n = batch.stream().mapToInt(Examples::rows).sum();
        float[] windows = new float[n * window];
        int at = 0;
        for (Examples e : batch) {
            System.arraycopy(e.f32(), 0, windows, at, e.f32().length);
            at += e.f32().length;
        }
        float[] next;
        try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
            next = model.forward(Var.constant(Tensor.fromArray(windows, n, window, 1))).value().toFloatArray(); // [n, 1]
        }
        List<List<OutputTensor>> answers = new java.util.ArrayList<>(batch.size());
        int row = 0;
        for (Examples e : batch) {
            float[] degrees = new float[e.rows()];
            for (int r = 0; r < degrees.length; r++) {
                degrees[r] = (float) (next[row + r] * std + mean);
            }
            answers.add(List.of(OutputTensor.fp32("forecast", degrees, e.rows())));
            row += e.rows();
        }
        return answers;
    }
}
