package dev.kiln.serve.model;

import java.util.Arrays;
import java.util.List;

/**
 * One input tensor of an infer request, parsed from the protocol's JSON but not yet checked
 * against a model: its data flattened in row-major order, as numbers ({@code FP32} and the integer
 * types) or strings ({@code BYTES}).
 *
 * @param index its position in the request's {@code inputs} list, for error messages
 * @param name its name
 * @param datatype the datatype the client declared
 * @param shape the shape the client declared (its product equals the data's length)
 * @param numbers the data of a numeric tensor (null for BYTES)
 * @param strings the data of a BYTES tensor (null otherwise)
 */
public record InferTensor(int index, String name, String datatype, long[] shape, double[] numbers, List<String> strings) {
    /** {@code inputs[i]}, how error messages name this tensor. */
    public String field() {
        return "inputs[" + index + "]";
    }

    /** The number of elements. */
    public int size() {
        return numbers != null ? numbers.length : strings.size();
    }

    @Override
    public String toString() {
        return field() + " " + name + " " + datatype + " " + Arrays.toString(shape);
    }
}
