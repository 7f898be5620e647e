package dev.kiln.serve.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A served classifier: subclasses compute the class logits of a batch; this class answers each
 * request with {@code logits} and {@code probabilities} ({@code [rows, classes]}, FP32) and
 * {@code label} ({@code [rows]}, INT64, the argmax), as {@code kiln eval} derives them.
 */
public abstract class ClassifierModel implements ServedModel {
    /** Number of classes (the logits' second dimension). */
    public abstract int classes();

    /** The class names, by label. */
    public abstract List<String> classNames();

    /**
     * The logits of all rows of {@code batch}, in order, as {@code [sum of rows, classes]}
     * row-major; each row's logits must not depend on the other rows.
     */
    public abstract float[] logits(List<Examples> batch);

    @Override
    public final List<TensorSpec> outputs() {
        return List.of(new TensorSpec("logits", "FP32", new long[] {-1, classes()}),
                new TensorSpec("probabilities", "FP32", new long[] {-1, classes()}),
                new TensorSpec("label", "INT64", new long[] {-1}));
    }

    @Override
    public Map<String, Object> parameters() {
        return Map.of("classes", classNames());
    }

    @Override
    public final List<List<OutputTensor>> run(List<Examples> batch) {
        float[] all = logits(batch);
        int classes = classes();
        List<List<OutputTensor>> answers = new ArrayList<>(batch.size());
        int row = 0;
        for (Examples e : batch) {
            int rows = e.rows();
            float[] logits = Arrays.copyOfRange(all, row * classes, (row + rows) * classes);
            float[] probabilities = new float[logits.length];
            long[] labels = new long[rows];
            for (int r = 0; r < rows; r++) {
                Softmax.row(logits, r * classes, classes, probabilities);
                labels[r] = argmax(logits, r * classes, classes);
            }
            answers.add(List.of(OutputTensor.fp32("logits", logits, rows, classes),
                    OutputTensor.fp32("probabilities", probabilities, rows, classes),
                    OutputTensor.int64("label", labels, rows)));
            row += rows;
        }
        return answers;
    }

    private static long argmax(float[] z, int offset, int n) {
        int best = 0;
        for (int k = 1; k < n; k++) {
            if (z[offset + k] > z[offset + best]) {
                best = k;
            }
        }
        return best;
    }
}
