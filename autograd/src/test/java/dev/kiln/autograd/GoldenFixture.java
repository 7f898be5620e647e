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
public final class GoldenFixture {
    public record Entry(String dtype, int[] shape, double[] values) {}

    private final String resource;
    private final Map<String, Entry> entries;

    private GoldenFixture(String resource, Map<String, Entry> entries) {
        this.resource = resource;
        this.entries = entries;
    }

    /** Loads a fixture from the test classpath of {@code anchor}'s module (e.g. "/golden/x.txt"). */
    public static GoldenFixture load(String resource) throws IOException {
        return load(GoldenFixture.class, resource);
    }

    public static GoldenFixture load(Class<?> anchor, String resource) throws IOException {
        String text;
        try (InputStream in = anchor.getResourceAsStream(resource)) {
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

    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException(resource + " has no tensor '" + name + "'; it has " + entries.keySet());
        }
        return e;
    }

    /** An f32 entry as an F32 tensor (exact: the file holds float32 values). */
    public Tensor f32(String name) {
        Entry e = entry(name);
        return Tensor.fromArray(e.values(), DType.F32, e.shape());
    }

    /** An i64 entry as an I64 tensor. */
    public Tensor i64(String name) {
        Entry e = entry(name);
        long[] v = new long[e.values().length];
        for (int k = 0; k < v.length; k++) {
            v[k] = (long) e.values()[k];
        }
        return Tensor.fromArray(v, e.shape());
    }

    /**
     * Every f32 entry whose name starts with {@code prefix}, keyed by the rest of the name: a
     * state dict for {@code Module.loadStateDict} (e.g. prefix "enc." for "enc.linear1.weight").
     */
    public Map<String, Tensor> stateDict(String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            if (e.getKey().startsWith(prefix) && e.getValue().dtype().equals("f32")) {
                out.put(e.getKey().substring(prefix.length()), f32(e.getKey()));
            }
        }
        return out;
    }

    /** A BOOL tensor from an i64 entry of 0/1 values (masks). */
    public Tensor bool(String name) {
        Entry e = entry(name);
        boolean[] v = new boolean[e.values().length];
        for (int k = 0; k < v.length; k++) {
            v[k] = e.values()[k] != 0;
        }
        return Tensor.fromArray(v, e.shape());
    }

    /** A trainable leaf from an f32 entry. */
    public Var param(String name) {
        return Var.leaf(f32(name), true);
    }

    public String resource() {
        return resource;
    }

    /**
     * Asserts that {@code actual} has the shape of entry {@code name} and matches its values to
     * {@code rtol}, printing the worst relative error (llm.c style: which tensor diverged, by how much).
     * Relative error per element is {@code |actual - expected| / max(|expected|, 1e-2 * max|expected|)}:
     * an element a hundred times smaller than the tensor's largest is compared at the tensor's
     * scale, because F32 rounding in a sum is proportional to the terms summed, not to the
     * (possibly cancelled) result.
     *
     * @return the worst relative error
     */
    public double assertMatches(String name, Tensor actual, double rtol) {
        return assertMatches(name, actual, rtol, 1e-2);
    }

    /**
     * As {@link #assertMatches(String, Tensor, double)} with the floor at {@code floorFraction * max|expected|}:
     * 1.0 measures every element against the tensor's scale (for values reached by cancellation,
     * such as parameters after many updates, whose small elements carry the rounding of large ones).
     */
    public double assertMatches(String name, Tensor actual, double rtol, double floorFraction) {
        Entry want = entry(name);
        if (!java.util.Arrays.equals(want.shape(), actual.shape().toArray())) {
            throw new AssertionError(resource + " " + name + ": shape " + actual.shape() + ", expected "
                    + java.util.Arrays.toString(want.shape()));
        }
        double[] expected = want.values();
        double[] got = actual.toDoubleArray();
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        double floor = Math.max(floorFraction * scale, 1e-30);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < got.length; i++) {
            double err = Math.abs(got[i] - expected[i]) / Math.max(Math.abs(expected[i]), floor);
            if (!(err <= worst)) {
                worst = err;
                at = i;
            }
        }
        System.out.printf("golden %-50s max rel error %.2e%n", resource + " " + name, worst);
        if (!(worst <= rtol)) {
            throw new AssertionError(resource + " " + name + ": relative error " + worst + " > " + rtol + " at element " + at
                    + " (kiln " + got[at] + ", torch " + expected[at] + ")");
        }
        return worst;
    }
}
