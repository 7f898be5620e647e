package dev.kiln.apps.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/** Tick values are 1-2-5 multiples inside the range whose labels, at the given widths, never touch. */
class NiceTicksTest {
    /** 7 pixels per character, about a 12-point sans-serif digit. */
    private static final ToDoubleFunction<String> SEVEN_PX = s -> 7.0 * s.length();

    /** The step is m * 10^k with m in {1, 2, 5}, checked by hand rather than through NiceTicks. */
    private static boolean isNiceStep(double step) {
        double k = Math.floor(Math.log10(step) + 1e-9);
        double m = step / Math.pow(10, k);
        return Math.abs(m - 1) < 1e-6 || Math.abs(m - 2) < 1e-6 || Math.abs(m - 5) < 1e-6;
    }

    private static void assertWellFormed(NiceTicks.Axis a, double pixels, ToDoubleFunction<String> size, double gap) {
        double[] t = a.ticks();
        assertTrue(t.length >= 1 && t.length <= NiceTicks.MAX_TICKS, () -> t.length + " ticks");
        assertTrue(isNiceStep(a.step()), () -> "step " + a.step());
        for (int i = 0; i < t.length; i++) {
            assertTrue(t[i] >= a.min() - 1e-9 && t[i] <= a.max() + 1e-9, "tick " + t[i] + " outside " + a.min() + ".." + a.max());
            double multiple = t[i] / a.step();
            assertEquals(Math.rint(multiple), multiple, 1e-6, "tick " + t[i] + " is not a multiple of " + a.step());
            assertEquals(t[i], Double.parseDouble(a.labels().get(i)), a.step() * 1e-6, "label " + a.labels().get(i));
        }
        for (int i = 0; i + 1 < t.length; i++) {
            double distance = (t[i + 1] - t[i]) / (a.max() - a.min()) * pixels;
            double half = (size.applyAsDouble(a.labels().get(i)) + size.applyAsDouble(a.labels().get(i + 1))) / 2;
            assertTrue(distance >= half + gap, "labels " + a.labels().get(i) + " and " + a.labels().get(i + 1) + " overlap");
        }
    }

    @Test
    void oneEpochGetsWholeEpochTicksOnly() {
        NiceTicks.Axis a = NiceTicks.choose(0, 1, 500, SEVEN_PX, 12, true);
        assertArrayEquals(new double[] {0, 1}, a.ticks());
        assertEquals(List.of("0", "1"), a.labels());
    }

    @Test
    void epochAxesNeverGetFractionalTicks() {
        for (int epochs : new int[] {1, 2, 3, 7, 10, 37, 100, 999}) {
            for (double pixels : new double[] {120, 500, 1000}) {
                NiceTicks.Axis a = NiceTicks.choose(0, epochs, pixels, SEVEN_PX, 12, true);
                assertWellFormed(a, pixels, SEVEN_PX, 12);
                for (double t : a.ticks()) {
                    assertEquals(Math.rint(t), t, 0, epochs + " epochs: tick " + t);
                }
                for (String l : a.labels()) {
                    assertTrue(l.matches("-?\\d+"), epochs + " epochs: label " + l);
                }
            }
        }
    }

    @Test
    void fractionalRangesGetShortDecimalLabels() {
        NiceTicks.Axis a = NiceTicks.choose(0.3, 2.45, 450, SEVEN_PX, 12, false);
        assertWellFormed(a, 450, SEVEN_PX, 12);
        assertEquals(List.of("0.5", "1.0", "1.5", "2.0"), a.labels());
        NiceTicks.Axis tiny = NiceTicks.choose(4.1, 4.2, 300, s -> 14, 4, false); // a y axis: label height 14 px
        assertWellFormed(tiny, 300, s -> 14, 4);
        assertTrue(tiny.labels().stream().allMatch(l -> l.length() <= 5), tiny.labels().toString());
    }

    @Test
    void wideLabelsThinTheTicksInsteadOfOverlapping() {
        ToDoubleFunction<String> wide = s -> 40;
        NiceTicks.Axis a = NiceTicks.choose(0, 600, 200, wide, 12, true);
        assertWellFormed(a, 200, wide, 12);
        assertTrue(a.ticks().length <= 4, a.labels().toString());
    }

    @Test
    void aSinglePointStillGetsAnAxisAroundIt() {
        double[] one = NiceTicks.range(1, 1, true);
        assertTrue(one[0] < 1 && one[1] > 1 || one[0] == 0 && one[1] == 1, one[0] + ".." + one[1]);
        NiceTicks.Axis a = NiceTicks.choose(one[0], one[1], 400, SEVEN_PX, 12, true);
        assertWellFormed(a, 400, SEVEN_PX, 12);
        double[] value = NiceTicks.range(4.2, 4.2, false);
        assertTrue(value[0] < 4.2 && value[1] > 4.2, value[0] + ".." + value[1]);
        assertWellFormed(NiceTicks.choose(value[0], value[1], 300, s -> 14, 4, false), 300, s -> 14, 4);
        assertArrayEquals(new double[] {0, 1}, NiceTicks.range(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, true));
    }

    @Test
    void badRangesNameTheirValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NiceTicks.choose(1, 1, 100, SEVEN_PX, 0, false));
        assertTrue(e.getMessage().contains("min 1.0, max 1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NiceTicks.choose(0, 1, 0, SEVEN_PX, 0, false));
        assertTrue(e.getMessage().contains("pixels must be > 0, got 0.0"), e.getMessage());
    }

    @Test
    void drawnChartLabelsStayApartAndInsideTheImage() {
        for (double last : new double[] {1, 5, 37, 600}) {
            LineChart c = new LineChart("a chart with a title that is rather long for a small image, to check the fit",
                    "epoch", "loss").integerX().xRange(0, last);
            double[] x = {0, last / 2, last};
            c.add(new LineChart.Series("loss", x, new double[] {2.3, 1.1, 0.4}, java.awt.Color.BLUE, true, false));
            BufferedImage img = LineChart.canvas(400, 300);
            LineChart.Layout l = c.render(img);
            assertTrue(l.title().x >= 0 && l.title().x + l.title().width <= img.getWidth(), "title " + l.title());
            assertNoOverlap(l.xLabels());
            assertNoOverlap(l.yLabels());
            for (Rectangle r : l.xLabels()) {
                assertTrue(r.x >= 0 && r.x + r.width <= img.getWidth(), "x label " + r + " outside the image");
            }
            for (double t : l.xAxis().ticks()) {
                assertEquals(Math.rint(t), t, 0, "x tick " + t);
            }
        }
    }

    static void assertNoOverlap(List<Rectangle> boxes) {
        for (int i = 0; i < boxes.size(); i++) {
            for (int j = i + 1; j < boxes.size(); j++) {
                assertTrue(!boxes.get(i).intersects(boxes.get(j)), "boxes " + boxes.get(i) + " and " + boxes.get(j) + " overlap");
            }
        }
    }
}
