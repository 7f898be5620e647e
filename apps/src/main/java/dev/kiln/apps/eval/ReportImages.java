package dev.kiln.apps.eval;

import dev.kiln.apps.plot.LineChart;
import dev.kiln.data.io.AtomicFiles;
import dev.kiln.eval.metrics.CalibrationBins;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The report's pictures drawn with Java2D (headless): a confusion-matrix heatmap, a reliability
 * diagram, a grid of images, and (through {@link LineChart}) a forecast-vs-actual plot and error
 * rates by input length. Drawn by hand rather than through XChart because each is a few
 * rectangles and XChart's heatmap needs a colour scale per cell that it does not label compactly.
 */
final class ReportImages {
    private static final Font TEXT_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font CAPTION_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 10);

    private ReportImages() {}

    /** A drawn picture and the boxes of its text, in image pixels, for layout checks. */
    record Drawn(BufferedImage image, Rectangle title, List<Rectangle> labels) {}

    /** Row-normalised confusion matrix heatmap with the counts in the cells; rows are true classes. */
    static void confusionHeatmap(Path file, double[][] counts, List<String> names) throws IOException {
        save(file, drawConfusion(counts, names).image());
    }

    /** The heatmap, at least as wide as its title and class names need. */
    static Drawn drawConfusion(double[][] counts, List<String> names) {
        int n = counts.length;
        int cellSize = 48;
        String title = "confusion matrix (rows: true class, columns: predicted; shade = row fraction)";
        FontMetrics fm = metrics(TEXT_FONT);
        int nameWidth = 0;
        for (String name : names) {
            nameWidth = Math.max(nameWidth, fm.stringWidth(shortName(name)));
        }
        int left = nameWidth + 14;
        int top = 40;
        int width = Math.max(left + n * cellSize + 20, fm.stringWidth(title) + 20);
        BufferedImage img = canvas(width, top + n * cellSize + nameWidth + 20);
        Graphics2D g = graphics(img);
        g.drawString(title, 10, 20);
        Rectangle titleBox = new Rectangle(10, 20 - fm.getAscent(), fm.stringWidth(title), fm.getHeight());
        for (int i = 0; i < n; i++) {
            double rowSum = 0;
            for (double v : counts[i]) {
                rowSum += v;
            }
            for (int j = 0; j < n; j++) {
                double f = rowSum == 0 ? 0 : counts[i][j] / rowSum;
                int shade = (int) Math.round(255 * (1 - f));
                g.setColor(new Color(shade, shade, 255));
                g.fillRect(left + j * cellSize, top + i * cellSize, cellSize, cellSize);
                g.setColor(f > 0.5 ? Color.WHITE : Color.BLACK);
                g.drawString(String.valueOf((long) counts[i][j]), left + j * cellSize + 4, top + i * cellSize + cellSize / 2 + 4);
            }
            g.setColor(Color.BLACK);
            g.drawString(shortName(names.get(i)), 4, top + i * cellSize + cellSize / 2 + 4);
        }
        for (int j = 0; j < n; j++) {
            Graphics2D r = (Graphics2D) g.create();
            r.translate(left + j * cellSize + cellSize / 2 - 4, top + n * cellSize + 6);
            r.rotate(Math.PI / 2);
            r.drawString(shortName(names.get(j)), 0, 0);
            r.dispose();
        }
        g.dispose();
        return new Drawn(img, titleBox, List.of());
    }

    private static String shortName(String s) {
        return s.length() > 14 ? s.substring(0, 13) + "…" : s;
    }

    /** Reliability diagram: accuracy against mean confidence per bin, with the diagonal of perfect calibration. */
    static void reliability(Path file, CalibrationBins bins) throws IOException {
        int size = 360;
        int left = 50;
        int top = 30;
        BufferedImage img = canvas(left + size + 20, top + size + 50);
        Graphics2D g = graphics(img);
        g.drawString(String.format(Locale.ROOT, "reliability (ECE %.4f)", bins.expectedCalibrationError()), left, 20);
        g.setColor(Color.LIGHT_GRAY);
        g.drawRect(left, top, size, size);
        g.drawLine(left, top + size, left + size, top);
        int nb = bins.numBins();
        double width = size / (double) nb;
        for (int b = 0; b < nb; b++) {
            if (bins.counts()[b] == 0) {
                continue;
            }
            int h = (int) Math.round(bins.accuracy()[b] * size);
            g.setColor(new Color(70, 110, 200));
            g.fillRect(left + (int) (b * width) + 1, top + size - h, (int) width - 2, h);
            int cy = top + size - (int) Math.round(bins.confidence()[b] * size);
            g.setColor(Color.RED);
            g.fillOval(left + (int) ((b + 0.5) * width) - 3, cy - 3, 6, 6);
        }
        g.setColor(Color.BLACK);
        g.drawString("confidence (bars: accuracy, dots: mean confidence)", left, top + size + 20);
        g.drawString("0", left - 12, top + size);
        g.drawString("1", left - 12, top + 10);
        g.dispose();
        save(file, img);
    }

    /**
     * Greyscale images ({@code pixels[i]} row-major, any range: scaled per image) in a grid, each
     * with a caption of one or more lines ({@code captions[i]}, lines split at '\n'); the columns
     * are as wide as the widest caption line, so neighbouring captions never overlap.
     */
    static void imageGrid(Path file, List<float[]> pixels, int height, int width, List<String> captions) throws IOException {
        save(file, drawImageGrid(pixels, height, width, captions).image());
    }

    static Drawn drawImageGrid(List<float[]> pixels, int height, int width, List<String> captions) {
        int scale = 3;
        int gap = 12;
        FontMetrics fm = metrics(CAPTION_FONT);
        int captionWidth = 0;
        int captionLines = 1;
        for (String c : captions) {
            String[] lines = c.split("\n");
            captionLines = Math.max(captionLines, lines.length);
            for (String l : lines) {
                captionWidth = Math.max(captionWidth, fm.stringWidth(l));
            }
        }
        int columns = Math.min(8, Math.max(1, pixels.size()));
        int rows = (pixels.size() + columns - 1) / columns;
        int cw = Math.max(width * scale, captionWidth) + gap;
        int ch = height * scale + captionLines * fm.getHeight() + gap;
        BufferedImage img = canvas(columns * cw + 10, Math.max(1, rows) * ch + 10);
        Graphics2D g = graphics(img);
        g.setFont(CAPTION_FONT);
        List<Rectangle> boxes = new ArrayList<>();
        for (int k = 0; k < pixels.size(); k++) {
            float[] px = pixels.get(k);
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (float v : px) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            float range = max > min ? max - min : 1;
            int x0 = 5 + (k % columns) * cw;
            int y0 = 5 + (k / columns) * ch;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int v = 255 - Math.round(255 * (px[y * width + x] - min) / range);
                    g.setColor(new Color(v, v, v));
                    g.fillRect(x0 + x * scale, y0 + y * scale, scale, scale);
                }
            }
            g.setColor(Color.BLACK);
            String[] lines = captions.get(k).split("\n");
            int w = 0;
            for (int li = 0; li < lines.length; li++) {
                g.drawString(lines[li], x0, y0 + height * scale + 2 + li * fm.getHeight() + fm.getAscent());
                w = Math.max(w, fm.stringWidth(lines[li]));
            }
            boxes.add(new Rectangle(x0, y0 + height * scale + 2, w, lines.length * fm.getHeight()));
        }
        g.dispose();
        return new Drawn(img, new Rectangle(), boxes);
    }

    /** The forecast against the truth (and persistence) over the first {@code hours} test hours. */
    static void forecastPlot(Path file, double[] truth, double[] model, double[] persistence, int firstHour, int hours)
            throws IOException {
        int n = Math.min(hours, truth.length);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = firstHour + i;
        }
        LineChart c = new LineChart("next-hour forecast vs actual, first " + n + (n == 1 ? " test hour" : " test hours"),
                "hour (row of the series)", "temperature (degrees)").integerX();
        c.add(new LineChart.Series("actual", x, Arrays.copyOf(truth, n), new Color(40, 40, 40), true, n <= 48));
        c.add(new LineChart.Series("model", x, Arrays.copyOf(model, n), new Color(200, 80, 20), true, false));
        c.add(new LineChart.Series("persistence", x, Arrays.copyOf(persistence, n), new Color(150, 180, 225), true, false));
        BufferedImage img = LineChart.canvas(900, 420);
        c.render(img);
        LineChart.savePng(img, file);
    }

    /** Error rates (fractions, drawn as %) against the input length, one point per length present. */
    static void errorByLength(Path file, String title, String lengthAxis, int[] lengths, double[] per, double[] wer)
            throws IOException {
        double[] x = Arrays.stream(lengths).asDoubleStream().toArray();
        LineChart c = new LineChart(title, lengthAxis, "error rate (%)").integerX().yFrom(0)
                .legend(LineChart.Legend.TOP_LEFT); // errors grow with length: the top left stays empty
        c.add(new LineChart.Series("word error rate", x, Arrays.stream(wer).map(v -> 100 * v).toArray(), new Color(200, 80, 20),
                true, true));
        c.add(new LineChart.Series("phone error rate", x, Arrays.stream(per).map(v -> 100 * v).toArray(), new Color(20, 70, 160),
                true, true));
        BufferedImage img = LineChart.canvas(700, 420);
        c.render(img);
        LineChart.savePng(img, file);
    }

    private static FontMetrics metrics(Font font) {
        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = graphics(scratch);
        try {
            return g.getFontMetrics(font);
        } finally {
            g.dispose();
        }
    }

    private static BufferedImage canvas(int w, int h) {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.dispose();
        return img;
    }

    private static Graphics2D graphics(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(TEXT_FONT);
        g.setStroke(new BasicStroke(1f));
        g.setColor(Color.BLACK);
        return g;
    }

    private static void save(Path file, BufferedImage img) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", bytes)) {
            throw new IOException(file + ": no PNG writer available");
        }
        AtomicFiles.write(file, bytes.toByteArray());
    }
}
