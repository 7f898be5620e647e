package dev.kiln.eval.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference values written by {@code src/test/python/metric_fixtures.py} (see its docstring for
 * the format): a list of cases, each a kind and named entries (ints, doubles, matrices, words, or
 * "the reference raised").
 */
public final class MetricFixture {
    public static final String RESOURCE = "/metrics/sklearn_metrics.txt";

    public record Entry(char type, int rows, int cols, double[] values, String word) {}

    public record Case(int id, String kind, Map<String, Entry> entries) {
        public boolean has(String key) {
            return entries.containsKey(key);
        }

        public boolean raised(String key) {
            return has(key) && entry(key).type() == 'x';
        }

        public Entry entry(String key) {
            Entry e = entries.get(key);
            if (e == null) {
                throw new IllegalArgumentException("case " + id + " (" + kind + ") has no entry '" + key + "'");
            }
            return e;
        }

        public double[] doubles(String key) {
            return entry(key).values().clone();
        }

        public double scalar(String key) {
            double[] v = doubles(key);
            if (v.length != 1) {
                throw new IllegalArgumentException("case " + id + ": '" + key + "' has " + v.length + " values, not 1");
            }
            return v[0];
        }

        public double[] doublesOrNull(String key) {
            return has(key) ? doubles(key) : null;
        }

        public int[] ints(String key) {
            double[] v = doubles(key);
            int[] out = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                out[i] = (int) v[i];
            }
            return out;
        }

        public int[] intsOrNull(String key) {
            return has(key) ? ints(key) : null;
        }

        public double[][] matrix(String key) {
            Entry e = entry(key);
            double[][] m = new double[e.rows()][e.cols()];
            for (int i = 0; i < e.rows(); i++) {
                System.arraycopy(e.values(), i * e.cols(), m[i], 0, e.cols());
            }
            return m;
        }

        public String word(String key) {
            return entry(key).word();
        }

        @Override
        public String toString() {
            return "case " + id + " (" + kind + ")";
        }
    }

    private MetricFixture() {}

    public static List<Case> load(String kind) throws IOException {
        return loadAll().stream().filter(c -> c.kind().equals(kind)).toList();
    }

    public static List<Case> loadAll() throws IOException {
        String text;
        try (InputStream in = MetricFixture.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException(RESOURCE + " is not on the test classpath");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<Case> cases = new ArrayList<>();
        String[] lines = text.split("\n");
        Case current = null;
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] t = line.split(" ");
            try {
                if (t[0].equals("case")) {
                    current = new Case(Integer.parseInt(t[1]), t[2], new LinkedHashMap<>());
                } else if (t[0].equals("end")) {
                    cases.add(current);
                    current = null;
                } else {
                    current.entries().put(t[0], parse(t));
                }
            } catch (RuntimeException e) {
                throw new IOException(RESOURCE + " line " + (n + 1) + ": cannot parse '"
                        + (line.length() > 80 ? line.substring(0, 80) + "..." : line) + "'", e);
            }
        }
        return cases;
    }

    private static Entry parse(String[] t) {
        char type = t[1].charAt(0);
        return switch (type) {
            case 'i', 'f' -> {
                double[] v = new double[t.length - 2];
                for (int i = 0; i < v.length; i++) {
                    v[i] = Double.parseDouble(t[i + 2]);
                }
                yield new Entry(type, 1, v.length, v, null);
            }
            case 'm' -> {
                int rows = Integer.parseInt(t[2]), cols = Integer.parseInt(t[3]);
                double[] v = new double[rows * cols];
                if (t.length - 4 != v.length) {
                    throw new IllegalArgumentException(rows + "x" + cols + " matrix with " + (t.length - 4) + " values");
                }
                for (int i = 0; i < v.length; i++) {
                    v[i] = Double.parseDouble(t[i + 4]);
                }
                yield new Entry(type, rows, cols, v, null);
            }
            case 's' -> new Entry(type, 0, 0, null, t[2]);
            case 'x' -> new Entry(type, 0, 0, null, null);
            default -> throw new IllegalArgumentException("unknown entry type '" + t[1] + "'");
        };
    }
}
