package dev.kiln.bench.serve;

import java.util.Arrays;
import java.util.Map;

/**
 * What one closed-loop load run measured. Only requests that completed inside the measured window
 * count towards {@link #requests()} and the latencies; {@link #completed()} counts every request
 * the clients finished, warm-up and the window's tail included (what the server answered in all).
 *
 * @param concurrency clients, each with one request in flight
 * @param windowNanos length of the measured window
 * @param latenciesNanos sorted latencies of the requests completed in the window
 * @param completed requests finished over the whole run (answered, successfully or not)
 * @param errors requests over the whole run that failed (a status other than 200, or an I/O error)
 * @param firstError what the first failure said, or null
 * @param examplesPerRequest examples in each request body
 * @param windowRequests requests that completed in the window (the latencies' count when they are kept)
 * @param reportedPercentilesMs latency percentiles in milliseconds by percentile, as an external load
 *     generator ({@link WrkLoad}) reported them when it keeps no latencies; null when they are kept
 */
public record LoadResult(int concurrency, long windowNanos, long[] latenciesNanos, long completed, long errors,
        String firstError, int examplesPerRequest, long windowRequests, Map<Double, Double> reportedPercentilesMs) {

    /** Sorts a copy of the latencies. */
    public LoadResult {
        latenciesNanos = latenciesNanos.clone();
        Arrays.sort(latenciesNanos);
        reportedPercentilesMs = reportedPercentilesMs == null ? null : Map.copyOf(reportedPercentilesMs);
    }

    /** A run that kept every latency of its window. */
    public LoadResult(int concurrency, long windowNanos, long[] latenciesNanos, long completed, long errors,
            String firstError, int examplesPerRequest) {
        this(concurrency, windowNanos, latenciesNanos, completed, errors, firstError, examplesPerRequest,
                latenciesNanos.length, null);
    }

    /** Requests that completed in the measured window. */
    public long requests() {
        return windowRequests;
    }

    /** Requests per second over the window. */
    public double requestsPerSecond() {
        return requests() / (windowNanos / 1e9);
    }

    /** Examples per second over the window. */
    public double examplesPerSecond() {
        return requestsPerSecond() * examplesPerRequest;
    }

    /**
     * The {@code p}-th percentile latency in milliseconds (nearest rank: the smallest latency with at
     * least {@code p}% of the requests at or below it); NaN when no request completed.
     */
    public double percentileMs(double p) {
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100], got " + p);
        }
        if (reportedPercentilesMs != null) {
            Double ms = reportedPercentilesMs.get(p);
            if (ms == null) {
                throw new IllegalArgumentException("the load generator reported percentiles " + reportedPercentilesMs.keySet()
                        + ", not " + p);
            }
            return ms;
        }
        if (latenciesNanos.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100 * latenciesNanos.length);
        return latenciesNanos[Math.max(rank, 1) - 1] / 1e6;
    }

    @Override
    public long[] latenciesNanos() {
        return latenciesNanos.clone();
    }
}
