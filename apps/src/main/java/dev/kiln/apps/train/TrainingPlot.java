package dev.kiln.apps.train;

import dev.kiln.apps.plot.LineChart;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The curves of a run as one PNG (a {@link LineChart} pair, drawn off-screen): training loss per step and its moving
 * average on the left, evaluation accuracy per epoch on the right, both against epochs (fractional
 * for steps). Collect points as training goes, {@link #save} at the end (or after each epoch).
 */
public final class TrainingPlot {
    private static final int WIDTH = 600;
    private static final int HEIGHT = 420;

    private final String title;
    private final String accuracyLabel;
    private final String accuracyAxis;
    private final double accuracyScale;
    private final boolean rising;
    private final int smoothing;
    private final List<Double> lossX = new ArrayList<>();
    private final List<Double> loss = new ArrayList<>();
    private final List<Double> accuracyX = new ArrayList<>();
    private final List<Double> accuracy = new ArrayList<>();

    /**
     * @param title shown above the loss chart
     * @param accuracyLabel the accuracy series' name ("test accuracy")
     * @param smoothing steps in the loss moving average, {@code >= 1}
     */
    public TrainingPlot(String title, String accuracyLabel, int smoothing) {
        this(title, accuracyLabel, "accuracy (%)", 100, smoothing, true);
    }

    /**
     * A plot whose right chart shows another per-epoch metric that falls as training goes (a
     * validation error): points added with {@link #addAccuracy} are multiplied by {@code scale} and
     * drawn against {@code axisTitle}, the legend top right.
     */
    public TrainingPlot(String title, String seriesLabel, String axisTitle, double scale, int smoothing) {
        this(title, seriesLabel, axisTitle, scale, smoothing, false);
    }

    private TrainingPlot(String title, String seriesLabel, String axisTitle, double scale, int smoothing, boolean rising) {
        if (smoothing < 1) {
            throw new IllegalArgumentException("TrainingPlot: smoothing must be >= 1, got " + smoothing);
        }
        this.title = title;
        this.accuracyLabel = seriesLabel;
        this.accuracyAxis = axisTitle;
        this.accuracyScale = scale;
        this.rising = rising;
        this.smoothing = smoothing;
    }

    /** A training-loss point at {@code epoch} (fractional: 1.5 is half-way through the second epoch). */
    public void addLoss(double epoch, double value) {
        if (Double.isFinite(value)) {
            lossX.add(epoch);
            loss.add(value);
        }
    }

    /** An accuracy point in {@code [0, 1]} after {@code epoch} epochs. */
    public void addAccuracy(double epoch, double value) {
        accuracyX.add(epoch);
        accuracy.add(value);
    }

    /** Writes the PNG to {@code file} (the name must end in .png). */
    public void save(Path file) throws IOException {
        if (!file.toString().endsWith(".png")) {
            throw new IllegalArgumentException("TrainingPlot.save: file must end in .png, got " + file);
        }
        BufferedImage img = LineChart.canvas(2 * WIDTH, HEIGHT);
        render(img);
        LineChart.savePng(img, file);
    }

    /** Draws both charts side by side on {@code img} (2 x 600 by 420 pixels for {@link #save}). */
    List<LineChart.Layout> render(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        try {
            int half = img.getWidth() / 2;
            return List.of(lossChart().draw(g, 0, 0, half, img.getHeight()),
                    accuracyChart().draw(g, half, 0, img.getWidth() - half, img.getHeight()));
        } finally {
            g.dispose();
        }
    }

    private LineChart lossChart() {
        LineChart c = axes(new LineChart(title, "epoch", "training loss"), LineChart.Legend.TOP_RIGHT);
        if (!loss.isEmpty()) {
            c.add(new LineChart.Series("loss per step", array(lossX), array(loss), new Color(160, 190, 230), true, false));
            c.add(new LineChart.Series("moving average (" + steps(smoothing) + ")", array(lossX),
                    array(movingAverage(loss, smoothing)), new Color(20, 70, 160), true, false));
        }
        return c;
    }

    private LineChart accuracyChart() {
        LineChart c = axes(new LineChart(accuracyLabel, "epoch", accuracyAxis),
                rising ? LineChart.Legend.BOTTOM_RIGHT : LineChart.Legend.TOP_RIGHT);
        if (!accuracy.isEmpty()) {
            double[] scaled = accuracy.stream().mapToDouble(a -> accuracyScale * a).toArray();
            c.add(new LineChart.Series(accuracyLabel, array(accuracyX), scaled, new Color(200, 80, 20), true, true));
        }
        return c;
    }

    /** Whole-epoch ticks, x from 0 to the last whole epoch, so both charts share their x axis. */
    private LineChart axes(LineChart c, LineChart.Legend legend) {
        double last = Math.max(lossX.isEmpty() ? 0 : lossX.getLast(), accuracyX.isEmpty() ? 0 : accuracyX.getLast());
        return c.integerX().xRange(0, Math.max(1, Math.ceil(last - 1e-9))).legend(legend);
    }

    static String steps(int n) {
        return n == 1 ? "1 step" : n + " steps";
    }

    static double[] array(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Trailing mean over up to {@code window} points. */
    static List<Double> movingAverage(List<Double> values, int window) {
        List<Double> out = new ArrayList<>(values.size());
        double sum = 0;
        for (int i = 0; i < values.size(); i++) {
            sum += values.get(i);
            if (i >= window) {
                sum -= values.get(i - window);
            }
            out.add(sum / Math.min(i + 1, window));
        }
        return out;
    }
}
