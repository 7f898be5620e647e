package dev.kiln.bench.serve;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A closed-loop load generator: {@code concurrency} clients, each on its own virtual thread with
 * its own connection, post the same body back to back (a new request as soon as the last one is
 * answered) for a warm-up, then for the measured window. A request counts when it completes
 * inside the window, so throughput is completions per second of window, and every counted
 * request's latency is kept (sorted for exact percentiles, no histogram buckets). Requests still
 * in flight when the window ends are finished but not counted.
 *
 * <p>Thread-safety: {@link #run} may be called again after it returns; not concurrently.
 */
public final class LoadGenerator {
    private final URI uri;
    private final ClientKind client;

    /** Drives {@code uri} (an {@code http://} URI, e.g. a KServe infer endpoint) with {@code client} clients. */
    public LoadGenerator(URI uri, ClientKind client) {
        this.uri = uri;
        this.client = client;
    }

    /**
     * Runs {@code concurrency} clients for {@code warmupNanos}, then {@code windowNanos} measured.
     *
     * @param body the request body every client posts
     * @param examplesPerRequest examples in {@code body}, for examples/s
     * @throws IllegalArgumentException when concurrency is under 1 or the window is not positive
     */
    public LoadResult run(byte[] body, int examplesPerRequest, int concurrency, long warmupNanos, long windowNanos)
            throws InterruptedException {
        return run(InferBody.json(body), examplesPerRequest, concurrency, warmupNanos, windowNanos);
    }

    /** {@link #run(byte[], int, int, long, long)} with any {@link InferBody}, JSON or binary tensor data. */
    LoadResult run(InferBody body, int examplesPerRequest, int concurrency, long warmupNanos, long windowNanos)
            throws InterruptedException {
        if (concurrency < 1) {
            throw new IllegalArgumentException("LoadGenerator: concurrency must be >= 1, got " + concurrency);
        }
        if (windowNanos <= 0 || warmupNanos < 0) {
            throw new IllegalArgumentException("LoadGenerator: window must be > 0 and warm-up >= 0 ns, got "
                    + windowNanos + " and " + warmupNanos);
        }
        AtomicLong completed = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        long windowStart = System.nanoTime() + warmupNanos;
        long windowEnd = windowStart + windowNanos;
        List<Thread> threads = new ArrayList<>(concurrency);
        long[][] latencies = new long[concurrency][];
        int[] counts = new int[concurrency];
        try (ClientKind.Factory clients = client.factory(uri)) {
            for (int c = 0; c < concurrency; c++) {
                int id = c;
                threads.add(Thread.ofVirtual().name("kiln-load-" + c).start(() -> {
                    try (InferClient http = clients.open()) {
                        long[] mine = new long[1024];
                        int n = 0;
                        for (long start = System.nanoTime(); start < windowEnd; start = System.nanoTime()) {
                            String failure = null;
                            try {
                                InferClient.Reply r = http.post(body);
                                if (r.status() != 200) {
                                    failure = "HTTP " + r.status() + ": " + new String(r.body(), StandardCharsets.UTF_8);
                                }
                            } catch (java.io.IOException e) {
                                failure = e.toString();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                return;
                            }
                            long end = System.nanoTime();
                            completed.incrementAndGet();
                            if (failure != null) {
                                errors.incrementAndGet();
                                firstError.compareAndSet(null, failure);
                            } else if (end >= windowStart && end < windowEnd) {
                                if (n == mine.length) {
                                    mine = Arrays.copyOf(mine, n * 2);
                                }
                                mine[n++] = end - start;
                            }
                        }
                        latencies[id] = mine;
                        counts[id] = n;
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
        }
        long total = 0;
        for (int n : counts) {
            total += n;
        }
        long[] all = new long[Math.toIntExact(total)];
        int at = 0;
        for (int c = 0; c < concurrency; c++) {
            if (latencies[c] != null) {
                System.arraycopy(latencies[c], 0, all, at, counts[c]);
            }
            at += counts[c];
        }
        return new LoadResult(concurrency, windowNanos, all, completed.get(), errors.get(), firstError.get(), examplesPerRequest);
    }
}
