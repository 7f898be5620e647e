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
        ModelServer.Builder builder = ModelServer.builder().host(host).port(port).maxBodyBytes(maxBodyBytes);
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
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "kiln-serve-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("listening on http://" + host + ":" + server.port());
        out.flush();
        stopped.await();
        return 0;
    }
}
