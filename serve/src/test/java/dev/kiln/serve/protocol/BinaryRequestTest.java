package dev.kiln.serve.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.serve.ServeException;
import dev.kiln.serve.model.OutputTensor;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Bodies of the binary tensor data extension at the parser: every datatype's bytes against values
 * written out by hand, a request mixing a JSON input with binary ones (no served model takes two
 * inputs, so the live tests cannot send one), and the output layout against hand-made bytes.
 */
class BinaryRequestTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static byte[] body(String json, byte[] binary) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(json.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(binary);
        return out.toByteArray();
    }

    private static ByteBuffer le(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String input(String name, String datatype, int count, int binarySize) {
        return "{\"name\":\"" + name + "\",\"datatype\":\"" + datatype + "\",\"shape\":[" + count + "],"
                + "\"parameters\":{\"binary_data_size\":" + binarySize + "}}";
    }

    /** One binary input of {@code datatype} holding {@code bytes}, parsed. */
    private static double[] decode(String datatype, int count, byte[] bytes) {
        String json = "{\"inputs\":[" + input("x", datatype, count, bytes.length) + "]}";
        int n = json.getBytes(StandardCharsets.UTF_8).length;
        return InferRequest.parseBinary(body(json, bytes), n, JSON).inputs().getFirst().numbers();
    }

    @Test
    void everyNumericDatatypeDecodesLittleEndian() {
        assertArrayEquals(new double[] {1.5, -2.25}, decode("FP32", 2, le(8).putFloat(1.5f).putFloat(-2.25f).array()));
        assertArrayEquals(new double[] {0.1}, decode("FP64", 1, le(8).putDouble(0.1).array()));
        // FP16 1.0 is 0x3C00, -2.0 is 0xC000, 65504 (the largest) is 0x7BFF.
        assertArrayEquals(new double[] {1, -2, 65504},
                decode("FP16", 3, le(6).putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x7BFF).array()));
        assertArrayEquals(new double[] {-1, 127}, decode("INT8", 2, new byte[] {(byte) 0xFF, 0x7F}));
        assertArrayEquals(new double[] {255, 0}, decode("UINT8", 2, new byte[] {(byte) 0xFF, 0}));
        assertArrayEquals(new double[] {1, 0, 1}, decode("BOOL", 3, new byte[] {1, 0, 1}));
        assertArrayEquals(new double[] {-2}, decode("INT16", 1, le(2).putShort((short) -2).array()));
        assertArrayEquals(new double[] {65535}, decode("UINT16", 1, new byte[] {(byte) 0xFF, (byte) 0xFF}));
        assertArrayEquals(new double[] {-7}, decode("INT32", 1, le(4).putInt(-7).array()));
        assertArrayEquals(new double[] {4294967295.0}, decode("UINT32", 1, le(4).putInt(-1).array()));
        assertArrayEquals(new double[] {-3_000_000_000L}, decode("INT64", 1, le(8).putLong(-3_000_000_000L).array()));
        assertArrayEquals(new double[] {18446744073709551615.0}, decode("UINT64", 1, le(8).putLong(-1).array()));
        assertArrayEquals(new double[] {9223372036854775808.0}, decode("UINT64", 1, le(8).putLong(Long.MIN_VALUE).array()));
    }

    @Test
    void refusesBadBoolsAndNonFiniteFloats() {
        ServeException bool = assertThrows(ServeException.class, () -> decode("BOOL", 2, new byte[] {1, 2}));
        assertEquals("inputs[0] binary data, element 1: expected a BOOL byte 0 or 1, got 2", bool.getMessage());
        ServeException inf = assertThrows(ServeException.class,
                () -> decode("FP16", 1, le(2).putShort((short) 0x7C00).array()));
        assertTrue(inf.getMessage().startsWith("inputs[0] binary data, element 0: expected a number within FP16's range"),
                inf.getMessage());
        ServeException nan = assertThrows(ServeException.class, () -> decode("FP64", 1, le(8).putDouble(Double.NaN).array()));
        assertTrue(nan.getMessage().startsWith("inputs[0] binary data, element 0: expected a number within FP64's range"),
                nan.getMessage());
    }

    @Test
    void mixedJsonAndBinaryInputsTakeTheirBytesInInputOrder() {
        byte[] text = le(4 + 2 + 4 + 3).putInt(2).put("hi".getBytes(StandardCharsets.UTF_8)).putInt(3)
                .put(new byte[] {'a', (byte) 0xC3, (byte) 0xA9}).array(); // "aé"
        byte[] ints = le(16).putLong(5).putLong(-6).array();
        String json = "{\"id\":\"m\",\"inputs\":[" + input("t", "BYTES", 2, text.length) + ","
                + "{\"name\":\"j\",\"datatype\":\"FP32\",\"shape\":[2],\"data\":[0.5,0.25]},"
                + input("k", "INT64", 2, ints.length) + "],"
                + "\"outputs\":[{\"name\":\"a\",\"parameters\":{\"binary_data\":true}},{\"name\":\"b\"}]}";
        ByteArrayOutputStream binary = new ByteArrayOutputStream();
        binary.writeBytes(text);
        binary.writeBytes(ints);
        InferRequest r = InferRequest.parseBinary(body(json, binary.toByteArray()), json.length(), JSON);
        assertEquals("m", r.id());
        assertEquals(List.of("hi", "aé"), r.inputs().get(0).strings());
        assertArrayEquals(new double[] {0.5, 0.25}, r.inputs().get(1).numbers());
        assertArrayEquals(new double[] {5, -6}, r.inputs().get(2).numbers());
        assertEquals(List.of("a", "b"), r.outputs());
        assertTrue(r.binaryOutput("a"));
        assertFalse(r.binaryOutput("b"));
        assertFalse(r.binaryDataOutput());

        // The same inputs with the binary ones swapped over: sizes no longer fit where they land.
        byte[] swapped = body(json, concat(ints, text));
        ServeException e = assertThrows(ServeException.class, () -> InferRequest.parseBinary(swapped, json.length(), JSON));
        assertTrue(e.getMessage().startsWith("inputs[0]"), e.getMessage());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }

    @Test
    void requestLevelBinaryOutputIsTheDefaultThatOutputsOverride() {
        String json = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}],"
                + "\"outputs\":[{\"name\":\"a\",\"parameters\":{\"binary_data\":false}}],\"parameters\":{\"binary_data_output\":true}}";
        InferRequest r = InferRequest.parse(json.getBytes(StandardCharsets.UTF_8), JSON);
        assertTrue(r.binaryDataOutput());
        assertFalse(r.binaryOutput("a"));
        assertTrue(r.binaryOutput("other"));
        assertNull(r.id());
    }

    @Test
    void jsonLengthHeaderIsADecimalCountWithinTheBody() {
        assertEquals(12, InferRequest.jsonLength(" 12 ", 20));
        for (String bad : List.of("", "x", "-1", "1e3", "0x10", "99999999999999999999", "0", "21")) {
            ServeException e = assertThrows(ServeException.class, () -> InferRequest.jsonLength(bad, 20), bad);
            assertTrue(e.getMessage().startsWith("Inference-Header-Content-Length header: expected"), e.getMessage());
        }
    }

    @Test
    void outputsEncodeInTheExtensionsLayout() {
        assertArrayEquals(le(8).putFloat(1.5f).putFloat(-1).array(),
                BinaryTensorData.encode(OutputTensor.fp32("p", new float[] {1.5f, -1}, 2)));
        assertArrayEquals(le(16).putLong(3).putLong(-1).array(),
                BinaryTensorData.encode(OutputTensor.int64("l", new long[] {3, -1}, 2)));
        assertArrayEquals(new byte[] {1, 0, 0, 0, 'a', 2, 0, 0, 0, (byte) 0xC3, (byte) 0xA9, 0, 0, 0, 0},
                BinaryTensorData.encode(OutputTensor.bytes("s", List.of("a", "é", ""), 3)));
    }
}
