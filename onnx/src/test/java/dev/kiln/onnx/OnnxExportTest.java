package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Activation;
import dev.kiln.nn.BatchNorm1d;
import dev.kiln.nn.BatchNorm2d;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.LayerNorm;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Pool2d;
import dev.kiln.nn.RMSNorm;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.UnaryModule;
import dev.kiln.nn.recurrent.GRU;
import dev.kiln.nn.recurrent.LSTM;
import dev.kiln.nn.recurrent.RecurrentOptions;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.random.Generator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import onnx.Onnx.ModelProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every exporter rule, run in ONNX Runtime and matched against Kiln's own forward pass to 1e-4. */
class OnnxExportTest {
    @TempDir
    Path tmp;

    /** kiln train cnn's ConvNet (conv32-conv64-fc128-fc10), on 28 x 28 images. */
    static Sequential cnn(Generator g) {
        return new Sequential(
                Conv2d.builder(1, 32, 3).generator(g).build(), Activation.relu(), Pool2d.max(2),
                Conv2d.builder(32, 64, 3).generator(g).build(), Activation.relu(), Pool2d.max(2),
                new Flatten(), new Linear(1600, 128, true, g), Activation.relu(), new Linear(128, 10, true, g));
    }

    /** The other rules: 'same' and strided/padded/grouped conv, batch norm, average pooling, the activations. */
    static Sequential mixed(Generator g) {
        return new Sequential(
                Conv2d.same(3, 8, 4, 1, 1, true, g), new BatchNorm2d(8), Activation.gelu(),
                Conv2d.builder(8, 8, 3).stride(2).padding(1).groups(2).bias(false).generator(g).build(), Activation.silu(),
                Pool2d.avg(3, 2, 1), Activation.geluTanh(), Pool2d.max(2, 1, 1), Activation.tanh(), new Dropout(0.5, g),
                new Flatten(), new Linear(8 * 5 * 5, 16, true, g), new BatchNorm1d(16), new LayerNorm(16),
                new LayerNorm(new int[] {16}, 1e-3, false), Activation.sigmoid(),
                new Linear(16, 5, false, g), Activation.logSoftmax(1));
    }

    private static float[] kiln(UnaryModule m, Tensor x) {
        m.eval();
        try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
            return m.forward(Var.constant(x)).value().toFloatArray();
        }
    }

    static Object[] dims(Object... dims) {
        return dims;
    }

    private static long[] longs(int... dims) {
        return Arrays.stream(dims).asLongStream().toArray();
    }

    private void check(String what, UnaryModule m, Tensor x, int[] outShape, Object[] inputDims, Object... outputDims)
            throws Exception {
        ModelProto model = OnnxExport.model(what, m, Map.of("source", "OnnxExportTest"), inputDims, outputDims);
        float[] expected = kiln(m, x);
        float[] actual = OnnxRuntimeCheck.run(model, x.toFloatArray(), longs(x.shape().toArray()), longs(outShape));
        OnnxRuntimeCheck.assertClose(what, expected, actual);
        OnnxCheckerTest.checkIfAvailable(model, tmp.resolve(what + ".onnx"));
    }

    @Test
    void cnnMatchesOnnxRuntime() throws Exception {
        Generator g = new Generator(1);
        check("cnn", cnn(g), Tensor.randn(g, 3, 1, 28, 28), new int[] {3, 10}, dims("batch", 1, 28, 28), "batch", 10);
    }

    @Test
    void mixedLayersMatchOnnxRuntime() throws Exception {
        Generator g = new Generator(2);
        Sequential m = mixed(g);
        m.train(); // move the batch-norm running statistics away from 0 / 1 so the export must carry them
        try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
            for (int i = 0; i < 3; i++) {
                m.forward(Var.constant(Tensor.randn(g, 4, 3, 16, 16).mul(2).add(0.5)));
            }
        }
        check("mixed", m, Tensor.randn(g, 2, 3, 16, 16), new int[] {2, 5}, dims("batch", 3, 16, 16), "batch", 5);
    }

    @Test
    void lstmMatchesOnnxRuntime() throws Exception {
        Generator g = new Generator(3);
        LSTM lstm = new LSTM(3, 6, RecurrentOptions.defaults().numLayers(2).batchFirst(true), g);
        check("lstm", lstm, Tensor.randn(g, 2, 7, 3), new int[] {2, 7, 6}, dims("batch", "time", 3), "batch", "time", 6);
    }

    @Test
    void timeMajorGruMatchesOnnxRuntime() throws Exception {
        Generator g = new Generator(4);
        GRU gru = new GRU(2, 5, RecurrentOptions.defaults().numLayers(2), g);
        check("gru", gru, Tensor.randn(g, 6, 3, 2), new int[] {6, 3, 5}, dims("time", "batch", 2), "time", "batch", 5);
    }

    /** Two bidirectional layers: the second reads both directions' states, [T, N, 2H], as torch stacks them. */
    @Test
    void bidirectionalLstmMatchesOnnxRuntime() throws Exception {
        Generator g = new Generator(6);
        LSTM lstm = new LSTM(3, 5, RecurrentOptions.defaults().numLayers(2).batchFirst(true).bidirectional(true), g);
        check("bilstm", lstm, Tensor.randn(g, 2, 6, 3), new int[] {2, 6, 10}, dims("batch", "time", 3), "batch", "time", 10);
    }

    @Test
    void bidirectionalGruWithoutBiasMatchesOnnxRuntime() throws Exception {
        Generator g = new Generator(7);
        GRU gru = new GRU(4, 3, RecurrentOptions.defaults().numLayers(2).bias(false).bidirectional(true), g);
        check("bigru", gru, Tensor.randn(g, 5, 2, 4), new int[] {5, 2, 6}, dims("time", "batch", 4), "time", "batch", 6);
    }

    @Test
    void moduleWithoutRuleIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxExport.model("m", new Sequential(new Linear(2, 2), new RMSNorm(2)), Map.of(), dims("batch", 2),
                        dims("batch", 2)));
        assertTrue(e.getMessage().contains("RMSNorm"), e.getMessage());
    }

    /** A Linear whose forward was replaced (kiln quantize's int8 layers) must not export its stale F32 weights. */
    @Test
    void replacedLinearIsRefused() {
        Linear l = new Linear(2, 2);
        l.replaceForward(Activation.relu());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxExport.model("m", new Sequential(l), Map.of(), dims("batch", 2), dims("batch", 2)));
        assertTrue(e.getMessage().contains("replaced"), e.getMessage());
    }

    @Test
    void writtenFileRoundTrips() throws IOException {
        ModelProto model = OnnxExport.model("cnn", cnn(new Generator(5)), Map.of("k", "v"), dims("batch", 1, 28, 28),
                dims("batch", 10));
        Path file = tmp.resolve("m.onnx");
        OnnxGraph.write(model, file);
        ModelProto back = ModelProto.parseFrom(Files.readAllBytes(file));
        assertEquals(OnnxGraph.OPSET, back.getOpsetImport(0).getVersion());
        assertEquals("v", back.getMetadataProps(0).getValue());
        assertEquals(model, back);
    }
}
