package dev.kiln.apps.plot;

import dev.kiln.data.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A line chart drawn with Java2D (headless): series of (x, y) points as lines and/or markers, a
 * title, axis titles, {@link NiceTicks} on both axes and a legend. Drawn by hand rather than
 * through a charting library so that tick values (whole epochs, 1-2-5 steps) and the layout are
 * ours to choose and to test: {@link #draw} returns where every piece of text went.
 */
public final class LineChart {
    static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 14);
    static final Font TEXT_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final int PAD = 10;
    private static final int TICK = 4;

    /** Where the legend goes inside the plot area. */
    public enum Legend { TOP_LEFT, TOP_RIGHT, BOTTOM_RIGHT }

    /** One series: a line through its points, markers at them, or both. */
    public record Series(String label, double[] x, double[] y, Color color, boolean line, boolean markers) {
        public Series {
            if (x.length != y.length) {
                throw new IllegalArgumentException("LineChart.Series " + label + ": x has " + x.length + " points, y " + y.length);
            }
        }
    }

    /** The boxes of a drawn chart's text, in image pixels, for layout checks. */
    public record Layout(Rectangle plot, Rectangle title, List<Rectangle> xLabels, List<Rectangle> yLabels,
            NiceTicks.Axis xAxis, NiceTicks.Axis yAxis) {}

    private final String title;
    private final String xTitle;
    private final String yTitle;
    private final List<Series> series = new ArrayList<>();
    private boolean integerX;
    private double xMin = Double.NaN;
    private double xMax = Double.NaN;
    private double yMin = Double.NaN;
    private Legend legend = Legend.TOP_RIGHT;

    public LineChart(String title, String xTitle, String yTitle) {
        this.title = title;
        this.xTitle = xTitle;
        this.yTitle = yTitle;
    }

    /** Only whole-number x ticks (epochs, steps, hours). */
    public LineChart integerX() {
        this.integerX = true;
        return this;
    }

    /** Fixes the x range instead of fitting it to the data. */
    public LineChart xRange(double min, double max) {
        this.xMin = min;
        this.xMax = max;
        return this;
    }

    /** Starts the y axis at {@code min} (0 for rates) even when the data stays above it. */
    public LineChart yFrom(double min) {
        this.yMin = min;
        return this;
    }

    public LineChart legend(Legend where) {
        this.legend = where;
        return this;
    }

    public LineChart add(Series s) {
        series.add(s);
        return this;
    }

    /** Draws the chart into the {@code width} x {@code height} box at ({@code left}, {@code top}) of {@code g}. */
    public Layout draw(Graphics2D g, int left, int top, int width, int height) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.BLACK);
        g.setFont(TITLE_FONT);
        String shownTitle = fit(title, g.getFontMetrics(), width - 2 * PAD);
        FontMetrics tm = g.getFontMetrics();
        int titleWidth = tm.stringWidth(shownTitle);
        int titleX = left + Math.max(PAD, (width - titleWidth) / 2);
        g.drawString(shownTitle, titleX, top + PAD + tm.getAscent());
        Rectangle titleBox = new Rectangle(titleX, top + PAD, titleWidth, tm.getHeight());

        g.setFont(TEXT_FONT);
        FontMetrics fm = g.getFontMetrics();
        double[] xr = dataRange(true);
        double[] yr = dataRange(false);
        double[] xs = Double.isNaN(xMin) ? NiceTicks.range(xr[0], xr[1], integerX) : NiceTicks.range(xMin, xMax, integerX);
        double[] ys;
        if (Double.isNaN(yMin)) {
            ys = NiceTicks.range(yr[0], yr[1], false);
            double pad = 0.05 * (ys[1] - ys[0]); // a little headroom so points do not sit on the frame
            ys = new double[] {ys[0] - pad, ys[1] + pad};
        } else {
            double lo = Math.min(yMin, yr[0] <= yr[1] ? yr[0] : yMin);
            double hi = yr[0] <= yr[1] ? Math.max(yr[1], lo) : lo;
            hi = hi > lo ? hi : lo + 1; // all points on the floor (a zero error rate): still a readable axis
            ys = new double[] {lo, hi + 0.05 * (hi - lo)};
        }
        int plotTop = titleBox.y + titleBox.height + PAD;
        int plotBottom = top + height - PAD - 2 * fm.getHeight() - TICK;
        NiceTicks.Axis yAxis = NiceTicks.choose(ys[0], ys[1], Math.max(1, plotBottom - plotTop), s -> fm.getHeight(), 4, false);
        int yLabelWidth = 0;
        for (String l : yAxis.labels()) {
            yLabelWidth = Math.max(yLabelWidth, fm.stringWidth(l));
        }
        int plotLeft = left + PAD + fm.getHeight() + PAD / 2 + yLabelWidth + TICK + 2;
        int plotRight = left + width - PAD - fm.stringWidth("0000") / 2; // room for the last x label's right half
        Rectangle plot = new Rectangle(plotLeft, plotTop, Math.max(1, plotRight - plotLeft), Math.max(1, plotBottom - plotTop));
        NiceTicks.Axis xAxis = NiceTicks.choose(xs[0], xs[1], plot.width, fm::stringWidth, 12, integerX);

        g.setColor(new Color(235, 235, 235));
        List<Rectangle> xBoxes = new ArrayList<>();
        List<Rectangle> yBoxes = new ArrayList<>();
        for (double t : xAxis.ticks()) {
            int px = xPixel(t, xAxis, plot);
            g.drawLine(px, plot.y, px, plot.y + plot.height);
        }
        for (double t : yAxis.ticks()) {
            int py = yPixel(t, yAxis, plot);
            g.drawLine(plot.x, py, plot.x + plot.width, py);
        }
        g.setColor(Color.BLACK);
        for (int i = 0; i < xAxis.ticks().length; i++) {
            int px = xPixel(xAxis.ticks()[i], xAxis, plot);
            g.drawLine(px, plot.y + plot.height, px, plot.y + plot.height + TICK);
            String l = xAxis.labels().get(i);
            int w = fm.stringWidth(l);
            g.drawString(l, px - w / 2, plot.y + plot.height + TICK + fm.getAscent());
            xBoxes.add(new Rectangle(px - w / 2, plot.y + plot.height + TICK, w, fm.getHeight()));
        }
        for (int i = 0; i < yAxis.ticks().length; i++) {
            int py = yPixel(yAxis.ticks()[i], yAxis, plot);
            g.drawLine(plot.x - TICK, py, plot.x, py);
            String l = yAxis.labels().get(i);
            int w = fm.stringWidth(l);
            g.drawString(l, plot.x - TICK - 2 - w, py - fm.getHeight() / 2 + fm.getAscent());
            yBoxes.add(new Rectangle(plot.x - TICK - 2 - w, py - fm.getHeight() / 2, w, fm.getHeight()));
        }
        int xtw = fm.stringWidth(xTitle);
        g.drawString(xTitle, plot.x + (plot.width - xtw) / 2, plot.y + plot.height + TICK + fm.getHeight() + fm.getAscent());
        Graphics2D r = (Graphics2D) g.create();
        r.translate(left + PAD + fm.getAscent(), plot.y + plot.height / 2 + fm.stringWidth(yTitle) / 2);
        r.rotate(-Math.PI / 2);
        r.drawString(yTitle, 0, 0);
        r.dispose();

        Graphics2D clip = (Graphics2D) g.create();
        clip.clipRect(plot.x - 4, plot.y - 4, plot.width + 8, plot.height + 8);
        for (Series s : series) {
            drawSeries(clip, s, xAxis, yAxis, plot);
        }
        clip.dispose();
        g.setColor(Color.GRAY);
        g.drawRect(plot.x, plot.y, plot.width, plot.height);
        drawLegend(g, fm, plot);
        return new Layout(plot, titleBox, xBoxes, yBoxes, xAxis, yAxis);
    }

    private void drawSeries(Graphics2D g, Series s, NiceTicks.Axis xAxis, NiceTicks.Axis yAxis, Rectangle plot) {
        g.setColor(s.color());
        if (s.line() && s.x().length > 1) {
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            Path2D.Double path = new Path2D.Double();
            boolean started = false;
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i])) {
                    started = false;
                    continue;
                }
                double px = xPixelExact(s.x()[i], xAxis, plot);
                double py = yPixelExact(s.y()[i], yAxis, plot);
                if (started) {
                    path.lineTo(px, py);
                } else {
                    path.moveTo(px, py);
                    started = true;
                }
            }
            g.draw(path);
            g.setStroke(new BasicStroke(1f));
        }
        if (s.markers() || s.x().length == 1) {
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isFinite(s.y()[i])) {
                    int px = (int) Math.round(xPixelExact(s.x()[i], xAxis, plot));
                    int py = (int) Math.round(yPixelExact(s.y()[i], yAxis, plot));
                    g.fillOval(px - 3, py - 3, 7, 7);
                }
            }
        }
    }

    private void drawLegend(Graphics2D g, FontMetrics fm, Rectangle plot) {
        if (series.isEmpty()) {
            return;
        }
        int w = 0;
        for (Series s : series) {
            w = Math.max(w, fm.stringWidth(s.label()));
        }
        int boxW = w + 34;
        int boxH = series.size() * fm.getHeight() + 8;
        int x = legend == Legend.TOP_LEFT ? plot.x + 6 : plot.x + plot.width - boxW - 6;
        int y = legend == Legend.BOTTOM_RIGHT ? plot.y + plot.height - boxH - 6 : plot.y + 6;
        g.setColor(new Color(255, 255, 255, 225));
        g.fillRect(x, y, boxW, boxH);
        g.setColor(Color.LIGHT_GRAY);
        g.drawRect(x, y, boxW, boxH);
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            int cy = y + 4 + i * fm.getHeight() + fm.getHeight() / 2;
            g.setColor(s.color());
            if (s.line()) {
                g.setStroke(new BasicStroke(2f));
                g.drawLine(x + 6, cy, x + 24, cy);
                g.setStroke(new BasicStroke(1f));
            }
            if (s.markers()) {
                g.fillOval(x + 12, cy - 3, 7, 7);
            }
            g.setColor(Color.BLACK);
            g.drawString(s.label(), x + 30, cy - fm.getHeight() / 2 + fm.getAscent());
        }
    }

    private double[] dataRange(boolean xs) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                double v = xs ? s.x()[i] : s.y()[i];
                if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        return new double[] {lo, hi};
    }

    private static double xPixelExact(double v, NiceTicks.Axis a, Rectangle plot) {
        return plot.x + (v - a.min()) / (a.max() - a.min()) * plot.width;
    }

    private static double yPixelExact(double v, NiceTicks.Axis a, Rectangle plot) {
        return plot.y + plot.height - (v - a.min()) / (a.max() - a.min()) * plot.height;
    }

    private static int xPixel(double v, NiceTicks.Axis a, Rectangle plot) {
        return (int) Math.round(xPixelExact(v, a, plot));
    }

    private static int yPixel(double v, NiceTicks.Axis a, Rectangle plot) {
        return (int) Math.round(yPixelExact(v, a, plot));
    }

    /** {@code text}, cut with an ellipsis when it is wider than {@code width} pixels. */
    static String fit(String text, FontMetrics fm, int width) {
        if (fm.stringWidth(text) <= width) {
            return text;
        }
        String s = text;
        while (!s.isEmpty() && fm.stringWidth(s + "…") > width) {
            s = s.substring(0, s.length() - 1);
        }
        return s + "…";
    }

    /** A white {@code width} x {@code height} image for charts to draw on. */
    public static BufferedImage canvas(int width, int height) {
        System.setProperty("java.awt.headless", "true"); // never open a display, even when one exists
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.dispose();
        return img;
    }

    /** Draws this chart alone on a {@code width} x {@code height} image. */
    public Layout render(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        try {
            return draw(g, 0, 0, img.getWidth(), img.getHeight());
        } finally {
            g.dispose();
        }
    }

    /** Writes {@code img} as a PNG to {@code file} (the name must end in .png), atomically. */
    public static void savePng(BufferedImage img, Path file) throws IOException {
        if (!file.toString().endsWith(".png")) {
            throw new IllegalArgumentException("LineChart.savePng: file must end in .png, got " + file);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", bytes)) {
            throw new IOException(file + ": no PNG writer available");
        }
        AtomicFiles.write(file, bytes.toByteArray());
    }
}
