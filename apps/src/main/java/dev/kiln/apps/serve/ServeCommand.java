package dev.kiln.apps.serve;

import dev.kiln.serve.ModelServer;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.RunDirectoryModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve trained models (cnn, rnn, classify, seq2seq, gpt) over the KServe v2 REST protocol, with dynamic batching.",
            "Endpoints: /v2/health/live, /v2/health/ready, /v2/models/NAME[/versions/V][/ready],",
            "POST /v2/models/NAME[/versions/V]/infer, GET /metrics (Prometheus);",
            "for gpt runs also OpenAI's GET /v1/models, POST /v1/completions and /v1/chat/completions (stream: true for SSE),",
            "decoded with continuous batching."})
public final class ServeCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "[NAME=]RUN_DIR",
            description = "A kiln train run directory; the model is named after the directory unless NAME= is given.")
    List<String> runs;

    @Option(names = "--host", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "Port (0 picks a free one; default: ${DEFAULT-VALUE}).")
    int port = 8080;

    @Option(names = "--max-batch-size", paramLabel = "N", description = "Examples per forward pass (default: ${DEFAULT-VALUE}).")
    int maxBatchSize = BatchingOptions.DEFAULT.maxBatchSize();

    @Option(names = "--max-delay-ms", paramLabel = "MS", description = "How long a request waits for others to batch with (default: ${DEFAULT-VALUE}).")
    int maxDelayMs = BatchingOptions.DEFAULT.maxDelayMs();

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

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), "--port must be in [0, 65535], got " + port);
        }
        BatchingOptions batching;
        try {
            batching = new BatchingOptions(maxBatchSize, maxDelayMs, BatchingOptions.DEFAULT.queueCapacity());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (requestTimeoutMs < 0) {
            throw new ParameterException(spec.commandLine(), "--request-timeout-ms must be >= 0, got " + requestTimeoutMs);
        }
        if (drainTimeoutMs < 0) {
            throw new ParameterException(spec.commandLine(), "--drain-timeout-ms must be >= 0, got " + drainTimeoutMs);
        }
        if (maxConnections < 1) {
            throw new ParameterException(spec.commandLine(), "--max-connections must be >= 1, got " + maxConnections);
        }
        if (idleTimeoutMs < 1) {
            throw new ParameterException(spec.commandLine(), "--idle-timeout-ms must be >= 1, got " + idleTimeoutMs);
        }
        if (headerTimeoutMs < 1) {
            throw new ParameterException(spec.commandLine(), "--header-timeout-ms must be >= 1, got " + headerTimeoutMs);
        }
        ModelServer.Builder builder = ModelServer.builder().host(host).port(port).maxBodyBytes(maxBodyBytes)
                .requestTimeoutMs(requestTimeoutMs).drainTimeoutMs(drainTimeoutMs).maxConnections(maxConnections)
                .idleTimeoutMs(idleTimeoutMs).headerTimeoutMs(headerTimeoutMs);
        if ("-".equals(accessLog)) {
            builder.accessLogToStderr();
        } else if (accessLog != null) {
            builder.accessLog(Path.of(accessLog));
        }
        for (String run : runs) {
            int eq = run.indexOf('=');
            Path dir = Path.of(eq < 0 ? run : run.substring(eq + 1));
            String name = eq < 0 ? dir.toAbsolutePath().normalize().getFileName().toString() : run.substring(0, eq);
            try {
                builder.model(name, "1", RunDirectoryModels.load(dir), batching);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        CountDownLatch stopped = new CountDownLatch(1);
        ModelServer server = builder.start();
        PrintWriter err = spec.commandLine().getErr();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            err.println("kiln serve: shutting down; " + server.inFlight() + " requests in flight, waiting up to "
                    + drainTimeoutMs + " ms for them");
            err.flush();
            server.close(); // drains first
            stopped.countDown();
        }, "kiln-serve-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("listening on http://" + host + ":" + server.port());
        out.flush();
        stopped.await();
        return 0;
    }
}
