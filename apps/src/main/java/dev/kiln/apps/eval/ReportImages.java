package dev.kiln.apps.eval;

import dev.kiln.data.io.AtomicFiles;
import dev.kiln.eval.metrics.CalibrationBins;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The report's pictures drawn with Java2D (headless): a confusion-matrix heatmap, a reliability
 * diagram and a grid of images. Drawn by hand rather than through XChart because each is a few
 * rectangles and XChart's heatmap needs a colour scale per cell that it does not label compactly.
 */
final class ReportImages {
    private ReportImages() {}

    /** Row-normalised confusion matrix heatmap with the counts in the cells; rows are true classes. */
    static void confusionHeatmap(Path file, double[][] counts, List<String> names) throws IOException {
        int n = counts.length;
        int cellSize = 48;
        int left = 110;
        int top = 40;
        BufferedImage img = canvas(left + n * cellSize + 20, top + n * cellSize + 110);
        Graphics2D g = graphics(img);
        g.drawString("confusion matrix (rows: true class, columns: predicted; shade = row fraction)", 10, 20);
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
        save(file, img);
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

    /** Greyscale images ({@code pixels[i]} row-major, any range: scaled per image) in a grid with captions. */
    static void imageGrid(Path file, List<float[]> pixels, int height, int width, List<String> captions) throws IOException {
        int scale = 3;
        int columns = Math.min(8, Math.max(1, pixels.size()));
        int rows = (pixels.size() + columns - 1) / columns;
        int cw = Math.max(width * scale, 110);
        int ch = height * scale + 30;
        BufferedImage img = canvas(columns * cw + 10, Math.max(1, rows) * ch + 10);
        Graphics2D g = graphics(img);
        g.setFont(g.getFont().deriveFont(10f));
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
            g.drawString(captions.get(k), x0, y0 + height * scale + 12);
        }
        g.dispose();
        save(file, img);
    }

    private static BufferedImage canvas(int w, int h) {
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
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
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
