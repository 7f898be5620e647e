package dev.kiln.data.io;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * The content of one IDX file (the format of MNIST and Fashion-MNIST): an element type, the
 * dimensions, and the elements in row-major order, big-endian as stored.
 */
public final class IdxArray {
    /** The IDX element types, by their type byte. */
    public enum Type {
        UBYTE(0x08, 1), BYTE(0x09, 1), SHORT(0x0B, 2), INT(0x0C, 4), FLOAT(0x0D, 4), DOUBLE(0x0E, 8);

        private final int code;
        private final int bytes;

        Type(int code, int bytes) {
            this.code = code;
            this.bytes = bytes;
        }

        /** The type byte of the IDX header. */
        public int code() {
            return code;
        }

        /** Bytes per element. */
        public int bytes() {
            return bytes;
        }

        /** The type with this type byte, or null. */
        public static Type of(int code) {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            return null;
        }
    }

    private final Type type;
    private final int[] dims;
    private final ByteBuffer data;
    private final int numel;

    /**
     * @param data exactly {@code product(dims) * type.bytes()} bytes, big-endian
     * @throws IllegalArgumentException if the data length does not match the dimensions
     */
    public IdxArray(Type type, int[] dims, byte[] data) {
        this.type = Objects.requireNonNull(type, "IdxArray: type");
        this.dims = dims.clone();
        long n = 1;
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("IdxArray: negative dimension in " + Arrays.toString(dims));
            }
            n *= d;
        }
        if (n * type.bytes() != data.length) {
            throw new IllegalArgumentException("IdxArray: dims " + Arrays.toString(dims) + " of " + type + " need "
                    + n * type.bytes() + " bytes, got " + data.length);
        }
        this.numel = (int) n;
        this.data = ByteBuffer.wrap(data).order(ByteOrder.BIG_ENDIAN);
    }

    public Type type() {
        return type;
    }

    /** The dimensions (a copy). */
    public int[] dims() {
        return dims.clone();
    }

    /** Size of dimension {@code d}. */
    public int dim(int d) {
        return dims[d];
    }

    public int rank() {
        return dims.length;
    }

    /** Number of elements. */
    public int numel() {
        return numel;
    }

    /** Element {@code i} (row-major) as a double; unsigned bytes read as 0..255. */
    public double getDouble(int i) {
        Objects.checkIndex(i, numel);
        return switch (type) {
            case UBYTE -> data.get(i) & 0xff;
            case BYTE -> data.get(i);
            case SHORT -> data.getShort(2 * i);
            case INT -> data.getInt(4 * i);
            case FLOAT -> data.getFloat(4 * i);
            case DOUBLE -> data.getDouble(8 * i);
        };
    }

    /** Element {@code i} as a long; only for the integer types. */
    public long getLong(int i) {
        Objects.checkIndex(i, numel);
        return switch (type) {
            case UBYTE -> data.get(i) & 0xff;
            case BYTE -> data.get(i);
            case SHORT -> data.getShort(2 * i);
            case INT -> data.getInt(4 * i);
            case FLOAT, DOUBLE -> throw new IllegalStateException("IdxArray.getLong: elements are " + type);
        };
    }

    /**
     * Elements {@code [from, from + n)} as floats divided by {@code divisor} in float arithmetic
     * (255 maps bytes to [0, 1] exactly as torchvision's {@code x.float() / 255}).
     */
    public float[] toFloatArray(int from, int n, float divisor) {
        Objects.checkFromIndexSize(from, n, numel);
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            out[j] = (float) getDouble(from + j) / divisor;
        }
        return out;
    }

    /** All elements as longs (integer types only). */
    public long[] toLongArray() {
        long[] out = new long[numel];
        for (int j = 0; j < numel; j++) {
            out[j] = getLong(j);
        }
        return out;
    }

    /** A new tensor of the given dtype and this array's shape, elements times {@code scale}. */
    public Tensor toTensor(DType dtype, double scale) {
        double[] v = new double[numel];
        for (int j = 0; j < numel; j++) {
            v[j] = getDouble(j) * scale;
        }
        return Tensor.fromArray(v, dtype, dims);
    }

    @Override
    public String toString() {
        return "IdxArray(" + type + ", " + Arrays.toString(dims) + ")";
    }
}
