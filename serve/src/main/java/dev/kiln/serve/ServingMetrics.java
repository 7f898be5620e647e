package dev.kiln.serve;

import dev.kiln.tensor.storage.BufferPool;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;
import java.util.function.LongSupplier;

/**
 * The server's Prometheus metrics (Micrometer): {@code kiln_infer_requests_total} by model, version
 * and HTTP status; {@code kiln_infer_latency_seconds} (a histogram of whole infer requests) and
 * {@code kiln_batch_size} (a histogram of examples per forward pass) by model and version; for
 * generative models (see {@link #generation}) {@code kiln_generated_tokens_total} and the gauges
 * {@code kiln_generate_running_sequences} and {@code kiln_generate_waiting_sequences}.
 *
 * <p>Also by model and version: {@code kiln_request_queue_seconds} (queued to batch start) and
 * {@code kiln_request_inference_seconds} (the forward pass a request shared) histograms. Server-wide: {@code kiln_requests_in_flight},
 * {@code kiln_access_log_dropped_total}, {@code kiln_connections_open}, {@code kiln_connections_slow_head_cut_total},
 * {@code kiln_tensor_pool_bytes} (tensor buffers kept for
 * reuse), and Micrometer's JVM binders: memory by pool, buffer pools ({@code jvm_buffer_memory_used_bytes}
 * with {@code id="direct"} and {@code "mapped"}: the JVM's native memory outside the heap; tensors
 * live on the heap, so there is no engine allocator to report), GC, threads, CPU and uptime.
 *
 * <p>Thread-safety: every method may be called from any thread. {@link #close} unhooks the GC listener.
 */
public final class ServingMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    // Meters by their labels, looked up without a builder per request: building a meter's id and
    // finding it in the registry on every call was about 2% of a busy server's CPU (kiln bench serve).
    private final Map<Labels, Counter> requests = new ConcurrentHashMap<>();
    private final Map<Labels, Timer> latency = new ConcurrentHashMap<>();
    private final Map<Labels, DistributionSummary> batchSizes = new ConcurrentHashMap<>();
    private final Map<Labels, Timer> queueTimes = new ConcurrentHashMap<>();
    private final Map<Labels, Timer> inferenceTimes = new ConcurrentHashMap<>();

    /** A meter's labels; {@code status} is 0 for the meters that have none. */
    private record Labels(String model, String version, int status) {}

    /** A registry with the JVM, process and tensor-pool meters bound. */
    public ServingMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        Gauge.builder("kiln.tensor.pool", BufferPool::pooledBytes).baseUnit("bytes")
                .description("bytes of tensor buffers held for reuse (on the heap)").strongReference(true).register(registry);
    }

    public void request(String model, String version, int status, long nanos) {
        requests.computeIfAbsent(new Labels(model, version, status), k -> Counter.builder("kiln.infer.requests")
                .description("infer requests by model, version and HTTP status")
                .tag("model", k.model).tag("version", k.version).tag("status", Integer.toString(k.status))
                .register(registry)).increment();
        latency.computeIfAbsent(new Labels(model, version, 0), k -> timer("kiln.infer.latency",
                "infer request latency, body read to response", k)).record(nanos, TimeUnit.NANOSECONDS);
    }

    void batch(String model, String version, int examples) {
        batchSizes.computeIfAbsent(new Labels(model, version, 0), k -> DistributionSummary.builder("kiln.batch.size")
                .description("examples per forward pass").tag("model", k.model).tag("version", k.version)
                .publishPercentileHistogram().minimumExpectedValue(1.0).maximumExpectedValue(1024.0)
                .register(registry)).record(examples);
    }

    private Timer timer(String name, String description, Labels k) {
        return Timer.builder(name).description(description).tag("model", k.model).tag("version", k.version)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
    }

    /** All metrics in the Prometheus text format. */
    String scrape() {
        return registry.scrape();
    }

    /**
     * Follows the generative model {@code source} (version {@code version} of {@code model}):
     * {@code kiln_generated_tokens_total} counts the tokens it has decoded (its rate is tokens per
     * second), the gauges its sequences running in the decode batch and waiting to join it. Calling
     * it again for the same model and version replaces the earlier registration (a version unloaded
     * and loaded again is a new object; Micrometer would otherwise keep reading the old one).
     */
    public <T> void generation(String model, String version, T source, ToLongFunction<T> tokens, ToIntFunction<T> running,
                               ToIntFunction<T> waiting) {
        for (String name : List.of("kiln.generated.tokens", "kiln.generate.running.sequences", "kiln.generate.waiting.sequences")) {
            for (Meter m : registry.find(name).tag("model", model).tag("version", version).meters()) {
                registry.remove(m);
            }
        }
        FunctionCounter.builder("kiln.generated.tokens", source, s -> tokens.applyAsLong(s))
                .description("tokens decoded by a generative model").tag("model", model).tag("version", version)
                .register(registry);
        Gauge.builder("kiln.generate.running.sequences", source, s -> running.applyAsInt(s))
                .description("sequences in the running decode batch").tag("model", model).tag("version", version)
                .register(registry);
        Gauge.builder("kiln.generate.waiting.sequences", source, s -> waiting.applyAsInt(s))
                .description("sequences waiting to join the decode batch").tag("model", model).tag("version", version)
                .register(registry);
    }

    /** One request's wait from queued to the start of its batch's forward pass. */
    public void queued(String model, String version, long nanos) {
        queueTimes.computeIfAbsent(new Labels(model, version, 0), k -> timer("kiln.request.queue",
                "time a request waits in its model's queue for a batch", k)).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One request's forward pass (the time its whole batch took). */
    public void inferred(String model, String version, long nanos) {
        inferenceTimes.computeIfAbsent(new Labels(model, version, 0), k -> timer("kiln.request.inference",
                "forward-pass time of a request's batch", k)).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Exposes {@code inFlight} as the gauge {@code kiln_requests_in_flight}. */
    public void inFlight(LongSupplier inFlight) {
        Gauge.builder("kiln.requests.in.flight", inFlight::getAsLong)
                .description("HTTP requests being handled (not counting scrapes of /metrics)").strongReference(true)
                .register(registry);
    }

    /**
     * Exposes {@code open} as the gauge {@code kiln_connections_open} and {@code cutOff} of {@code source}
     * (held weakly: the caller keeps it) as the counter {@code kiln_connections_slow_head_cut_total}
     * (connections closed because their request head trickled in).
     */
    public <T> void connections(LongSupplier open, T source, ToLongFunction<T> cutOff) {
        Gauge.builder("kiln.connections.open", open::getAsLong).description("network connections open now")
                .strongReference(true).register(registry);
        // A function counter holds its object weakly: given a lambda it would read NaN after the next GC.
        FunctionCounter.builder("kiln.connections.slow.head.cut", source, s -> cutOff.applyAsLong(s))
                .description("connections cut off because their request line and headers arrived too slowly").register(registry);
    }

    /** Exposes {@code dropped} of {@code source} (held weakly: the caller keeps it) as the counter {@code kiln_access_log_dropped_total}. */
    public <T> void accessLogDropped(T source, ToLongFunction<T> dropped) {
        FunctionCounter.builder("kiln.access.log.dropped", source, s -> dropped.applyAsLong(s))
                .description("access-log lines dropped because the writer fell behind").register(registry);
    }

    /** Unhooks the GC notification listener. */
    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
