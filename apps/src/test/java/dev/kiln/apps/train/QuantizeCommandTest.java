package dev.kiln.apps.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.apps.CliRun;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.quant.Quantizer;
import dev.kiln.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln quantize} on a cnn run: train, quantize, evaluate both with {@code kiln eval}, compare. */
class QuantizeCommandTest {
    @TempDir
    Path root;

    @SuppressWarnings("unchecked")
    private static double accuracy(Path reportDir) throws IOException {
        Map<String, Object> report = (Map<String, Object>) JsonFiles.read(reportDir.resolve("report.json"));
        return ((Number) ((Map<String, Object>) report.get("metrics")).get("accuracy")).doubleValue();
    }

    @Test
    void quantizedCnnRunIsSmallerAndKilnEvalScoresItWithinOnePointOfF32() throws IOException {
        Path data = root.resolve("data");
        SyntheticIdx.write(data.resolve("fashion-mnist"), 320, 300, 11);
        Path runDir = root.resolve("cnn");
        CliRun t = CliRun.of("train", "cnn", "--data-dir", data.toString(), "--out", runDir.toString(), "--threads", "2",
                "--epochs", "2", "--batch-size", "32", "--schedule", "constant");
        assertEquals(0, t.exitCode(), t.out() + t.err());

        Path qDir = root.resolve("cnn-int8");
        CliRun q = CliRun.of("quantize", runDir.toString(), "--out", qDir.toString());
        assertEquals(0, q.exitCode(), q.out() + q.err());
        // The first conv (1 channel, 3x3: 9-tap dots) is under Quantizer.MIN_DOT_LENGTH and stays F32.
        assertTrue(q.out().contains("quantized 2 Linear and 1 Conv2d layers to int8, dynamic activations (kept in F32: [0])"),
                q.out());
        assertTrue(q.out().contains("MiB ->"), q.out());
        long before = Files.size(runDir.resolve("model.safetensors"));
        long after = Files.size(qDir.resolve("model.safetensors"));
        assertTrue(after * 3 < before, "int8 checkpoint " + after + " B is not under a third of F32's " + before + " B");
        try (Safetensors.Checkpoint c = Safetensors.load(qDir.resolve("model.safetensors"))) {
            assertEquals(Quantizer.FORMAT, c.metadata().get(Quantizer.FORMAT_KEY));
            assertEquals(DType.F32, c.tensors().get("0.weight").dtype());
            assertEquals(DType.I8, c.tensors().get("3.weight").dtype());
            assertEquals(DType.I8, c.tensors().get("9.weight").dtype());
            assertEquals(DType.F32, c.tensors().get("9.weight_scale").dtype());
            assertTrue(c.metadata().get("model").startsWith("kiln train cnn"), c.metadata().toString());
        }

        CliRun e32 = CliRun.of("eval", runDir.toString(), "--data-dir", data.toString(), "--threads", "2", "--bootstrap", "0");
        assertEquals(0, e32.exitCode(), e32.out() + e32.err());
        CliRun e8 = CliRun.of("eval", qDir.toString(), "--data-dir", data.toString(), "--threads", "2", "--bootstrap", "0");
        assertEquals(0, e8.exitCode(), e8.out() + e8.err());
        double acc32 = accuracy(runDir.resolve("eval"));
        double acc8 = accuracy(qDir.resolve("eval"));
        System.out.printf("quantize: accuracy F32 %.4f, int8 %.4f; size %d -> %d bytes%n", acc32, acc8, before, after);
        assertTrue(acc32 > 0.3, "the F32 run learned too little to compare: accuracy " + acc32);
        assertTrue(Math.abs(acc32 - acc8) <= 0.01, "int8 accuracy " + acc8 + " is more than 1 point from F32's " + acc32);

        Path sDir = root.resolve("cnn-int8-static");
        CliRun qs = CliRun.of("quantize", runDir.toString(), "--out", sDir.toString(), "--activations", "static",
                "--calibration-batches", "3", "--data-dir", data.toString());
        assertEquals(0, qs.exitCode(), qs.out() + qs.err());
        assertTrue(qs.out().contains("calibrated 3 layers' input scales (max |input| / 127) on 3 batches, 96 training images"),
                qs.out());
        try (Safetensors.Checkpoint c = Safetensors.load(sDir.resolve("model.safetensors"))) {
            assertEquals(Quantizer.FORMAT_STATIC, c.metadata().get(Quantizer.FORMAT_KEY));
            assertTrue(c.tensors().get("3.input_scale").toFloatArray()[0] > 0, "conv 3 has no positive input scale");
        }
        CliRun es = CliRun.of("eval", sDir.toString(), "--data-dir", data.toString(), "--threads", "2", "--bootstrap", "0");
        assertEquals(0, es.exitCode(), es.out() + es.err());
        double acc8s = accuracy(sDir.resolve("eval"));
        System.out.printf("quantize: static int8 accuracy %.4f%n", acc8s);
        assertTrue(Math.abs(acc32 - acc8s) <= 0.01, "static int8 accuracy " + acc8s + " is more than 1 point from F32's " + acc32);
        CliRun zero = CliRun.of("quantize", runDir.toString(), "--out", root.resolve("z").toString(), "--activations", "static",
                "--calibration-batches", "0");
        assertNotEquals(0, zero.exitCode());
        assertTrue(zero.err().contains("--calibration-batches must be >= 1, got 0"), zero.err());

        // A second quantize into the now non-empty directory, of a quantized run, or of a missing run is refused.
        CliRun again = CliRun.of("quantize", runDir.toString(), "--out", qDir.toString());
        assertNotEquals(0, again.exitCode());
        assertTrue(again.err().contains("is not empty"), again.err());
        CliRun twice = CliRun.of("quantize", qDir.toString(), "--out", root.resolve("x").toString());
        assertNotEquals(0, twice.exitCode());
        assertTrue(twice.err().contains("already quantized"), twice.err());
        CliRun missing = CliRun.of("quantize", root.resolve("nope").toString(), "--out", root.resolve("y").toString());
        assertNotEquals(0, missing.exitCode());
        assertTrue(missing.err().contains("has no model.safetensors"), missing.err());
    }
}
