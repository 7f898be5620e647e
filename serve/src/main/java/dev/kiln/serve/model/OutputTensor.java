package dev.kiln.serve.model;

import java.util.Arrays;
import java.util.List;

/**
 * One output tensor of one request, as the protocol returns it: a name, a datatype and a shape,
 * with its data flattened in row-major order in exactly one of {@code f32} ({@code FP32}),
 * {@code i64} ({@code INT64}) or {@code text} ({@code BYTES}).
 *
 * @param name the output's name (one of the model's {@link ServedModel#outputs()})
 * @param datatype {@code FP32}, {@code INT64} or {@code BYTES}
 * @param shape its dimensions; their product is the data's length
 * @param f32 FP32 data, or null
 * @param i64 INT64 data, or null
 * @param text BYTES data, or null
 */
public record OutputTensor(String name, String datatype, long[] shape, float[] f32, long[] i64, List<String> text) {
    /** Checks that the data matches the datatype and the shape. */
    public OutputTensor {
        int present = (f32 != null ? 1 : 0) + (i64 != null ? 1 : 0) + (text != null ? 1 : 0);
        String expected = f32 != null ? "FP32" : i64 != null ? "INT64" : "BYTES";
        if (present != 1 || !expected.equals(datatype)) {
            throw new IllegalArgumentException("OutputTensor " + name + ": datatype " + datatype
                    + " needs exactly its own data array, got " + present + " arrays (first: " + expected + ")");
        }
        long product = 1;
        for (long d : shape) {
            product *= d;
        }
        int length = f32 != null ? f32.length : i64 != null ? i64.length : text.size();
        if (product != length) {
            throw new IllegalArgumentException("OutputTensor " + name + ": shape " + Arrays.toString(shape) + " holds "
                    + product + " values, got " + length);
        }
        shape = shape.clone();
        text = text == null ? null : List.copyOf(text);
    }

    /** An FP32 output. */
    public static OutputTensor fp32(String name, float[] data, long... shape) {
        return new OutputTensor(name, "FP32", shape, data, null, null);
    }

    /** An INT64 output. */
    public static OutputTensor int64(String name, long[] data, long... shape) {
        return new OutputTensor(name, "INT64", shape, null, data, null);
    }

    /** A BYTES output of UTF-8 strings. */
    public static OutputTensor bytes(String name, List<String> data, long... shape) {
        return new OutputTensor(name, "BYTES", shape, null, null, data);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }
}
