package dev.kiln.apps.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.io.IdxArray;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pieces the training apps share: progress line, metrics log, plot smoothing, input statistics. */
class TrainInfrastructureTest {
    @TempDir
    Path tmp;

    @Test
    void progressLogsEveryNStepsAndTheLastWhenNotLive() {
        StringWriter sw = new StringWriter();
        AtomicLong now = new AtomicLong();
        ProgressLine p = new ProgressLine(new PrintWriter(sw), false, 4, 10, 2, "images", 0, 0, now::get);
        for (int s = 1; s <= 10; s++) {
            now.addAndGet(500_000_000L); // 0.5 s per step of 32 images: 64 images/s
            p.step(s, s <= 5 ? 0 : 1, s, 1e-3, 32);
        }
        List<String> lines = sw.toString().lines().toList();
        assertEquals(List.of(
                "step 4/10 | epoch 1/2 | loss 2.5000 | lr 1.00e-03 | 64 images/s | ETA 3s",
                "step 8/10 | epoch 2/2 | loss 6.5000 | lr 1.00e-03 | 64 images/s | ETA 1s",
                "step 10/10 | epoch 2/2 | loss 9.5000 | lr 1.00e-03 | 64 images/s | elapsed 5s"), lines);
    }

    @Test
    void liveProgressRedrawsOneLineAndReportsMfu() {
        StringWriter sw = new StringWriter();
        AtomicLong now = new AtomicLong();
        ProgressLine p = new ProgressLine(new PrintWriter(sw), true, 1, 100, 1, "images", 1e9, 10e9, now::get);
        now.addAndGet(100_000_000L);
        p.step(1, 0, 1.0, 0.1, 10); // within 200 ms of the start: not drawn
        assertEquals("", sw.toString());
        now.addAndGet(150_000_000L);
        p.step(2, 0, 3.0, 0.1, 10); // 20 images in 0.25 s = 80 images/s, 80 GFLOP/s of 10 = 800% MFU
        p.println("epoch done");
        String s = sw.toString();
        assertTrue(s.startsWith("\r[                    ]   2% step 2/100 | epoch 1/1 | loss 2.0000 | lr 1.00e-01 | 80 images/s"
                + " | MFU 800.0% | ETA 12s\u001b[K\n"), s);
        assertTrue(s.endsWith("epoch done\n".replace("\n", System.lineSeparator())), s);
    }

    @Test
    void liveBarFillsOneCellPerFivePercent() {
        assertEquals("[                    ]   0%", ProgressLine.bar(0, 10));
        assertEquals("[##########          ]  50%", ProgressLine.bar(5, 10));
        assertEquals("[#############       ]  66%", ProgressLine.bar(2, 3)); // rounded down: 100% only when done
        assertEquals("[####################] 100%", ProgressLine.bar(10, 10));
        assertEquals("[####################] 100%", ProgressLine.bar(12, 10));
    }

    @Test
    void plainLogLinesHaveNoBarNorEscapes() {
        StringWriter sw = new StringWriter();
        AtomicLong now = new AtomicLong();
        ProgressLine p = new ProgressLine(new PrintWriter(sw), false, 1, 2, 1, "images", 0, 0, now::get);
        now.addAndGet(1_000_000_000L);
        p.step(1, 0, 1.0, 0.1, 10);
        p.finish();
        assertEquals("step 1/2 | epoch 1/1 | loss 1.0000 | lr 1.00e-01 | 10 images/s | ETA 1s" + System.lineSeparator(), sw.toString());
    }

    @Test
    void durationsReadLikeAClock() {
        assertEquals("0s", ProgressLine.duration(0.2));
        assertEquals("59s", ProgressLine.duration(59.4));
        assertEquals("4m05s", ProgressLine.duration(245));
        assertEquals("1h02m", ProgressLine.duration(3725));
    }

    @Test
    void metricsAreOneJsonObjectPerLineWithNullForNonFinite() throws IOException {
        Path f = tmp.resolve("m.jsonl");
        try (MetricsLog log = new MetricsLog(f)) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("kind", "step");
            a.put("step", 1L);
            a.put("loss", 0.5);
            log.write(a);
            log.write(Map.of("loss", Double.NaN));
        }
        assertEquals(List.of("{\"kind\":\"step\",\"step\":1,\"loss\":0.5}", "{\"loss\":null}"), Files.readAllLines(f));
    }

    @Test
    void movingAverageIsTrailing() {
        assertEquals(List.of(1.0, 1.5, 2.5, 3.5), TrainingPlot.movingAverage(List.of(1.0, 2.0, 3.0, 4.0), 2));
        assertThrows(IllegalArgumentException.class, () -> new TrainingPlot("t", "acc", 0));
    }

    @Test
    void pixelStatisticsMatchANaiveTwoPassComputation() {
        byte[] data = new byte[3 * 4 * 4];
        java.util.Random r = new java.util.Random(3);
        r.nextBytes(data);
        IdxArray images = new IdxArray(IdxArray.Type.UBYTE, new int[] {3, 4, 4}, data);
        double[] got = FashionMnist.pixelMeanStd(images, 2); // the first two images only
        double sum = 0;
        for (int i = 0; i < 32; i++) {
            sum += (data[i] & 0xff) / 255.0;
        }
        double mean = sum / 32;
        double sq = 0;
        for (int i = 0; i < 32; i++) {
            double d = (data[i] & 0xff) / 255.0 - mean;
            sq += d * d;
        }
        assertEquals(mean, got[0], 1e-12);
        assertEquals(Math.sqrt(sq / 32), got[1], 1e-12);
    }

    @Test
    void flopsPerImageOfTheBenchmarkNet() {
        // by hand: conv1 26*26*32*9, conv2 11*11*64*32*9, fc 1600*128 + 128*10 multiply-adds
        double macs = 26 * 26 * 32 * 9 + 11 * 11 * 64 * 32 * 9 + 1600 * 128 + 128 * 10;
        assertEquals(3 * 2 * macs, CnnCommand.trainFlopsPerImage(28, 28));
        assertEquals(1600, CnnCommand.model(28, 28, new dev.kiln.tensor.random.Generator(0)).namedParameters()
                .get("7.weight").value().shape().size(1));
    }
}
