package dev.kiln.bench.serve;

import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.InferTensor;
import dev.kiln.serve.model.ServedModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
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
 * <p>The server runs in its own JVM ({@link ServerProcess}, same flags) on 127.0.0.1 and gets a JIT
 * warm-up at the highest client count; the load generator ({@link LoadGenerator}) runs in this
 * JVM, so the two share the machine's cores, and the output says how much of the CPU each used.
 * For every client count: a warm-up, then a measured window; requests/s, images/s, p50/p90/p99
 * latency, errors (must be 0: the exit code is 1 otherwise), and the mean batch size the server
 * reached (from its {@code kiln_batch_size} metric). Right after each batching row, with the server
 * idle, {@link InProcessThroughput} measures the ceiling at that batch size in this JVM; the ratio
 * server-with-batching / in-process is the goal (at least 0.80), both as means over their
 * windows. Images per CPU-second are given beside it: other jobs on a shared machine disturb them
 * less than they disturb wall time. {@code --client WRK} drives Debian's {@code wrk} instead of a
 * Java client ({@link WrkLoad}; optional, when installed): on two cores the client's own CPU is
 * taken from the server, and wrk's is about a fifth of the raw-socket client's. {@code --encoding
 * json,binary} measures KServe v2 JSON bodies and the binary tensor data extension's bodies (binary
 * outputs too) one after the other on the same servers.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Throughput and latency of a live kiln serve server, with and without dynamic batching,"
                + " against the model's in-process batched throughput.")
public final class ServeBench implements Callable<Integer> {
    static final double GOAL = 0.80;

    /** How requests carry their tensors. */
    enum Encoding {
        /** KServe v2 JSON: the pixels as decimal numbers, the outputs as JSON arrays. */
        JSON,
        /** The binary tensor data extension: the pixels as little-endian FP32 after a small JSON part; binary outputs. */
        BINARY;

        /** Parses {@code json} or {@code binary}, in any case (picocli's enum matching alone is case-sensitive). */
        static final class Converter implements CommandLine.ITypeConverter<Encoding> {
            @Override
            public Encoding convert(String value) {
                try {
                    return valueOf(value.strip().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.TypeConversionException("expected json or binary, got \"" + value + "\"");
                }
            }
        }
    }

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

    @Option(names = "--encoding", split = ",", converter = Encoding.Converter.class, description = "Request encodings, each measured in turn on the same"
            + " servers: json, binary (the binary tensor data extension, binary outputs too); default: json.")
    Encoding[] encodings = {Encoding.JSON};

    @Option(names = "--server-threads", description = "Kernel threads of the server JVM's forward passes (-Dkiln.threads;"
            + " 0: all cores; default: kiln serve's, all cores but one, ${DEFAULT-VALUE}). The in-process ceiling uses all cores.")
    int serverThreads = Math.max(1, Runtime.getRuntime().availableProcessors() - 1);

    @Option(names = "--in-process-s", description = "Seconds per timed in-process sample, 3 samples (default: ${DEFAULT-VALUE}).")
    double inProcessS = 1;

    @Option(names = "--json", description = "One JSON object per line instead of a table.")
    boolean json;

    private final PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);

    /**
     * One load run against one server, with the in-process ceiling measured right after it (batching
     * rows only) so that both see about the same machine.
     */
    private record Row(String batching, Encoding encoding, LoadResult load, double meanBatch, double answered, double clientCpuShare,
            double cpuBusy, double forwardBusy, double examplesPerCpuSecond, int inProcessBatch, InProcessThroughput.Result inProcess) {
        double ratio() {
            return load.examplesPerSecond() / inProcess.examplesPerSecond();
        }

        double cpuRatio() {
            return examplesPerCpuSecond / inProcess.examplesPerCpuSecond();
        }
    }

    @Override
    public Integer call() throws Exception {
        checkOptions();
        BenchModel bench = new BenchModel(run, size, 1);
        ServedModel local;
        try {
            local = bench.build();
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("kiln bench serve: " + e.getMessage());
            return 2;
        }
        InferTensor images = BenchModel.images(local, imagesPerRequest, 42);
        Map<Encoding, InferBody> bodies = new EnumMap<>(Encoding.class);
        for (Encoding e : encodings) {
            bodies.put(e, e == Encoding.JSON ? InferBody.json(BenchModel.requestBody(images)) : BenchModel.binaryRequestBody(images));
        }
        int cores = Runtime.getRuntime().availableProcessors();
        if (!json) {
            StringBuilder sizes = new StringBuilder();
            bodies.forEach((e, b) -> sizes.append(sizes.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.1f KB %s body",
                    b.bytes().length / 1024.0, e.name().toLowerCase(Locale.ROOT))));
            out.printf(Locale.ROOT, "kiln bench serve: %s %s (%s), %d image(s) per request, %s; %d cores%n",
                    model, BenchModel.imageSize(local), run == null ? "random weights" : run, imagesPerRequest, sizes, cores);
            out.printf(Locale.ROOT, "server: its own JVM on 127.0.0.1; load: %s, closed loop, %.0f s warm-up"
                    + " per server, %.0f s per row, then %.0f s measured%n", client == ClientKind.WRK ? "wrk (its own process)"
                    : client.name().toLowerCase(Locale.ROOT) + " client in this JVM",
                    serverWarmupS, warmupS, durationS);
            out.printf(Locale.ROOT, "in-process (after each batching row, this JVM, the server idle): ServedModel.prepare of"
                    + " each request + one run per batch (normalise, forward, softmax, outputs), batch-invariant as the"
                    + " batcher runs it, no HTTP or JSON; mean of 3 x %.0f s%n", inProcessS);
            out.println("client = the load generator's share of the CPU both processes used; busy = both processes' CPU"
                    + " / (wall x cores); fwd = share of the wall time the server's batcher spent in forward passes; img/CPU-s = images per CPU-second of both (in-process: of this JVM)");
            out.printf("%-14s %-6s %7s %7s %7s %7s %7s %7s %6s %5s %6s %5s %5s %9s %9s %9s %5s %5s%n", "batching", "enc", "clients", "req/s",
                    "img/s", "p50 ms", "p90 ms", "p99 ms", "errors", "batch", "client", "busy", "fwd", "img/CPU-s", "in-proc/s",
                    "in-proc/C", "ratio", "CPU r");
        }
        List<Row> rows = new ArrayList<>();
        BatchingOptions off = new BatchingOptions(1, 0, 1024);
        BatchingOptions on = new BatchingOptions(maxBatchSize, maxDelayMs, 1024);
        try {
            for (BatchingOptions options : List.of(off, on)) {
                String label = options == off ? "off" : "on (" + maxBatchSize + ", " + maxDelayMs + " ms)";
                try (ServerProcess server = ServerProcess.start(bench, options, serverThreads)) {
                    Load load = load(server.inferUri());
                    for (InferBody body : bodies.values()) { // the JIT warms up every path the rows will take
                        LoadResult warm = load.run(body, imagesPerRequest, Arrays.stream(concurrency).max().orElseThrow(), 0,
                                (long) (serverWarmupS * 1e9));
                        if (warm.errors() > 0) {
                            System.err.println("kiln bench serve: " + warm.errors() + " requests of the warm-up failed, first: "
                                    + warm.firstError());
                            return 1;
                        }
                    }
                    for (Map.Entry<Encoding, InferBody> e : bodies.entrySet()) {
                        for (int c : concurrency) {
                            Row row = measure(server, load, label, e.getKey(), e.getValue(), c, cores);
                            if (options == on) {
                                row = withInProcess(row, local, images);
                            }
                            rows.add(row);
                            report(row);
                        }
                    }
                }
            }
        } catch (IOException e) {
            System.err.println("kiln bench serve: " + e.getMessage());
            return 2;
        }
        summarise(rows);
        long errors = 0;
        for (Row r : rows) {
            errors += r.load.errors();
            if (r.load.errors() > 0) {
                System.err.printf("kiln bench serve: %d errors at %d clients (batching %s, %s), first: %s%n", r.load.errors(),
                        r.load.concurrency(), r.batching, r.encoding, r.load.firstError());
            }
            if (r.answered != r.load.completed() && client != ClientKind.WRK) { // wrk does not count what it abandons
                System.err.printf(Locale.ROOT, "kiln bench serve: the server counted %.0f infer requests, the clients %d"
                        + " (batching %s, %d clients)%n", r.answered, r.load.completed(), r.batching, r.load.concurrency());
            }
        }
        return errors > 0 ? 1 : 0;
    }

    /** One closed-loop load run: {@link LoadGenerator#run} or {@link WrkLoad#run}. */
    @FunctionalInterface
    private interface Load {
        LoadResult run(InferBody body, int examplesPerRequest, int concurrency, long warmupNanos, long windowNanos)
                throws IOException, InterruptedException;
    }

    private Load load(java.net.URI uri) {
        if (client == ClientKind.WRK) {
            return new WrkLoad(WrkLoad.find().orElseThrow(), uri)::run;
        }
        return new LoadGenerator(uri, client)::run;
    }

    private void checkOptions() {
        if (client == ClientKind.WRK && WrkLoad.find().isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--client WRK: no wrk on the PATH (Debian: apt-get"
                    + " install wrk)");
        }
        if (!"cnn".equals(model)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--model: only cnn is benchmarked, got " + model);
        }
        for (int c : concurrency) {
            if (c < 1 || c > 1024) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--concurrency: each count must be in [1, 1024],"
                        + " got " + c);
            }
        }
        if (!(durationS > 0) || !(serverWarmupS > 0) || !(warmupS >= 0) || !(inProcessS > 0)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--duration-s, --server-warmup-s and --in-process-s"
                    + " must be > 0 and --warmup-s >= 0, got " + durationS + ", " + serverWarmupS + ", " + inProcessS
                    + " and " + warmupS);
        }
        if (serverThreads < 0 || serverThreads > 1024) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--server-threads: expected 0 (all cores) to 1024,"
                    + " got " + serverThreads);
        }
        if (maxBatchSize < 1 || maxDelayMs < 0 || imagesPerRequest < 1 || imagesPerRequest > maxBatchSize) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-batch-size must be >= 1, --max-delay-ms >= 0"
                    + " and --images-per-request in [1, max batch size], got " + maxBatchSize + ", " + maxDelayMs + " and "
                    + imagesPerRequest);
        }
    }

    private Row measure(ServerProcess server, Load load, String label, Encoding encoding, InferBody body, int clients, int cores)
            throws IOException, InterruptedException {
        String before = server.metrics();
        long serverCpu = server.cpuNanos();
        long clientCpu = ProcessCpu.nanos() + ProcessCpu.childrenNanos(); // children: a finished wrk
        long start = System.nanoTime();
        LoadResult r = load.run(body, imagesPerRequest, clients, (long) (warmupS * 1e9), (long) (durationS * 1e9));
        long wall = System.nanoTime() - start;
        clientCpu = ProcessCpu.nanos() + ProcessCpu.childrenNanos() - clientCpu;
        serverCpu = server.cpuNanos() - serverCpu;
        String after = server.metrics();
        double batches = delta(before, after, "kiln_batch_size_count");
        double examples = delta(before, after, "kiln_batch_size_sum");
        double answered = delta(before, after, "kiln_infer_requests_total");
        // Every request records the forward-pass time of its batch: sum / count is the mean batch's time.
        double batchSeconds = delta(before, after, "kiln_request_inference_seconds_sum")
                / delta(before, after, "kiln_request_inference_seconds_count");
        boolean cpuKnown = clientCpu >= 0 && serverCpu >= 0;
        double cpu = clientCpu + serverCpu;
        return new Row(label, encoding, r, batches == 0 ? Double.NaN : examples / batches, answered,
                cpuKnown ? clientCpu / cpu : Double.NaN, cpuKnown ? cpu / ((double) wall * cores) : Double.NaN,
                batches * batchSeconds / (wall / 1e9),
                cpuKnown ? answered * imagesPerRequest / (cpu / 1e9) : Double.NaN, 0, null);
    }

    private static double delta(String before, String after, String metric) {
        return PrometheusText.sum(after, metric, "") - PrometheusText.sum(before, metric, "");
    }

    /** {@code row} with the in-process throughput at the batch size its server reached. */
    private Row withInProcess(Row row, ServedModel local, InferTensor images) {
        int requests = Double.isNaN(row.meanBatch) ? 1 : Math.max(1, (int) Math.round(row.meanBatch / imagesPerRequest));
        InProcessThroughput.Result r = InProcessThroughput.measure(local, images, requests, 500_000_000L,
                (long) (inProcessS * 1e9), 3);
        return new Row(row.batching, row.encoding, row.load, row.meanBatch, row.answered, row.clientCpuShare, row.cpuBusy, row.forwardBusy,
                row.examplesPerCpuSecond, requests * imagesPerRequest, r);
    }

    private void report(Row row) {
        LoadResult r = row.load;
        boolean in = row.inProcess != null;
        if (json) {
            out.printf(Locale.ROOT, "{\"name\":\"serve\",\"batching\":\"%s\",\"encoding\":\"%s\",\"concurrency\":%d,\"client\":\"%s\","
                    + "\"requests_per_s\":%.1f,\"examples_per_s\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,"
                    + "\"requests\":%d,\"errors\":%d,\"mean_batch\":%.2f,\"client_cpu_share\":%.3f,\"cpu_busy\":%.3f,"
                    + "\"forward_busy\":%.3f,\"examples_per_cpu_s\":%.1f,\"in_process_batch\":%s,\"in_process_examples_per_s\":%s,"
                    + "\"in_process_best_examples_per_s\":%s,\"in_process_examples_per_cpu_s\":%s,\"ratio\":%s,\"cpu_ratio\":%s}%n",
                    row.batching, row.encoding.name().toLowerCase(Locale.ROOT), r.concurrency(), client.name().toLowerCase(Locale.ROOT),
                    r.requestsPerSecond(),
                    r.examplesPerSecond(), r.percentileMs(50), r.percentileMs(90), r.percentileMs(99), r.requests(),
                    r.errors(), row.meanBatch, row.clientCpuShare, row.cpuBusy, row.forwardBusy, row.examplesPerCpuSecond,
                    in ? Integer.toString(row.inProcessBatch) : "null",
                    in ? fixed(row.inProcess.examplesPerSecond(), 1) : "null",
                    in ? fixed(row.inProcess.bestExamplesPerSecond(), 1) : "null",
                    in ? fixed(row.inProcess.examplesPerCpuSecond(), 1) : "null",
                    in ? fixed(row.ratio(), 3) : "null", in ? fixed(row.cpuRatio(), 3) : "null");
        } else {
            out.printf(Locale.ROOT, "%-14s %-6s %7d %7.0f %7.0f %7.2f %7.2f %7.2f %6d %5.1f %5.0f%% %4.0f%% %4.0f%% %9.0f %9s %9s %5s %5s%n",
                    row.batching, row.encoding.name().toLowerCase(Locale.ROOT), r.concurrency(), r.requestsPerSecond(),
                    r.examplesPerSecond(), r.percentileMs(50),
                    r.percentileMs(90), r.percentileMs(99), r.errors(), row.meanBatch, 100 * row.clientCpuShare,
                    100 * row.cpuBusy, 100 * row.forwardBusy, row.examplesPerCpuSecond, in ? fixed(row.inProcess.examplesPerSecond(), 0) : "",
                    in ? fixed(row.inProcess.examplesPerCpuSecond(), 0) : "", in ? fixed(row.ratio(), 2) : "",
                    in ? fixed(row.cpuRatio(), 2) : "");
        }
    }

    /** The headline, per encoding: the ratio at the batching row with the highest throughput. */
    private void summarise(List<Row> rows) {
        for (Encoding encoding : encodings) {
            Row best = null;
            for (Row r : rows) {
                if (r.encoding == encoding && r.inProcess != null
                        && (best == null || r.load.examplesPerSecond() > best.load.examplesPerSecond())) {
                    best = r;
                }
            }
            if (best == null) {
                continue;
            }
            String enc = encoding.name().toLowerCase(Locale.ROOT);
            if (json) {
                out.printf(Locale.ROOT, "{\"name\":\"serve_ratio\",\"encoding\":\"%s\",\"concurrency\":%d,\"batch\":%d,"
                        + "\"server_examples_per_s\":%.1f,\"in_process_examples_per_s\":%.1f,\"ratio\":%.3f,\"cpu_ratio\":%.3f,"
                        + "\"goal\":%.2f}%n", enc, best.load.concurrency(), best.inProcessBatch, best.load.examplesPerSecond(),
                        best.inProcess.examplesPerSecond(), best.ratio(), best.cpuRatio(), GOAL);
            } else {
                out.printf(Locale.ROOT, "%s: server with batching / in-process at the busiest batching row (%d clients, batch %d):"
                        + " %.0f / %.0f img/s = %.2f (goal >= %.2f: %s); per CPU-second: %.2f%n", enc, best.load.concurrency(),
                        best.inProcessBatch, best.load.examplesPerSecond(), best.inProcess.examplesPerSecond(), best.ratio(), GOAL,
                        best.ratio() >= GOAL ? "met" : "NOT met", best.cpuRatio());
            }
        }
    }

    private static String fixed(double x, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", x);
    }
}
