package dev.kiln.bench.serve;

import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.InferTensor;
import dev.kiln.serve.model.ServedModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kiln bench serve}: a live {@code kiln serve} server under closed-loop load, once without
 * dynamic batching (max batch size 1) and once with it, against the same model's in-process
 * batched throughput.
 *
 * <p>The server runs in its own JVM ({@link ServerProcess}, same flags) on 127.0.0.1; the load
 * generator ({@link LoadGenerator}) runs in this one, so the two share the machine's cores and
 * the output says how much CPU each used. For every client count: a warm-up, then a measured
 * window; requests/s, images/s, p50/p90/p99 latency, errors (must be 0), and the mean batch size
 * the server reached (from its {@code kiln_batch_size} metric). The in-process figure is the best
 * of a few timed runs of {@link InProcessThroughput} at each batch size the server reached, in
 * this JVM while the server idles; the ratio server-with-batching / in-process is the issue's
 * goal (at least 0.80).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Throughput and latency of a live kiln serve server, with and without dynamic batching,"
                + " against the model's in-process batched throughput.")
public final class ServeBench implements Callable<Integer> {
    static final double GOAL = 0.80;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", description = "Model to serve (only cnn, the kiln train cnn ConvNet; default: ${DEFAULT-VALUE}).")
    String model = "cnn";

    @Option(names = "--run", paramLabel = "DIR", description = "A kiln train cnn run directory (default: random weights).")
    Path run;

    @Option(names = "--size", description = "Image side of the random-init model (default: ${DEFAULT-VALUE}).")
    int size = 28;

    @Option(names = "--concurrency", split = ",", description = "Client counts (default: ${DEFAULT-VALUE}).")
    int[] concurrency = {1, 8, 32, 64};

    @Option(names = "--duration-s", description = "Measured seconds per client count (default: ${DEFAULT-VALUE}).")
    double durationS = 5;

    @Option(names = "--warmup-s", description = "Unmeasured seconds before each window (default: ${DEFAULT-VALUE}).")
    double warmupS = 2;

    @Option(names = "--server-warmup-s", description = "Unmeasured seconds of load at the highest client count when a"
            + " server has started, for its JIT (default: ${DEFAULT-VALUE}).")
    double serverWarmupS = 8;

    @Option(names = "--max-batch-size", description = "Examples per forward pass with batching on (default: ${DEFAULT-VALUE}).")
    int maxBatchSize = 32;

    @Option(names = "--max-delay-ms", description = "Batching delay with batching on (default: ${DEFAULT-VALUE}).")
    int maxDelayMs = 2;

    @Option(names = "--images-per-request", description = "Images in each request body (default: ${DEFAULT-VALUE}).")
    int imagesPerRequest = 1;

    @Option(names = "--client", description = "Load generator's HTTP client: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    ClientKind client = ClientKind.SOCKET;

    @Option(names = "--in-process-s", description = "Seconds per timed in-process sample, best of 3 (default: ${DEFAULT-VALUE}).")
    double inProcessS = 1;

    @Option(names = "--json", description = "One JSON object per line instead of a table.")
    boolean json;

    private final PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);

    /** One load run against one server. */
    private record Row(String batching, LoadResult load, double meanBatch, double answered, double clientCpuShare,
            double cpuBusy) {}

    @Override
    public Integer call() throws Exception {
        checkOptions();
        BenchModel bench = new BenchModel(run, size, 1);
        ServedModel local = bench.build();
        InferTensor images = BenchModel.images(local, imagesPerRequest, 42);
        byte[] body = BenchModel.requestBody(images);
        int cores = Runtime.getRuntime().availableProcessors();
        if (!json) {
            out.printf(Locale.ROOT, "kiln bench serve: %s %s (%s), %d image(s) per request, %.1f KB JSON body; %d cores%n",
                    model, BenchModel.imageSize(local), run == null ? "random weights" : run, imagesPerRequest,
                    body.length / 1024.0, cores);
            out.printf(Locale.ROOT, "server: its own JVM on 127.0.0.1; load: %s client in this JVM, closed loop, %.0f s warm-up per server, %.0f s"
                    + " per row, then %.0f s measured; CPU = share of the CPU time both processes used that was the client's%n",
                    client.name().toLowerCase(Locale.ROOT), serverWarmupS, warmupS, durationS);
            out.printf("%-14s %7s %8s %8s %7s %7s %7s %6s %6s %7s %6s%n", "batching", "clients", "req/s", "img/s", "p50 ms",
                    "p90 ms", "p99 ms", "errors", "batch", "client", "busy");
        }
        List<Row> rows = new ArrayList<>();
        BatchingOptions off = new BatchingOptions(1, 0, 1024);
        BatchingOptions on = new BatchingOptions(maxBatchSize, maxDelayMs, 1024);
        try {
            for (BatchingOptions options : List.of(off, on)) {
                String label = options == off ? "off" : "on (" + maxBatchSize + ", " + maxDelayMs + " ms)";
                try (ServerProcess server = ServerProcess.start(bench, options)) {
                    LoadGenerator load = new LoadGenerator(server.inferUri(), client);
                    int most = java.util.Arrays.stream(concurrency).max().orElseThrow();
                    LoadResult warm = load.run(body, imagesPerRequest, most, 0, (long) (serverWarmupS * 1e9));
                    if (warm.errors() > 0) {
                        System.err.println("kiln bench serve: the warm-up failed " + warm.errors() + " times, first: "
                                + warm.firstError());
                        return 1;
                    }
                    for (int c : concurrency) {
                        Row row = measure(server, load, label, body, c, cores);
                        rows.add(row);
                        report(row);
                    }
                }
            }
        } catch (IOException e) {
            System.err.println("kiln bench serve: " + e.getMessage());
            return 2;
        }
        compareInProcess(local, images, rows);
        long errors = rows.stream().mapToLong(r -> r.load.errors()).sum();
        for (Row r : rows) {
            if (r.load.errors() > 0) {
                System.err.printf("kiln bench serve: %d errors at %d clients (batching %s), first: %s%n", r.load.errors(),
                        r.load.concurrency(), r.batching, r.load.firstError());
            }
            if (r.answered != r.load.completed()) {
                System.err.printf(Locale.ROOT, "kiln bench serve: the server counted %.0f infer requests, the clients %d"
                        + " (batching %s, %d clients)%n", r.answered, r.load.completed(), r.batching, r.load.concurrency());
            }
        }
        return errors > 0 ? 1 : 0;
    }

    private void checkOptions() {
        if (!"cnn".equals(model)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--model: only cnn is benchmarked, got " + model);
        }
        for (int c : concurrency) {
            if (c < 1 || c > 1024) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--concurrency: each count must be in [1, 1024], got " + c);
            }
        }
        if (!(durationS > 0) || !(serverWarmupS > 0) || !(warmupS >= 0) || !(inProcessS > 0)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--duration-s, --server-warmup-s and --in-process-s"
                    + " must be > 0 and --warmup-s >= 0, got " + durationS + ", " + serverWarmupS + ", " + inProcessS
                    + " and " + warmupS);
        }
        if (maxBatchSize < 1 || maxDelayMs < 0 || imagesPerRequest < 1 || imagesPerRequest > maxBatchSize) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-batch-size must be >= 1, --max-delay-ms >= 0 and"
                    + " --images-per-request in [1, max batch size], got " + maxBatchSize + ", " + maxDelayMs + " and "
                    + imagesPerRequest);
        }
    }

    private Row measure(ServerProcess server, LoadGenerator load, String label, byte[] body, int clients, int cores)
            throws IOException, InterruptedException {
        String before = server.metrics();
        long serverCpu = server.cpuNanos();
        long clientCpu = processCpuNanos();
        long start = System.nanoTime();
        LoadResult r = load.run(body, imagesPerRequest, clients, (long) (warmupS * 1e9), (long) (durationS * 1e9));
        long wall = System.nanoTime() - start;
        clientCpu = processCpuNanos() - clientCpu;
        serverCpu = server.cpuNanos() - serverCpu;
        String after = server.metrics();
        double batches = delta(before, after, "kiln_batch_size_count", "");
        double examples = delta(before, after, "kiln_batch_size_sum", "");
        double answered = delta(before, after, "kiln_infer_requests_total", "");
        double share = clientCpu < 0 || serverCpu < 0 ? Double.NaN : (double) clientCpu / (clientCpu + serverCpu);
        double busy = clientCpu < 0 || serverCpu < 0 ? Double.NaN : (double) (clientCpu + serverCpu) / ((double) wall * cores);
        return new Row(label, r, batches == 0 ? Double.NaN : examples / batches, answered, share, busy);
    }

    private static double delta(String before, String after, String metric, String labels) {
        return PrometheusText.sum(after, metric, labels) - PrometheusText.sum(before, metric, labels);
    }

    private void report(Row row) {
        LoadResult r = row.load;
        if (json) {
            out.printf(Locale.ROOT, "{\"name\":\"serve\",\"batching\":\"%s\",\"concurrency\":%d,\"client\":\"%s\","
                    + "\"requests_per_s\":%.1f,\"examples_per_s\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,"
                    + "\"requests\":%d,\"errors\":%d,\"mean_batch\":%.2f,\"client_cpu_share\":%.3f,\"cpu_busy\":%.3f}%n",
                    row.batching, r.concurrency(), client.name().toLowerCase(Locale.ROOT), r.requestsPerSecond(),
                    r.examplesPerSecond(), r.percentileMs(50), r.percentileMs(90), r.percentileMs(99), r.requests(),
                    r.errors(), row.meanBatch, row.clientCpuShare, row.cpuBusy);
        } else {
            out.printf(Locale.ROOT, "%-14s %7d %8.0f %8.0f %7.2f %7.2f %7.2f %6d %6.1f %6.0f%% %5.0f%%%n", row.batching,
                    r.concurrency(), r.requestsPerSecond(), r.examplesPerSecond(), r.percentileMs(50), r.percentileMs(90),
                    r.percentileMs(99), r.errors(), row.meanBatch, 100 * row.clientCpuShare, 100 * row.cpuBusy);
        }
    }

    /** In-process throughput at every batch size the batching server reached, and the ratios. */
    private void compareInProcess(ServedModel local, InferTensor images, List<Row> rows) {
        Map<Integer, Double> inProcess = new TreeMap<>();
        List<Row> batched = rows.stream().filter(r -> !r.batching.equals("off")).toList();
        for (Row r : batched) {
            inProcess.computeIfAbsent(requestsPerBatch(r.meanBatch), b -> InProcessThroughput.examplesPerSecond(local, images,
                    b, 1_000_000_000L, (long) (inProcessS * 1e9), 3));
        }
        if (!json) {
            out.printf(Locale.ROOT, "in-process, this JVM, no HTTP or JSON (ServedModel.prepare of each request + one run"
                    + " per batch: normalise, forward, softmax, outputs; best of 3 x %.0f s):%n", inProcessS);
        }
        for (Map.Entry<Integer, Double> e : inProcess.entrySet()) {
            int examples = e.getKey() * imagesPerRequest;
            if (json) {
                out.printf(Locale.ROOT, "{\"name\":\"serve_in_process\",\"batch\":%d,\"examples_per_s\":%.1f}%n", examples,
                        e.getValue());
            } else {
                out.printf(Locale.ROOT, "  batch %3d: %8.0f img/s%n", examples, e.getValue());
            }
        }
        Row best = null;
        double bestRatio = 0;
        for (Row r : batched) {
            double ratio = r.load.examplesPerSecond() / inProcess.get(requestsPerBatch(r.meanBatch));
            if (!json) {
                out.printf(Locale.ROOT, "server with batching / in-process at batch %d, %d clients: %.0f / %.0f = %.2f%n",
                        requestsPerBatch(r.meanBatch) * imagesPerRequest, r.load.concurrency(), r.load.examplesPerSecond(),
                        inProcess.get(requestsPerBatch(r.meanBatch)), ratio);
            }
            if (best == null || r.load.examplesPerSecond() > best.load.examplesPerSecond()) {
                best = r;
                bestRatio = ratio;
            }
        }
        if (best == null) {
            return;
        }
        if (json) {
            out.printf(Locale.ROOT, "{\"name\":\"serve_ratio\",\"concurrency\":%d,\"batch\":%d,\"server_examples_per_s\":%.1f,"
                    + "\"in_process_examples_per_s\":%.1f,\"ratio\":%.3f,\"goal\":%.2f}%n", best.load.concurrency(),
                    requestsPerBatch(best.meanBatch) * imagesPerRequest, best.load.examplesPerSecond(),
                    inProcess.get(requestsPerBatch(best.meanBatch)), bestRatio, GOAL);
        } else {
            out.printf(Locale.ROOT, "ratio at the best batching row (%d clients): %.2f (goal >= %.2f: %s)%n",
                    best.load.concurrency(), bestRatio, GOAL, bestRatio >= GOAL ? "met" : "NOT met");
        }
    }

    /** Requests per in-process batch matching a mean server batch of {@code meanExamples} examples. */
    private int requestsPerBatch(double meanExamples) {
        return Double.isNaN(meanExamples) ? 1 : Math.max(1, (int) Math.round(meanExamples / imagesPerRequest));
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }
}
