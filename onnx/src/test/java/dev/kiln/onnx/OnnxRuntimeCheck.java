package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.Map;
import onnx.Onnx.ModelProto;

/**
 * Runs an exported model in ONNX Runtime (the independent reference) and compares its output with
 * Kiln's, printing the worst difference as the golden tests do.
 */
final class OnnxRuntimeCheck {
    static final double TOLERANCE = 1e-4;

    private OnnxRuntimeCheck() {}

    /** ONNX Runtime's output of {@code model} for input "input" of {@code shape}: its shape and values. */
    static float[] run(ModelProto model, float[] input, long[] shape, long[] expectedOutputShape) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                OrtSession session = env.createSession(model.toByteArray(), options);
                OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
                OrtSession.Result result = session.run(Map.of("input", x))) {
            OnnxTensor y = (OnnxTensor) result.get("output").orElseThrow();
            assertArrayEquals(expectedOutputShape, y.getInfo().getShape(), "ONNX Runtime output shape");
            FloatBuffer buf = y.getFloatBuffer();
            float[] out = new float[buf.remaining()];
            buf.get(out);
            return out;
        }
    }

    /** ONNX Runtime's "logits" of a token model for "input_ids" {@code ids} of {@code shape}, its shape checked. */
    static float[] runTokens(ModelProto model, long[] ids, long[] shape, long[] expectedOutputShape) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                OrtSession session = env.createSession(model.toByteArray(), options);
                OnnxTensor x = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                OrtSession.Result result = session.run(Map.of(OnnxTransformerExport.INPUT, x))) {
            OnnxTensor y = (OnnxTensor) result.get(OnnxTransformerExport.OUTPUT).orElseThrow();
            assertArrayEquals(expectedOutputShape, y.getInfo().getShape(), "ONNX Runtime output shape");
            FloatBuffer buf = y.getFloatBuffer();
            float[] out = new float[buf.remaining()];
            buf.get(out);
            return out;
        }
    }

    /** Asserts |kiln - ort| <= TOLERANCE elementwise and prints the worst difference. */
    static void assertClose(String what, float[] kiln, float[] ort) {
        assertTrue(kiln.length == ort.length, what + ": Kiln has " + kiln.length + " values, ONNX Runtime " + ort.length);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < kiln.length; i++) {
            double d = Math.abs(kiln[i] - ort[i]);
            if (!(d <= worst)) { // NaN counts as worst
                worst = d;
                at = i;
            }
        }
        System.out.printf("%s: %d values, max |kiln - onnxruntime| = %.3g%s%n", what, kiln.length, worst,
                at < 0 ? "" : " at " + at);
        assertTrue(worst <= TOLERANCE, what + ": max |kiln - onnxruntime| = " + worst + " at index " + at + " (kiln "
                + (at < 0 ? "" : kiln[at] + ", onnxruntime " + ort[at]) + "), tolerance " + TOLERANCE + "; first values kiln "
                + Arrays.toString(Arrays.copyOf(kiln, Math.min(4, kiln.length))));
    }
}
