package dev.kiln.apps.serve;

import dev.kiln.serve.ModelServer;
import dev.kiln.serve.admin.BearerAuth;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.RunDirectoryModels;
import dev.kiln.serve.openai.GenerationLimits;
import dev.kiln.serve.platform.Platform;
import dev.kiln.serve.platform.PlatformRoutes;
import dev.kiln.serve.platform.PlatformSettings;
import dev.kiln.serve.registry.TrafficSplit;
import dev.kiln.tensor.Device;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln serve}: serves {@code kiln train} run directories over KServe v2 REST (and gpt runs
 * over OpenAI-compatible endpoints too) until the process is stopped. Prints exactly one line on stdout, {@code listening on http://HOST:PORT},
 * once the server accepts requests (with {@code --port 0}, the port picked).
 *
 * <p>On SIGTERM (or SIGINT) the shutdown hook drains: readiness turns 503, new requests get 503,
 * requests in flight finish (up to {@code --drain-timeout-ms}), then the server stops. The exit
 * status is then 143 (128 + SIGTERM; 130 for SIGINT): the JVM sets it when a signal starts its
 * shutdown, and a hook cannot change it short of {@code Runtime.halt}, which would skip the other
 * hooks. Process managers read 143 after a SIGTERM they sent as a clean stop.
 *
 * <p>Cloud platforms ({@code --platform}, or detected from the environment, see {@link Platform#detect}):
 * {@code sagemaker} adds {@code GET /ping} and {@code POST /invocations}, listens on 0.0.0.0:8080 and
 * serves {@code /opt/ml/model} when no RUN_DIR is given; {@code vertex} adds {@code AIP_HEALTH_ROUTE}
 * and {@code AIP_PREDICT_ROUTE}, listens on {@code AIP_HTTP_PORT} and serves {@code AIP_STORAGE_URI}
 * (a local path); {@code azureml} adds {@code GET /ready} and {@code POST /score} (liveness is
 * {@code /v2/health/live}), listens on 0.0.0.0:8080 and serves {@code AZUREML_MODEL_DIR}. The startup line then says which platform and why: {@code listening on
 * http://0.0.0.0:8080 (platform vertex, detected from AIP_* variables)}.
 *
 * <p>Tokens are read from files ({@code --auth-token-file}, {@code --admin-token-file}), not taken
 * as arguments: a process's arguments are visible to every user of the machine ({@code ps}), and
 * a file is what a Kubernetes Secret mounts.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve trained models (cnn, rnn, classify, seq2seq, gpt) over the KServe v2 REST protocol, with dynamic batching.",
            "Endpoints: /v2/health/live, /v2/health/ready, /v2/models/NAME[/versions/V][/ready],",
            "POST /v2/models/NAME[/versions/V]/infer, GET /metrics (Prometheus);",
            "for gpt runs also OpenAI's GET /v1/models, POST /v1/completions and /v1/chat/completions (stream: true for SSE),",
            "decoded with continuous batching.",
            "Several versions of a model: NAME:VERSION=RUN_DIR; --traffic splits its unversioned requests between them",
            "(sticky by X-User-Id). With --admin-token-file, /admin/models loads and unloads versions and sets splits at run time.",
            "--platform sagemaker|vertex|azureml (or detected from AIP_*/SAGEMAKER_*/AZUREML_MODEL_DIR variables) adds that cloud's health and predict routes."})
public final class ServeCommand implements Callable<Integer> {
    private static final String LABEL = "[A-Za-z0-9_.-]+";

    @Parameters(arity = "0..*", paramLabel = "[NAME[:VERSION]=]RUN_DIR",
            description = "A kiln train run directory; the model is named after the directory unless NAME= is given, "
                    + "and is version 1 unless NAME:VERSION= is given. The first version given is the default. "
                    + "None: the platform's model directory (sagemaker: /opt/ml/model, vertex: AIP_STORAGE_URI, "
                    + "azureml: AZUREML_MODEL_DIR or its one subfolder holding model.safetensors).")
    List<String> runs = new ArrayList<>();

    @Option(names = "--platform", paramLabel = "kserve|sagemaker|vertex|azureml",
            description = "Also serve a cloud platform's contract: sagemaker (GET /ping, POST /invocations, port 8080), "
                    + "vertex (AIP_HEALTH_ROUTE, AIP_PREDICT_ROUTE on AIP_HTTP_PORT), azureml (GET /ready, POST /score on port 8080); "
                    + "default: detected from the environment (KILN_PLATFORM; AIP_* variables: vertex; SAGEMAKER_* variables: "
                    + "sagemaker; AZUREML_MODEL_DIR: azureml; else kserve).")
    String platform;

    /** The environment the platform is detected from and configured by; tests replace it with a map. */
    static Supplier<Map<String, String>> environment = System::getenv;

    @Option(names = "--traffic", paramLabel = "NAME=VERSION:WEIGHT[,VERSION:WEIGHT...]",
            description = "Split the requests to NAME that name no version, e.g. fashion=1:90,2:10 (repeat for more models).")
    List<String> traffic = new ArrayList<>();

    @Option(names = "--auth-token-file", paramLabel = "FILE",
            description = "Every route but /v2/health/* (and /metrics, see --protect-metrics) needs Authorization: Bearer "
                    + "with the token in FILE (surrounding whitespace ignored); default: open.")
    Path authTokenFile;

    @Option(names = "--admin-token-file", paramLabel = "FILE",
            description = "Turn on the admin routes (/admin/models: load, unload, traffic), which need the token in FILE; default: off.")
    Path adminTokenFile;

    @Option(names = "--protect-metrics", description = "/metrics needs the auth token too (default: open to scrapers).")
    boolean protectMetrics;

    @Option(names = "--host", description = "Address to bind (default: 127.0.0.1; 0.0.0.0 under sagemaker, vertex and azureml, "
            + "whose load balancers connect from outside the container).")
    String host;

    @Option(names = "--port", description = "Port (0 picks a free one; default: 8080, or the platform's: AIP_HTTP_PORT, "
            + "SAGEMAKER_BIND_TO_PORT).")
    Integer port;

    @Option(names = "--max-batch-size", paramLabel = "N", description = "Examples per forward pass (default: ${DEFAULT-VALUE}).")
    int maxBatchSize = BatchingOptions.DEFAULT.maxBatchSize();

    @Option(names = "--max-delay-ms", paramLabel = "MS", description = "How long a request waits for others to batch with (default: ${DEFAULT-VALUE}).")
    int maxDelayMs = BatchingOptions.DEFAULT.maxDelayMs();

    @Option(names = "--max-running-sequences", paramLabel = "N",
            description = "gpt runs: sequences decoded together, each with its KV cache (default: ${DEFAULT-VALUE}).")
    int maxRunningSequences = GenerationLimits.DEFAULT.maxRunning();

    @Option(names = "--max-waiting-requests", paramLabel = "N",
            description = "gpt runs: requests waiting to join the decode batch; more get 429 (default: ${DEFAULT-VALUE}).")
    int maxWaitingRequests = GenerationLimits.DEFAULT.maxWaiting();

    @Option(names = "--max-body-bytes", paramLabel = "BYTES", description = "Larger request bodies get 413 (default: ${DEFAULT-VALUE}).")
    long maxBodyBytes = ModelServer.DEFAULT_MAX_BODY_BYTES;

    @Option(names = "--request-timeout-ms", paramLabel = "MS",
            description = "An infer request unanswered after MS gets 504; 0: no limit (default: ${DEFAULT-VALUE}).")
    long requestTimeoutMs = ModelServer.DEFAULT_REQUEST_TIMEOUT_MS;

    @Option(names = "--drain-timeout-ms", paramLabel = "MS",
            description = "On SIGTERM, how long requests in flight may take to finish (default: ${DEFAULT-VALUE}).")
    long drainTimeoutMs = ModelServer.DEFAULT_DRAIN_TIMEOUT_MS;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Connections open at once; more wait in the kernel's accept queue (default: ${DEFAULT-VALUE}).")
    int maxConnections = ModelServer.DEFAULT_MAX_CONNECTIONS;

    @Option(names = "--idle-timeout-ms", paramLabel = "MS",
            description = "A connection with no bytes in or out for MS is closed (default: ${DEFAULT-VALUE}).")
    long idleTimeoutMs = ModelServer.DEFAULT_IDLE_TIMEOUT_MS;

    @Option(names = "--header-timeout-ms", paramLabel = "MS",
            description = "A request line and headers still arriving MS after their first byte are cut off (slowloris; default: ${DEFAULT-VALUE}).")
    long headerTimeoutMs = ModelServer.DEFAULT_HEADER_TIMEOUT_MS;

    @Option(names = "--access-log", paramLabel = "FILE|-",
            description = "Append one JSON line per HTTP request to FILE, or to stderr with -; default: no access log.")
    String accessLog;

    // One core is left to HTTP and JSON: on 2 cores, forward passes on both made their parallel
    // regions spin-wait on a helper preempted by request threads. kiln bench serve measured +20%
    // images per CPU-second and 0.71 vs 0.46-0.61 of the in-process ceiling with 1 thread (BENCHMARKS.md).
    @Option(names = "--threads", paramLabel = "N",
            description = "Kernel threads of each forward pass (default: all cores but one, at least 1: ${DEFAULT-VALUE}).")
    int threads = Math.max(1, Device.CPU.threads() - 1);

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Map<String, String> env = environment.get();
        Platform chosen;
        String why;
        try {
            chosen = platform == null ? Platform.detect(env) : Platform.parse(platform);
            why = platform != null ? "--platform" : env.containsKey(Platform.PLATFORM_VARIABLE) ? Platform.PLATFORM_VARIABLE
                    : "detected from " + (chosen == Platform.VERTEX ? "AIP_* variables"
                    : chosen == Platform.SAGEMAKER ? "SAGEMAKER_* variables"
                    : chosen == Platform.AZUREML ? Platform.AZUREML_MODEL_DIR : "no platform variables");
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        PlatformSettings settings;
        try {
            settings = chosen.settings(env);
        } catch (IllegalArgumentException e) {
            throw usage("--platform " + chosen.id() + ": " + e.getMessage());
        }
        boolean cloud = chosen != Platform.KSERVE;
        if (port == null) {
            port = settings.port() != null ? settings.port() : 8080;
        }
        if (host == null) {
            host = cloud ? "0.0.0.0" : "127.0.0.1";
        }
        if (runs.isEmpty()) {
            if (settings.modelDir() == null) {
                throw usage("[NAME[:VERSION]=]RUN_DIR: expected at least one run directory"
                        + (chosen == Platform.VERTEX ? " (or AIP_STORAGE_URI set to a local directory)"
                        : chosen == Platform.AZUREML ? " (or " + Platform.AZUREML_MODEL_DIR + " set)" : ""));
            }
            runs = List.of(settings.modelDir().toString());
        }
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), "--port must be in [0, 65535], got " + port);
        }
        BatchingOptions batching;
        try {
            batching = new BatchingOptions(maxBatchSize, maxDelayMs, BatchingOptions.DEFAULT.queueCapacity());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        atLeast("--max-running-sequences", maxRunningSequences, 1);
        atLeast("--max-waiting-requests", maxWaitingRequests, 1);
        GenerationLimits generation = new GenerationLimits(maxRunningSequences, maxWaitingRequests);
        atLeast("--request-timeout-ms", requestTimeoutMs, 0);
        atLeast("--drain-timeout-ms", drainTimeoutMs, 0);
        atLeast("--threads", threads, 1);
        atLeast("--max-connections", maxConnections, 1);
        atLeast("--idle-timeout-ms", idleTimeoutMs, 1);
        atLeast("--header-timeout-ms", headerTimeoutMs, 1);
        // Every argument is checked before the first model is read: a typo costs no loading time.
        List<RunSpec> specs = runSpecs();
        Map<String, TrafficSplit> splits = splits(specs);
        String authToken = authTokenFile == null ? null : token("--auth-token-file", authTokenFile);
        String adminToken = adminTokenFile == null ? null : token("--admin-token-file", adminTokenFile);
        if (authToken != null && authToken.equals(adminToken)) {
            throw usage("--admin-token-file: expected a token other than --auth-token-file's (the admin routes can load "
                    + "any file the server can read), got the same one");
        }
        ModelServer.Builder builder = ModelServer.builder().host(host).port(port).maxBodyBytes(maxBodyBytes)
                .requestTimeoutMs(requestTimeoutMs).drainTimeoutMs(drainTimeoutMs)
                .authToken(authToken).adminToken(adminToken).protectMetrics(protectMetrics).maxConnections(maxConnections)
                .idleTimeoutMs(idleTimeoutMs).headerTimeoutMs(headerTimeoutMs).platform(PlatformRoutes.of(settings));
        if ("-".equals(accessLog)) {
            builder.accessLogToStderr();
        } else if (accessLog != null) {
            builder.accessLog(Path.of(accessLog));
        }
        for (RunSpec run : specs) {
            try {
                builder.model(run.name, run.version, RunDirectoryModels.load(run.dir, generation), batching);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        }
        splits.forEach(builder::traffic);
        CountDownLatch stopped = new CountDownLatch(1);
        int savedThreads = Device.CPU.setThreads(threads); // restored when the server stops (tests run commands in one JVM)
        ModelServer server;
        try {
            server = builder.start();
        } catch (RuntimeException e) {
            Device.CPU.setThreads(savedThreads);
            throw e;
        }
        PrintWriter err = spec.commandLine().getErr();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            err.println("kiln serve: shutting down; " + server.inFlight() + " requests in flight, waiting up to "
                    + drainTimeoutMs + " ms for them");
            err.flush();
            server.close(); // drains first
            stopped.countDown();
        }, "kiln-serve-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        // The KServe line stays as it was: scripts and tests read it.
        out.println("listening on http://" + host + ":" + server.port() + (cloud ? " (platform " + chosen.id() + ", " + why + "; "
                + settings.healthRoute() + ", " + settings.predictRoute() + ")" : ""));
        out.flush();
        stopped.await();
        Device.CPU.setThreads(savedThreads);
        return 0;
    }

    /** One positional argument, {@code [NAME[:VERSION]=]RUN_DIR}. */
    private record RunSpec(String name, String version, Path dir) {}

    /** The positional arguments, each name and version checked and no version given twice. */
    private List<RunSpec> runSpecs() {
        List<RunSpec> out = new ArrayList<>();
        for (String arg : runs) {
            int eq = arg.indexOf('=');
            Path dir = Path.of(eq < 0 ? arg : arg.substring(eq + 1));
            String label = eq < 0 ? dir.toAbsolutePath().normalize().getFileName().toString() : arg.substring(0, eq);
            int colon = eq < 0 ? -1 : label.indexOf(':');
            RunSpec run = colon < 0 ? new RunSpec(label, "1", dir) : new RunSpec(label.substring(0, colon), label.substring(colon + 1), dir);
            if (!run.name.matches(LABEL) || !run.version.matches(LABEL)) {
                throw usage("[NAME[:VERSION]=]RUN_DIR: expected a NAME and VERSION of " + LABEL + ", got \"" + arg + "\"");
            }
            if (out.stream().anyMatch(r -> r.name.equals(run.name) && r.version.equals(run.version))) {
                throw usage("[NAME[:VERSION]=]RUN_DIR: expected each version of a model once, got " + run.name + ":" + run.version
                        + " twice");
            }
            out.add(run);
        }
        return out;
    }

    /** The {@code --traffic} splits by model name, each checked against the versions given on the command line. */
    private Map<String, TrafficSplit> splits(List<RunSpec> specs) {
        Map<String, TrafficSplit> out = new LinkedHashMap<>();
        for (String t : traffic) {
            if (!t.matches("[^=,:]+=[^=,:]+:[^=,:]+(,[^=,:]+:[^=,:]+)*")) {
                throw usage("--traffic: expected NAME=VERSION:WEIGHT[,VERSION:WEIGHT...], got \"" + t + "\"");
            }
            String name = t.substring(0, t.indexOf('='));
            List<String> given = specs.stream().filter(r -> r.name.equals(name)).map(RunSpec::version).toList();
            if (given.isEmpty()) {
                throw usage("--traffic " + t + ": expected the name of a served model, got \"" + name + "\"; served: "
                        + specs.stream().map(RunSpec::name).distinct().toList());
            }
            if (out.containsKey(name)) {
                throw usage("--traffic " + t + ": expected one --traffic per model, got a second for \"" + name + "\"");
            }
            Map<String, Double> weights = new LinkedHashMap<>();
            for (String pair : t.substring(t.indexOf('=') + 1).split(",")) {
                String version = pair.substring(0, pair.indexOf(':'));
                String weight = pair.substring(pair.indexOf(':') + 1);
                if (!given.contains(version)) {
                    throw usage("--traffic " + t + ": expected a version of \"" + name + "\" given on the command line " + given
                            + ", got \"" + version + "\"");
                }
                double w;
                try {
                    w = Double.parseDouble(weight);
                } catch (NumberFormatException e) {
                    w = Double.NaN;
                }
                if (!(w >= 0) || Double.isInfinite(w)) {
                    throw usage("--traffic " + t + ": expected a weight >= 0 for version " + version + ", got \"" + weight + "\"");
                }
                if (weights.put(version, w) != null) {
                    throw usage("--traffic " + t + ": expected each version once, got \"" + version + "\" twice");
                }
            }
            try {
                out.put(name, new TrafficSplit(weights));
            } catch (IllegalArgumentException e) { // all weights 0, or a sum that overflows
                throw usage("--traffic " + t + ": " + e.getMessage());
            }
        }
        return out;
    }

    /** The bearer token in {@code file}, surrounding whitespace (the newline editors add) stripped. */
    private String token(String option, Path file) {
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw usage(option + ": cannot read " + file + ": " + e);
        }
        try {
            return BearerAuth.checkToken(option, token);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage() + " in " + file);
        }
    }

    /** A usage error naming {@code option} unless {@code value >= min}. */
    private void atLeast(String option, long value, long min) {
        if (value < min) {
            throw usage(option + " must be >= " + min + ", got " + value);
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
