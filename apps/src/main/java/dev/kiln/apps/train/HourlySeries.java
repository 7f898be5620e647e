package dev.kiln.apps.train;

import dev.kiln.data.Dataset;
import dev.kiln.data.stream.CsvTable;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * An hourly series for next-hour forecasting, as {@code kiln data fetch seattle-temps} leaves it in
 * {@code <root>/seattle-temps/seattle-temps.csv} (columns {@code date,temp}, one row per hour, in
 * time order). Also reads any CSV with a {@code temp} column (the tests write synthetic ones).
 *
 * <p>The split is chronological, by the hour being predicted: the first 70% of the hours are the
 * training targets, the next 15% validation, the last 15% test. A window of the {@code window}
 * hours before a target is its input, so the first validation and test windows look back into the
 * previous split (past observations only, never a later target). The series is normalised with
 * the mean and standard deviation of the training hours alone, so nothing of the validation or
 * test periods leaks into training.
 *
 * @param values the raw series (degrees)
 * @param mean mean of the training hours
 * @param std standard deviation of the training hours (population)
 * @param window input hours per example
 * @param trainEnd first validation target hour
 * @param validationEnd first test target hour
 */
public record HourlySeries(double[] values, double mean, double std, int window, int trainEnd, int validationEnd) {
    static final String FILE = "seattle-temps.csv";
    static final String COLUMN = "temp";

    /** The data file is missing; the message says which. */
    public static final class MissingException extends IOException {
        private static final long serialVersionUID = 1L;

        MissingException(String message) {
            super(message);
        }
    }

    /** The series is too short for the window and the split. */
    public static final class TooShortException extends IOException {
        private static final long serialVersionUID = 1L;

        TooShortException(String message) {
            super(message);
        }
    }

    /**
     * Reads {@code dir/seattle-temps.csv} and splits it for windows of {@code window} hours.
     *
     * @throws MissingException if the file is missing
     * @throws TooShortException if the series is too short for {@code window} and the split
     * @throws IOException if the file cannot be read or is malformed
     */
    public static HourlySeries read(Path dir, int window) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new MissingException(file + " does not exist");
        }
        CsvTable table = CsvTable.read(file, true);
        if (!table.columns().contains(COLUMN)) {
            throw new IOException(file + ": expected a column \"" + COLUMN + "\", found " + table.columns());
        }
        return split(table.doubleColumn(COLUMN), window, file.toString());
    }

    /** Splits {@code values} 70/15/15 by target hour and computes the training statistics. */
    static HourlySeries split(double[] values, int window, String source) throws IOException {
        int n = values.length;
        int trainEnd = (int) Math.round(0.70 * n);
        int validationEnd = (int) Math.round(0.85 * n);
        if (trainEnd - window < 1 || validationEnd - trainEnd < 1 || n - validationEnd < 1) {
            throw new TooShortException(source + ": " + n + " hours are too few for a " + window
                    + "-hour window and a 70/15/15 split");
        }
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IOException(source + ": value " + values[i] + " at data row " + i + " is not a finite number");
            }
        }
        double mean = Arrays.stream(values, 0, trainEnd).average().orElseThrow();
        double var = Arrays.stream(values, 0, trainEnd).map(v -> (v - mean) * (v - mean)).sum() / trainEnd;
        double std = Math.sqrt(var);
        if (!(std > 0)) {
            throw new IOException(source + ": the training hours are constant (" + mean + "), nothing to learn");
        }
        return new HourlySeries(values, mean, std, window, trainEnd, validationEnd);
    }

    /** Training examples: targets {@code [window, trainEnd)}, only the first {@code limit} when {@code limit > 0}. */
    public Dataset<Tensor[]> train(int limit) {
        int count = trainEnd - window;
        return windows(window, window + (limit > 0 ? Math.min(limit, count) : count));
    }

    /** Validation examples: targets {@code [trainEnd, validationEnd)}. */
    public Dataset<Tensor[]> validation() {
        return windows(trainEnd, validationEnd);
    }

    /** Test examples: targets {@code [validationEnd, values.length)}. */
    public Dataset<Tensor[]> test() {
        return windows(validationEnd, values.length);
    }

    /** The hour {@code t} normalised with the training statistics. */
    public double normalized(int t) {
        return (values[t] - mean) / std;
    }

    /**
     * Examples for target hours {@code [from, to)}: the normalised window {@code [window, 1]} (hours
     * {@code t - window .. t - 1}) and the normalised target {@code [1]} (hour {@code t}).
     */
    Dataset<Tensor[]> windows(int from, int to) {
        float[] norm = new float[values.length];
        for (int i = 0; i < norm.length; i++) {
            norm[i] = (float) normalized(i);
        }
        int w = window;
        return new Dataset<>() {
            @Override
            public int size() {
                return to - from;
            }

            @Override
            public Tensor[] get(int index) {
                java.util.Objects.checkIndex(index, to - from);
                int t = from + index;
                return new Tensor[] {Tensor.fromArray(Arrays.copyOfRange(norm, t - w, t), w, 1),
                    Tensor.fromArray(new float[] {norm[t]}, 1)};
            }
        };
    }

    /** MAE and RMSE (degrees) of the persistence forecast (the last observed hour) over targets {@code [from, to)}. */
    public Errors persistence(int from, int to) {
        double abs = 0;
        double sq = 0;
        for (int t = from; t < to; t++) {
            double e = values[t - 1] - values[t];
            abs += Math.abs(e);
            sq += e * e;
        }
        return new Errors(abs / (to - from), Math.sqrt(sq / (to - from)));
    }

    /** Mean absolute and root-mean-square error, in the data's degrees. */
    public record Errors(double mae, double rmse) {}
}
