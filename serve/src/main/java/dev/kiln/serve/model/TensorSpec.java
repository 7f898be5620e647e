package dev.kiln.serve.model;

import java.util.Arrays;

/**
 * A model input or output as KServe v2 metadata describes it: a name, a datatype ({@code FP32},
 * {@code INT64}, {@code BYTES}) and a shape where -1 is a free dimension (the batch).
 *
 * @param name the tensor's name in requests and responses
 * @param datatype the protocol's datatype name
 * @param shape the dimensions, -1 for any size
 */
public record TensorSpec(String name, String datatype, long[] shape) {
    /** Checks the parts and copies the shape. */
    public TensorSpec {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("TensorSpec: name must be non-empty, got " + name);
        }
        if (datatype == null) {
            throw new IllegalArgumentException("TensorSpec: datatype must be non-null");
        }
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && datatype.equals(t.datatype) && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + datatype + " " + Arrays.toString(shape);
    }
}
