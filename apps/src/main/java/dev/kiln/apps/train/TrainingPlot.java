package dev.kiln.apps.train;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The curves of a run as one PNG (XChart, drawn off-screen): training loss per step and its moving
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
        String name = file.toString();
        if (!name.endsWith(".png")) {
            throw new IllegalArgumentException("TrainingPlot.save: file must end in .png, got " + file);
        }
        System.setProperty("java.awt.headless", "true"); // never open a display, even when one exists
        BitmapEncoder.saveBitmap(List.of(lossChart(), accuracyChart()), 1, 2, name, BitmapEncoder.BitmapFormat.PNG);
    }

    private XYChart lossChart() {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("epoch").yAxisTitle("training loss").build();
        style(c, org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        if (!loss.isEmpty()) {
            XYSeries raw = c.addSeries("loss per step", lossX, loss);
            raw.setMarker(SeriesMarkers.NONE);
            raw.setLineColor(new Color(160, 190, 230));
            XYSeries avg = c.addSeries("moving average (" + smoothing + " steps)", lossX, movingAverage(loss, smoothing));
            avg.setMarker(SeriesMarkers.NONE);
            avg.setLineColor(new Color(20, 70, 160));
        } else {
            c.addSeries("loss per step", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        }
        return c;
    }

    private XYChart accuracyChart() {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(accuracyLabel)
                .xAxisTitle("epoch").yAxisTitle(accuracyAxis).build();
        style(c, rising ? org.knowm.xchart.style.Styler.LegendPosition.InsideSE
                : org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        List<Double> percent = accuracy.stream().map(a -> accuracyScale * a).toList();
        XYSeries s = accuracy.isEmpty()
                ? c.addSeries(accuracyLabel, new double[] {0}, new double[] {0})
                : c.addSeries(accuracyLabel, accuracyX, percent);
        s.setMarker(SeriesMarkers.CIRCLE);
        s.setLineColor(new Color(200, 80, 20));
        s.setMarkerColor(new Color(200, 80, 20));
        return c;
    }

    /** White background, x from 0 to the last whole epoch, so both charts share their x axis. */
    private void style(XYChart c, org.knowm.xchart.style.Styler.LegendPosition legend) {
        var st = c.getStyler();
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setLegendPosition(legend);
        st.setXAxisMin(0.0);
        double last = Math.max(lossX.isEmpty() ? 0 : lossX.getLast(), accuracyX.isEmpty() ? 0 : accuracyX.getLast());
        st.setXAxisMax(Math.max(1, Math.ceil(last - 1e-9)));
        st.setXAxisTickMarkSpacingHint(110); // fractional-epoch labels such as "2.25" need room
        st.setYAxisDecimalPattern("#0.###");
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
