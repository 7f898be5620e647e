package dev.kiln.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fixture written by {@code nn/src/test/python/safetensors_fixtures.py}: the file's bytes and,
 * from its {@code .txt} companion, every tensor's exact values (floats as bit patterns) and the
 * metadata, in the order the script inserted them.
 */
record SafetensorsFixture(byte[] fileBytes, Map<String, Expected> tensors, Map<String, String> metadata) {

    /** One tensor: dtype, shape and raw values (float bit patterns, or integer values). */
    record Expected(String name, DType dtype, int[] shape, long[] raw) {
        /** A fresh Kiln tensor holding exactly these values, built without going through safetensors. */
        Tensor toTensor() {
            int n = raw.length;
            return switch (dtype) {
                case F64 -> {
                    double[] d = new double[n];
                    for (int i = 0; i < n; i++) {
                        d[i] = Double.longBitsToDouble(raw[i]);
                    }
                    yield Tensor.fromArray(d, DType.F64, shape);
                }
                case F32 -> {
                    float[] f = new float[n];
                    for (int i = 0; i < n; i++) {
                        f[i] = Float.intBitsToFloat((int) raw[i]);
                    }
                    yield Tensor.fromArray(f, shape);
                }
                case F16, BF16 -> {
                    short[] s = new short[n];
                    for (int i = 0; i < n; i++) {
                        s[i] = (short) raw[i];
                    }
                    yield Tensor.fromBits(s, dtype, shape);
                }
                case I64 -> Tensor.fromArray(raw.clone(), shape);
                case I32 -> {
                    int[] v = new int[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = (int) raw[i];
                    }
                    yield Tensor.fromArray(v, shape);
                }
                case I8 -> {
                    byte[] v = new byte[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = (byte) raw[i];
                    }
                    yield Tensor.fromArray(v, shape);
                }
                case BOOL -> {
                    boolean[] v = new boolean[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = raw[i] != 0;
                    }
                    yield Tensor.fromArray(v, shape);
                }
            };
        }

        /** Asserts that {@code t} has this dtype, shape and exactly these values (bit for bit). */
        void assertMatches(Tensor t) {
            assertEquals(dtype, t.dtype(), name + ": dtype");
            assertArrayEquals(shape, t.shape().toArray(), name + ": shape");
            assertArrayEquals(raw, rawOf(t), name + ": values");
        }
    }

    /** Bit patterns of floats, values of integers and bools (0/1), row-major. */
    static long[] rawOf(Tensor t) {
        long[] out = new long[t.numel()];
        switch (t.dtype()) {
            case F64 -> {
                double[] d = t.toDoubleArray();
                for (int i = 0; i < out.length; i++) {
                    out[i] = Double.doubleToRawLongBits(d[i]);
                }
            }
            case F32 -> {
                float[] f = t.toFloatArray();
                for (int i = 0; i < out.length; i++) {
                    out[i] = Float.floatToRawIntBits(f[i]) & 0xffffffffL;
                }
            }
            case F16, BF16 -> {
                short[] s = t.toBits();
                for (int i = 0; i < out.length; i++) {
                    out[i] = s[i] & 0xffff;
                }
            }
            case BOOL -> {
                boolean[] b = t.toBooleanArray();
                for (int i = 0; i < out.length; i++) {
                    out[i] = b[i] ? 1 : 0;
                }
            }
            default -> {
                return t.toLongArray();
            }
        }
        return out;
    }

    static SafetensorsFixture load(String name) {
        byte[] file = resource("/safetensors/" + name + ".safetensors");
        String text = new String(resource("/safetensors/" + name + ".txt"), StandardCharsets.UTF_8);
        Map<String, Expected> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<String> lines = new ArrayList<>(text.lines().toList());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String[] f = line.split(" ");
            if (f[0].equals("metadata")) {
                metadata.put(unhex(f[1]), f.length > 2 ? unhex(f[2]) : "");
                continue;
            }
            String tensorName = unhex(f[1]);
            DType dtype = DType.valueOf(f[2]);
            int[] shape = new int[f.length - 3];
            for (int d = 0; d < shape.length; d++) {
                shape[d] = Integer.parseInt(f[3 + d]);
            }
            String values = lines.get(++i).trim();
            String[] v = values.isEmpty() ? new String[0] : values.split(" ");
            long[] raw = new long[v.length];
            for (int k = 0; k < v.length; k++) {
                raw[k] = dtype.isFloatingPoint() ? Long.parseUnsignedLong(v[k], 16) : Long.parseLong(v[k]);
            }
            tensors.put(tensorName, new Expected(tensorName, dtype, shape, raw));
        }
        return new SafetensorsFixture(file, tensors, metadata);
    }

    private static String unhex(String hex) {
        return new String(HexFormat.of().parseHex(hex), StandardCharsets.UTF_8);
    }

    private static byte[] resource(String path) {
        try (InputStream in = SafetensorsFixture.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + path
                        + " (run nn/src/test/python/safetensors_fixtures.py)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
