package dev.kiln.data.clean.tabular;

import dev.kiln.data.io.JsonFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The committed output of src/test/python/tabular_fixtures.py (numpy and scipy reference values). */
final class TabularFixtures {
    private TabularFixtures() {}

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> cases() {
        URL url = TabularFixtures.class.getResource("/clean/tabular_fixtures.json");
        if (url == null) {
            throw new IllegalStateException("test resource clean/tabular_fixtures.json is missing");
        }
        try {
            Map<String, Object> root = (Map<String, Object>) JsonFiles.read(Path.of(url.toURI()));
            return (List<Map<String, Object>>) root.get("cases");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A JSON list of numbers and nulls as doubles, null as NaN. */
    static double[] doubles(Object jsonList) {
        List<?> l = (List<?>) jsonList;
        double[] out = new double[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = l.get(i) == null ? Double.NaN : ((Number) l.get(i)).doubleValue();
        }
        return out;
    }

    static boolean[] booleans(Object jsonList) {
        List<?> l = (List<?>) jsonList;
        boolean[] out = new boolean[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (Boolean) l.get(i);
        }
        return out;
    }

    static double number(Object json) {
        return ((Number) json).doubleValue();
    }
}
