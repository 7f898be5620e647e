package dev.kiln.apps.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Rectangle;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The report pictures' text stays inside the image and apart, whatever the class names. */
class ReportImagesTest {
    @Test
    void confusionTitleFitsForTwoClassesAndForTen() {
        for (int n : new int[] {2, 3, 10}) {
            List<String> names = IntStream.range(0, n).mapToObj(i -> i == 0 ? "a rather long class name number " + i : "c" + i).toList();
            double[][] counts = new double[n][n];
            for (int i = 0; i < n; i++) {
                counts[i][i] = 10 + i;
            }
            ReportImages.Drawn d = ReportImages.drawConfusion(counts, names);
            Rectangle t = d.title();
            assertTrue(t.width > 100, "title measured at " + t.width + " px");
            assertTrue(t.x >= 0 && t.x + t.width <= d.image().getWidth(),
                    n + " classes: title spans " + t.x + ".." + (t.x + t.width) + ", image width " + d.image().getWidth());
        }
    }

    @Test
    void worstGridCaptionsDoNotOverlapEvenWithLongClassNames() {
        List<float[]> pixels = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        for (int k = 0; k < 16; k++) {
            float[] px = new float[28 * 28];
            px[k] = 1;
            pixels.add(px);
            captions.add("#" + (10_000 + k) + "\n" + "T-shirt/top with a long name" + " →\n" + "Ankle boot, also long");
        }
        ReportImages.Drawn d = ReportImages.drawImageGrid(pixels, 28, 28, captions);
        assertEquals(16, d.labels().size());
        for (int i = 0; i < d.labels().size(); i++) {
            Rectangle a = d.labels().get(i);
            assertTrue(a.x >= 0 && a.x + a.width <= d.image().getWidth() && a.y + a.height <= d.image().getHeight(),
                    "caption " + i + " " + a + " outside " + d.image().getWidth() + "x" + d.image().getHeight());
            for (int j = i + 1; j < d.labels().size(); j++) {
                assertTrue(!a.intersects(d.labels().get(j)), "captions " + i + " " + a + " and " + j + " " + d.labels().get(j) + " overlap");
            }
        }
    }

    @Test
    void errorsByLengthCountsEditsPerSpelledLength() {
        List<TranslationEvaluation.Prediction> p = List.of(new TranslationEvaluation.Prediction("cat", List.of("K AE T"), "K AE T"),
                new TranslationEvaluation.Prediction("dog", List.of("D AO G"), "D AA G"),
                new TranslationEvaluation.Prediction("house", List.of("HH AW S"), "HH AW S"));
        List<dev.kiln.eval.text.ErrorRate.Result> s = List.of(new dev.kiln.eval.text.ErrorRate.Result(0, 3, 0),
                new dev.kiln.eval.text.ErrorRate.Result(1, 3, 0), new dev.kiln.eval.text.ErrorRate.Result(0, 3, 0));
        TranslationEvaluation.ErrorsByLength e = TranslationEvaluation.errorsByLength(p, s);
        assertEquals(List.of(3, 5), IntStream.of(e.lengths()).boxed().toList());
        assertEquals(List.of(2, 1), IntStream.of(e.words()).boxed().toList());
        assertEquals(1 / 6.0, e.per()[0], 1e-12);
        assertEquals(0.5, e.wer()[0], 1e-12);
        assertEquals(0, e.per()[1], 0);
    }
}
