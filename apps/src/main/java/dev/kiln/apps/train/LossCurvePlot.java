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
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Training and validation loss against steps in one PNG chart (XChart, off-screen): the training
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
        String name = file.toString();
        if (!name.endsWith(".png")) {
            throw new IllegalArgumentException("LossCurvePlot.save: file must end in .png, got " + file);
        }
        System.setProperty("java.awt.headless", "true");
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("step").yAxisTitle("loss (nats per token)").build();
        var st = c.getStyler();
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setLegendPosition(Styler.LegendPosition.InsideNE);
        st.setXAxisDecimalPattern("#0");
        st.setYAxisDecimalPattern("#0.###");
        if (train.isEmpty() && val.isEmpty()) {
            c.addSeries("training loss", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        }
        if (!train.isEmpty()) {
            XYSeries raw = c.addSeries("training loss per step", trainX, train);
            raw.setMarker(SeriesMarkers.NONE);
            raw.setLineColor(new Color(160, 190, 230));
            XYSeries avg = c.addSeries("moving average (" + smoothing + " steps)", trainX,
                    TrainingPlot.movingAverage(train, smoothing));
            avg.setMarker(SeriesMarkers.NONE);
            avg.setLineColor(new Color(20, 70, 160));
        }
        if (!val.isEmpty()) {
            XYSeries v = c.addSeries("validation loss", valX, val);
            v.setMarker(SeriesMarkers.CIRCLE);
            v.setLineColor(new Color(200, 80, 20));
            v.setMarkerColor(new Color(200, 80, 20));
        }
        BitmapEncoder.saveBitmap(c, name, BitmapEncoder.BitmapFormat.PNG);
    }
}
