package dev.kiln.bench;

import java.awt.Color;
import dev.kiln.data.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A bar chart of speed ratios (Kiln / reference) per workload, with lines at parity (1×) and at a
 * goal, as one PNG. The workloads measure different units (tokens/s, images/s), so the ratio is
 * the one quantity they share.
 */
final class RatioPlot {
    private final String title;
    private final double goal;
    private final List<String> names = new ArrayList<>();
    private final List<Double> ratios = new ArrayList<>();

    RatioPlot(String title, double goal) {
        this.title = title;
        this.goal = goal;
    }

    void add(String workload, double ratio) {
        names.add(workload);
        ratios.add(ratio);
    }

    /** Writes the chart to {@code file} (a .png), atomically. */
    void save(Path file) throws IOException {
        if (names.isEmpty()) {
            throw new IllegalStateException("RatioPlot.save: no ratios to plot (was the reference skipped?)");
        }
        CategoryChart chart = new CategoryChartBuilder().width(640).height(400).title(title)
                .xAxisTitle("workload").yAxisTitle("Kiln / PyTorch (higher is faster)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setOverlapped(true); // the reference lines run across the bars, not beside them
        chart.getStyler().setDecimalPattern("0.00");
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(Math.max(goal, Collections.max(ratios)) * 1.15);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setLabelsFontColorAutomaticEnabled(false);
        chart.getStyler().setLabelsFontColor(Color.WHITE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.addSeries("Kiln / PyTorch", names, ratios).setFillColor(new Color(0x4C72B0));
        CategorySeries parity = chart.addSeries("parity (1×)", names, Collections.nCopies(names.size(), 1.0));
        parity.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        parity.setLineColor(Color.GRAY);
        parity.setMarker(SeriesMarkers.NONE);
        CategorySeries target = chart.addSeries(String.format("goal (%.1f×)", goal), names, Collections.nCopies(names.size(), goal));
        target.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        target.setLineColor(new Color(0xC44E52));
        target.setMarker(SeriesMarkers.NONE);
        AtomicFiles.write(file, tmp -> BitmapEncoder.saveBitmap(chart, tmp.toString(), BitmapEncoder.BitmapFormat.PNG));
    }
}
