package dev.kiln.autograd;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A golden fixture written by {@code src/test/python/golden_fixtures.py}: named tensors, two lines
 * each ({@code name dtype dims...}, then the row-major values). f32 entries are inputs and
 * parameters, f64 entries are PyTorch's float64 results, i64 entries are class indices.
 */
final class GoldenFixture {
    record Entry(String dtype, int[] shape, double[] values) {}

    private final String resource;
    private final Map<String, Entry> entries;

    private GoldenFixture(String resource, Map<String, Entry> entries) {
        this.resource = resource;
        this.entries = entries;
    }

    static GoldenFixture load(String resource) throws IOException {
        String text;
        try (InputStream in = GoldenFixture.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("golden fixture " + resource + " is not on the test classpath");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        String[] lines = text.split("\n");
        int i = 0;
        while (i < lines.length) {
            String header = lines[i].strip();
            if (header.isEmpty() || header.startsWith("#")) {
                i++;
                continue;
            }
            String[] h = header.split(" ");
            if (h.length < 2 || i + 1 >= lines.length) {
                throw new IOException(resource + " line " + (i + 1) + ": expected 'name dtype dims...' then a value line, got '"
                        + header + "'");
            }
            int[] shape = new int[h.length - 2];
            int numel = 1;
            for (int d = 0; d < shape.length; d++) {
                shape[d] = Integer.parseInt(h[d + 2]);
                numel *= shape[d];
            }
            String body = lines[i + 1].strip();
            String[] tokens = body.isEmpty() ? new String[0] : body.split(" ");
            if (tokens.length != numel) {
                throw new IOException(resource + " line " + (i + 2) + ": '" + h[0] + "' has shape " + java.util.Arrays.toString(shape)
                        + " (" + numel + " values) but the line holds " + tokens.length);
            }
            double[] values = new double[numel];
            for (int k = 0; k < numel; k++) {
                values[k] = Double.parseDouble(tokens[k]);
            }
            entries.put(h[0], new Entry(h[1], shape, values));
            i += 2;
        }
        return new GoldenFixture(resource, entries);
    }

    Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException(resource + " has no tensor '" + name + "'; it has " + entries.keySet());
        }
        return e;
    }

    /** An f32 entry as an F32 tensor (exact: the file holds float32 values). */
    Tensor f32(String name) {
        Entry e = entry(name);
        return Tensor.fromArray(e.values(), DType.F32, e.shape());
    }

    /** An i64 entry as an I64 tensor. */
    Tensor i64(String name) {
        Entry e = entry(name);
        long[] v = new long[e.values().length];
        for (int k = 0; k < v.length; k++) {
            v[k] = (long) e.values()[k];
        }
        return Tensor.fromArray(v, e.shape());
    }

    /** A trainable leaf from an f32 entry. */
    Var param(String name) {
        return Var.leaf(f32(name), true);
    }

    String resource() {
        return resource;
    }
}
