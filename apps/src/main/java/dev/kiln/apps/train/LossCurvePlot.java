package dev.kiln.apps.train;

import dev.kiln.apps.plot.LineChart;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Training and validation loss against steps in one PNG chart ({@link LineChart}, off-screen): the training
 * loss per step with its moving average, and the validation loss at each evaluation as points on
 * a line. For runs counted in steps rather than epochs ({@code kiln train gpt}); {@link TrainingPlot}
 * draws the epoch-based ones.
 */
public final class LossCurvePlot {
    private static final int WIDTH = 800;
    private static final int HEIGHT = 500;

    private final String title;
    private final int smoothing;
    private final List<Double> trainX = new ArrayList<>();
    private final List<Double> train = new ArrayList<>();
    private final List<Double> valX = new ArrayList<>();
    private final List<Double> val = new ArrayList<>();

    /** @param smoothing steps in the training-loss moving average, {@code >= 1} */
    public LossCurvePlot(String title, int smoothing) {
        if (smoothing < 1) {
            throw new IllegalArgumentException("LossCurvePlot: smoothing must be >= 1, got " + smoothing);
        }
        this.title = title;
        this.smoothing = smoothing;
    }

    public void addTrain(long step, double loss) {
        if (Double.isFinite(loss)) {
            trainX.add((double) step);
            train.add(loss);
        }
    }

    public void addValidation(long step, double loss) {
        if (Double.isFinite(loss)) {
            valX.add((double) step);
            val.add(loss);
        }
    }

    /** Writes the PNG to {@code file} (the name must end in .png). */
    public void save(Path file) throws IOException {
        if (!file.toString().endsWith(".png")) {
            throw new IllegalArgumentException("LossCurvePlot.save: file must end in .png, got " + file);
        }
        BufferedImage img = LineChart.canvas(WIDTH, HEIGHT);
        chart().render(img);
        LineChart.savePng(img, file);
    }

    /** The chart {@link #save} draws: whole-step ticks on x, from step 0 to the last. */
    LineChart chart() {
        double last = Math.max(trainX.isEmpty() ? 0 : trainX.getLast(), valX.isEmpty() ? 0 : valX.getLast());
        LineChart c = new LineChart(title, "step", "loss (nats per token)").integerX().xRange(0, Math.max(1, last));
        if (!train.isEmpty()) {
            c.add(new LineChart.Series("training loss per step", TrainingPlot.array(trainX), TrainingPlot.array(train),
                    new Color(160, 190, 230), true, false));
            c.add(new LineChart.Series("moving average (" + TrainingPlot.steps(smoothing) + ")", TrainingPlot.array(trainX),
                    TrainingPlot.array(TrainingPlot.movingAverage(train, smoothing)), new Color(20, 70, 160), true, false));
        }
        if (!val.isEmpty()) {
            c.add(new LineChart.Series("validation loss", TrainingPlot.array(valX), TrainingPlot.array(val),
                    new Color(200, 80, 20), true, true));
        }
        return c;
    }
}
