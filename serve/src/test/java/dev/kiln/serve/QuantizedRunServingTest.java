package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.NoGrad;
import dev.kiln.autograd.Var;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.quant.Quantizer;
import dev.kiln.serve.model.RunDirectoryModels;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run directory written by {@code kiln quantize} serves like any other: int8 logits, close to the F32 model's. */
class QuantizedRunServingTest {
    @TempDir
    Path tmp;

    @Test
    void quantizedCnnRunServesItsInt8Model() throws Exception {
        Sequential int8 = TinyRuns.cnnModel();
        int8.eval();
        Quantizer.quantize(int8);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", "kiln train cnn: conv32-conv64-fc128-fc10");
        meta.put("input_mean", Double.toString(TinyRuns.MEAN));
        meta.put("input_std", Double.toString(TinyRuns.STD));
        meta.put("input_height", Integer.toString(TinyRuns.SIDE));
        meta.put("input_width", Integer.toString(TinyRuns.SIDE));
        Path run = Files.createDirectories(tmp.resolve("cnn-int8"));
        Quantizer.save(run.resolve("model.safetensors"), int8, meta);

        int images = 3;
        float[] x = ModelServerTest.pixels(images, 21);
        float[] normalised = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            normalised[i] = (float) ((x[i] - TinyRuns.MEAN) / TinyRuns.STD);
        }
        float[] expected;
        try (NoGrad _ = NoGrad.enter(); TensorScope _ = TensorScope.open()) {
            expected = int8.forward(Var.constant(Tensor.fromArray(normalised, images, 1, TinyRuns.SIDE, TinyRuns.SIDE)))
                    .value().toFloatArray();
        }
        float[] f32 = ModelServerTest.referenceImageLogits(x, images);
        try (ModelServer server = ModelServer.builder().port(0).model("fashion", RunDirectoryModels.load(run)).start();
             Http http = new Http(server.port())) {
            Http.Reply reply = http.post("/v2/models/fashion/infer", ModelServerTest.imageRequest(x, images));
            assertEquals(200, reply.status(), reply.body());
            float[] served = ModelServerTest.floats(ModelServerTest.output(reply.json(), "logits"));
            double scale = 0;
            double worstVsF32 = 0;
            for (int i = 0; i < f32.length; i++) {
                scale = Math.max(scale, Math.abs(f32[i]));
            }
            for (int i = 0; i < served.length; i++) {
                assertEquals(expected[i], served[i], 1e-6 * Math.max(1, Math.abs(expected[i])), "logit " + i);
                worstVsF32 = Math.max(worstVsF32, Math.abs(served[i] - f32[i]));
            }
            // int8 weights and activations: a few percent of the logits' range, and not bit-equal to F32.
            assertTrue(worstVsF32 < 0.05 * scale, "int8 vs F32 worst " + worstVsF32 + " of range " + scale);
            assertTrue(worstVsF32 > 0, "the served model should be the int8 one, not the F32 weights");
        }
    }
}
