package dev.kiln.serve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

/**
 * The server's Prometheus metrics (Micrometer): {@code kiln_infer_requests_total} by model, version
 * and HTTP status; {@code kiln_infer_latency_seconds} (a histogram of whole infer requests) and
 * {@code kiln_batch_size} (a histogram of examples per forward pass) by model and version; for
 * generative models (see {@link #generation}) {@code kiln_generated_tokens_total} and the gauges
 * {@code kiln_generate_running_sequences} and {@code kiln_generate_waiting_sequences}.
 */
public final class ServingMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    public void request(String model, String version, int status, long nanos) {
        Counter.builder("kiln.infer.requests").description("infer requests by model, version and HTTP status")
                .tag("model", model).tag("version", version).tag("status", Integer.toString(status))
                .register(registry).increment();
        Timer.builder("kiln.infer.latency").description("infer request latency, body read to response")
                .tag("model", model).tag("version", version).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry).record(Duration.ofNanos(nanos));
    }

    void batch(String model, String version, int examples) {
        DistributionSummary.builder("kiln.batch.size").description("examples per forward pass")
                .tag("model", model).tag("version", version).publishPercentileHistogram()
                .minimumExpectedValue(1.0).maximumExpectedValue(1024.0)
                .register(registry).record(examples);
    }

    /** All metrics in the Prometheus text format. */
    String scrape() {
        return registry.scrape();
    }

    /**
     * Follows the generative model {@code source} (version {@code version} of {@code model}):
     * {@code kiln_generated_tokens_total} counts the tokens it has decoded (its rate is tokens per
     * second), the gauges its sequences running in the decode batch and waiting to join it. Calling
     * it again for the same model and version keeps the first registration.
     */
    public <T> void generation(String model, String version, T source, ToLongFunction<T> tokens, ToIntFunction<T> running,
                               ToIntFunction<T> waiting) {
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
}
