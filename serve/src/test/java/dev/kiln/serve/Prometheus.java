package dev.kiln.serve;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A scrape of {@code /metrics} parsed from the Prometheus text format (independently of Micrometer):
 * every sample line {@code name{label="value",...} number}, comments skipped.
 */
final class Prometheus {
    record Sample(String name, Map<String, String> labels, double value) {}

    final List<Sample> samples = new ArrayList<>();

    Prometheus(String text) {
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            Map<String, String> labels = new LinkedHashMap<>();
            String name;
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                parseLabels(line.substring(brace + 1, line.lastIndexOf('}')), labels);
            } else {
                name = line.substring(0, space);
            }
            samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
        }
    }

    private static void parseLabels(String s, Map<String, String> into) {
        int i = 0;
        while (i < s.length()) {
            int eq = s.indexOf('=', i);
            String key = s.substring(i, eq).trim();
            StringBuilder value = new StringBuilder();
            int j = eq + 2; // past ="
            while (s.charAt(j) != '"') {
                if (s.charAt(j) == '\\') {
                    j++;
                }
                value.append(s.charAt(j++));
            }
            into.put(key, value.toString());
            i = j + 1;
            if (i < s.length() && s.charAt(i) == ',') {
                i++;
            }
        }
    }

    /** The one sample named {@code name} whose labels include {@code labels} (key, value, key, value...); 0 when none. */
    double value(String name, String... labels) {
        List<Sample> found = find(name, labels);
        if (found.size() > 1) {
            throw new AssertionError(found.size() + " samples match " + name + " " + List.of(labels) + ": " + found);
        }
        return found.isEmpty() ? 0 : found.getFirst().value();
    }

    /** Whether some sample is named {@code name} and has {@code labels}. */
    boolean has(String name, String... labels) {
        return !find(name, labels).isEmpty();
    }

    private List<Sample> find(String name, String... labels) {
        List<Sample> out = new ArrayList<>();
        for (Sample s : samples) {
            if (!s.name().equals(name)) {
                continue;
            }
            boolean all = true;
            for (int k = 0; k < labels.length; k += 2) {
                all &= labels[k + 1].equals(s.labels().get(labels[k]));
            }
            if (all) {
                out.add(s);
            }
        }
        return out;
    }
}
