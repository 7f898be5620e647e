package dev.kiln.bench.serve;

/**
 * Reads sums out of a Prometheus text exposition: the value of every sample of one metric name,
 * whatever its labels, added up (the bench serves one model, so that is the model's figure).
 */
final class PrometheusText {
    private PrometheusText() {}

    /** The sum of the samples named exactly {@code metric} whose labels contain {@code labelFilter} (may be ""). */
    static double sum(String exposition, String metric, String labelFilter) {
        double total = 0;
        for (String line : exposition.split("\n")) {
            if (line.startsWith("#") || !line.startsWith(metric)) {
                continue;
            }
            int at = metric.length();
            if (at < line.length() && line.charAt(at) != '{' && line.charAt(at) != ' ') {
                continue; // a longer name with this prefix
            }
            int space = line.lastIndexOf(' ');
            String labels = line.substring(at, space);
            if (labels.contains(labelFilter)) {
                total += Double.parseDouble(line.substring(space + 1).trim());
            }
        }
        return total;
    }
}
