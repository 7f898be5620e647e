package dev.kiln.apps.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.apps.CliRun;
import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.data.io.JsonFiles;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.io.Safetensors;
import dev.kiln.nn.models.Forecaster;
import dev.kiln.nn.models.TransformerClassifier;
import dev.kiln.nn.quant.Quantizer;
import dev.kiln.nn.transformer.Gpt;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln export}: the written file, run in ONNX Runtime, gives the run's model's outputs to 1e-4. */
class ExportCommandTest {
    @TempDir
    Path dir;

    private static float[] onnxRuntime(Path file, Tensor x, long[] outShape) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] shape = java.util.Arrays.stream(x.shape().toArray()).asLongStream().toArray();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                OrtSession s = env.createSession(file.toString(), o);
                OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.toFloatArray()), shape);
                OrtSession.Result r = s.run(Map.of("input", in))) {
            OnnxTensor y = (OnnxTensor) r.get("output").orElseThrow();
            assertArrayEquals(outShape, y.getInfo().getShape());
            FloatBuffer b = y.getFloatBuffer();
            float[] out = new float[b.remaining()];
            b.get(out);
            return out;
        }
    }

    private static void assertClose(float[] kiln, float[] ort) {
        assertEquals(kiln.length, ort.length);
        double worst = 0;
        for (int i = 0; i < kiln.length; i++) {
            worst = Math.max(worst, Math.abs(kiln[i] - ort[i]));
        }
        System.out.printf("kiln export: max |kiln - onnxruntime| = %.3g over %d values%n", worst, kiln.length);
        assertTrue(worst <= 1e-4, "max |kiln - onnxruntime| = " + worst);
    }

    @Test
    void cnnRunExportsToOnnxThatOnnxRuntimeAgreesWith() throws Exception {
        Generator g = new Generator(11);
        Sequential cnn = CnnCommand.model(28, 28, g);
        Path run = Files.createDirectories(dir.resolve("cnn"));
        Safetensors.saveModule(run.resolve("model.safetensors"), cnn,
                Map.of("model", "kiln train cnn: conv32-conv64-fc128-fc10", "input_mean", "0.28", "input_std", "0.35"));
        Path file = dir.resolve("cnn.onnx");
        CliRun r = CliRun.of("export", run.toString(), "--format", "onnx", "--out", file.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("ONNX opset 17"), r.out());
        Tensor x = Tensor.randn(g, 2, 1, 28, 28);
        float[] kiln;
        cnn.eval();
        try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
            kiln = cnn.forward(Var.constant(x)).value().toFloatArray();
        }
        assertClose(kiln, onnxRuntime(file, x, new long[] {2, 10}));
    }

    /** The image size comes from the run's metadata (input_height / input_width), as kiln serve reads it. */
    @Test
    void smallImageCnnRunExportsAtItsOwnSize() throws Exception {
        Generator g = new Generator(16);
        Sequential cnn = CnnCommand.model(12, 12, g);
        Path run = Files.createDirectories(dir.resolve("cnn12"));
        Safetensors.saveModule(run.resolve("model.safetensors"), cnn, Map.of("model", "kiln train cnn: conv32-conv64-fc128-fc10",
                "input_height", "12", "input_width", "12"));
        CliRun r = CliRun.of("export", run.toString());
        assertEquals(0, r.exitCode(), r.err());
        Tensor x = Tensor.randn(g, 3, 1, 12, 12);
        float[] kiln;
        cnn.eval();
        try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
            kiln = cnn.forward(Var.constant(x)).value().toFloatArray();
        }
        assertClose(kiln, onnxRuntime(run.resolve("model.onnx"), x, new long[] {3, 10}));
    }

    @Test
    void lstmForecasterRunExportsToOnnxThatOnnxRuntimeAgreesWith() throws Exception {
        Generator g = new Generator(12);
        Forecaster model = new Forecaster(Forecaster.Cell.lstm, 8, 2, g);
        Path run = Files.createDirectories(dir.resolve("rnn"));
        Safetensors.saveModule(run.resolve("model.safetensors"), model, Map.of("model", "kiln train rnn: lstm 2x8"));
        Files.writeString(run.resolve("config.json"), "{\"cell\": \"lstm\", \"hidden\": 8, \"layers\": 2, \"window\": 24}");
        CliRun r = CliRun.of("export", run.toString());
        assertEquals(0, r.exitCode(), r.err());
        Tensor x = Tensor.randn(g, 3, 24, 1);
        float[] kiln;
        model.eval();
        try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
            kiln = model.forward(Var.constant(x)).value().toFloatArray();
        }
        assertClose(kiln, onnxRuntime(run.resolve("model.onnx"), x, new long[] {3, 1}));
    }

    /** ONNX Runtime's "logits" for ids [b, t] (ids the export takes as INT64 "input_ids"). */
    private static float[] onnxRuntimeTokens(Path file, long[] ids, int b, int t, long[] outShape) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                OrtSession s = env.createSession(file.toString(), o);
                OnnxTensor in = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {b, t});
                OrtSession.Result r = s.run(Map.of("input_ids", in))) {
            OnnxTensor y = (OnnxTensor) r.get("logits").orElseThrow();
            assertArrayEquals(outShape, y.getInfo().getShape());
            FloatBuffer out = y.getFloatBuffer();
            float[] values = new float[out.remaining()];
            out.get(values);
            return values;
        }
    }

    /**
     * onnx.checker (full_check) of the Python onnx package on {@code file}, an independent reading
     * of the spec; nothing to check where /usr/bin/python3 has no onnx (the onnx module's tests say so).
     */
    private static void passesOnnxChecker(Path file) throws Exception {
        Process probe = new ProcessBuilder("/usr/bin/python3", "-c", "import onnx.checker").redirectErrorStream(true).start();
        probe.getInputStream().readAllBytes();
        if (!probe.waitFor(120, TimeUnit.SECONDS) || probe.exitValue() != 0) {
            return;
        }
        Process p = new ProcessBuilder("/usr/bin/python3", "-c",
                "import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)", file.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "onnx.checker timed out on " + file);
        assertEquals(0, p.exitValue(), "onnx.checker rejected " + file + ": " + output);
    }

    private static long[] randomIds(Generator g, int n, int vocab) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = (g.nextLong() >>> 1) % vocab;
        }
        return ids;
    }

    @Test
    void classifyRunExportsToOnnxThatOnnxRuntimeAgreesWith() throws Exception {
        Generator g = new Generator(13);
        TransformerClassifier.Config c = new TransformerClassifier.Config(12, 6, 1, 8, 2, 16, 0.1, 2);
        TransformerClassifier model = new TransformerClassifier(c, g);
        Path run = Files.createDirectories(dir.resolve("classify"));
        Safetensors.saveModule(run.resolve("model.safetensors"), model, Map.of("model", "kiln train classify: tiny",
                "config", JsonFiles.write(ClassifyReport.configJson(c)), "vocab", "[\"<pad>\", \"<unk>\"]"));
        CliRun r = CliRun.of("export", run.toString());
        assertEquals(0, r.exitCode(), r.err());
        model.eval();
        for (int[] size : new int[][] {{1, 6}, {3, 4}}) {
            long[] ids = randomIds(g, size[0] * size[1], c.vocabSize());
            for (int i = 0; i < size[0]; i++) {
                ids[i * size[1]] = 5; // a real token in every row: a row of padding only has no mean
            }
            float[] kiln;
            try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
                kiln = model.forward(Tensor.fromArray(ids, size[0], size[1])).value().toFloatArray();
            }
            assertClose(kiln, onnxRuntimeTokens(run.resolve("model.onnx"), ids, size[0], size[1], new long[] {size[0], 2}));
        }
        passesOnnxChecker(run.resolve("model.onnx"));
    }

    @Test
    void gptRunExportsToOnnxThatOnnxRuntimeAgreesWith() throws Exception {
        Generator g = new Generator(14);
        Gpt.Config c = new Gpt.Config(11, 7, 2, 8, 2, 2, 16, false, true); // what kiln train gpt builds
        Gpt model = new Gpt(c, g);
        Path run = Files.createDirectories(dir.resolve("gpt"));
        Safetensors.saveModule(run.resolve("model.safetensors"), model, Map.of("model", "kiln train gpt: tiny",
                "config", JsonFiles.write(dev.kiln.nn.models.GptConfigJson.toJson(c))));
        Path file = dir.resolve("gpt.onnx");
        CliRun r = CliRun.of("export", run.toString(), "--out", file.toString());
        assertEquals(0, r.exitCode(), r.err());
        model.eval();
        for (int[] size : new int[][] {{1, 7}, {2, 3}}) {
            long[] ids = randomIds(g, size[0] * size[1], c.vocabSize());
            float[] kiln;
            try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
                kiln = model.forward(Tensor.fromArray(ids, size[0], size[1])).value().toFloatArray();
            }
            assertClose(kiln, onnxRuntimeTokens(file, ids, size[0], size[1], new long[] {size[0], size[1], c.vocabSize()}));
        }
        passesOnnxChecker(file);
    }

    /** A run directory as kiln train gpt really writes it (two steps on a tiny Brown-layout corpus) exports too. */
    @Test
    void trainedGptRunExports() throws Exception {
        Path brown = Files.createDirectories(dir.resolve("data").resolve("brown"));
        for (int d = 1; d <= 10; d++) {
            Files.writeString(brown.resolve(String.format("ca%02d", d)),
                    "\n\n\tThe/at cat/nn sat/vbd on/in the/at mat/nn ./.\n".repeat(20));
        }
        Path run = dir.resolve("gpt-run");
        CliRun train = CliRun.of("train", "gpt", "--data-dir", dir.resolve("data").toString(), "--out", run.toString(),
                "--threads", "2", "--layers", "1", "--width", "16", "--heads", "2", "--context", "12", "--batch-size", "4",
                "--steps", "2", "--eval-windows", "4");
        assertEquals(0, train.exitCode(), train.out() + train.err());
        CliRun r = CliRun.of("export", run.toString());
        assertEquals(0, r.exitCode(), r.err());
        Map<String, String> meta;
        try (Safetensors.Checkpoint c = Safetensors.load(run.resolve("model.safetensors"))) {
            meta = c.metadata();
        }
        @SuppressWarnings("unchecked")
        Gpt model = TrainedModels.gpt((Map<String, Object>) JsonFiles.parse(meta.get("config"), "config"));
        TrainedModels.load(run.resolve("model.safetensors"), model);
        model.eval();
        Generator g = new Generator(15);
        long[] ids = randomIds(g, 2 * 12, model.config.vocabSize());
        float[] kiln;
        try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
            kiln = model.forward(Tensor.fromArray(ids, 2, 12)).value().toFloatArray();
        }
        assertClose(kiln, onnxRuntimeTokens(run.resolve("model.onnx"), ids, 2, 12, new long[] {2, 12, model.config.vocabSize()}));
    }

    @Test
    void unsupportedRunAndMissingModelAreOneLineUsageErrors() throws Exception {
        Path run = Files.createDirectories(dir.resolve("seq2seq"));
        Safetensors.saveModule(run.resolve("model.safetensors"), CnnCommand.model(28, 28, new Generator(1)),
                Map.of("model", "kiln train seq2seq: 2 layers"));
        CliRun other = CliRun.of("export", run.toString());
        assertEquals(2, other.exitCode());
        assertTrue(other.errorLine().contains("exports runs of kiln train cnn, rnn, classify and gpt"), other.err());
        Path quantized = Files.createDirectories(dir.resolve("quantized"));
        Safetensors.saveModule(quantized.resolve("model.safetensors"), CnnCommand.model(28, 28, new Generator(1)),
                Map.of("model", "kiln train cnn: conv32-conv64-fc128-fc10", Quantizer.FORMAT_KEY, Quantizer.FORMAT));
        CliRun q = CliRun.of("export", quantized.toString());
        assertEquals(2, q.exitCode());
        assertTrue(q.errorLine().contains("kiln quantize"), q.err());
        Path noConfig = Files.createDirectories(dir.resolve("gpt-without-config"));
        Safetensors.saveModule(noConfig.resolve("model.safetensors"), CnnCommand.model(28, 28, new Generator(1)),
                Map.of("model", "kiln train gpt: 2 layers"));
        CliRun gpt = CliRun.of("export", noConfig.toString());
        assertEquals(1, gpt.exitCode());
        assertTrue(gpt.errorLine().contains("no \"config\""), gpt.err());
        CliRun none = CliRun.of("export", dir.resolve("nothing").toString());
        assertEquals(2, none.exitCode());
        assertTrue(none.errorLine().contains("no model.safetensors"), none.err());
        CliRun format = CliRun.of("export", noConfig.toString(), "--format", "tflite");
        assertEquals(2, format.exitCode());
    }
}
