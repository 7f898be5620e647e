package dev.kiln.bench.serve;

import dev.kiln.serve.ModelServer;
import dev.kiln.serve.batch.BatchingOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link ModelServer} in its own JVM, so that the server's CPU time (its process's, JIT and GC
 * included) and the load generator's (this process's) can be told apart, and neither shares a heap
 * or a JIT queue with the other. Its {@link #main} serves one {@link BenchModel} on 127.0.0.1, port
 * 0, prints {@code port N}, and stops when its standard input closes; {@link #start} runs it with
 * this JVM's flags and class path.
 *
 * <p>Thread-safety: one thread drives an instance; {@link #close} stops the child and waits for it.
 */
final class ServerProcess implements AutoCloseable {
    static final String MODEL_NAME = "cnn";
    private static final long START_TIMEOUT_S = 120;

    private final Process process;
    private final Path log;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private ServerProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /**
     * Starts a server JVM for {@code model} with {@code batching}; its kernels use {@code threads}
     * threads ({@code -Dkiln.threads}), or all cores when 0.
     *
     * @throws IOException when the JVM cannot start or does not report its port within two minutes
     *     (the message carries the end of its log)
     */
    static ServerProcess start(BenchModel model, BatchingOptions batching, int threads) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // The launcher's module and GC flags carry over; a heap size, agents and debuggers do not.
            if (!flag.startsWith("-Xmx") && !flag.startsWith("-agent") && !flag.startsWith("-javaagent")) {
                command.add(flag);
            }
        }
        if (threads > 0) {
            command.add("-Dkiln.threads=" + threads);
        }
        command.addAll(List.of("-Xmx2g", "-cp", System.getProperty("java.class.path"), ServerProcess.class.getName(),
                "--max-batch-size", Integer.toString(batching.maxBatchSize()),
                "--max-delay-ms", Integer.toString(batching.maxDelayMs()),
                "--queue-capacity", Integer.toString(batching.queueCapacity())));
        command.addAll(model.args());
        Path log = Files.createTempFile("kiln-bench-serve-", ".log");
        Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
        CompletableFuture<String> firstLine = CompletableFuture.supplyAsync(() -> {
            try {
                // JVM flags such as -XX:StartFlightRecording print to stdout first: skip to our line.
                BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                String l = r.readLine();
                while (l != null && !l.startsWith("port ")) {
                    l = r.readLine();
                }
                return l;
            } catch (IOException e) {
                return null;
            }
        });
        String line;
        try {
            line = firstLine.get(START_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            line = null;
        }
        if (line == null || !line.startsWith("port ")) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IOException("the server JVM did not start (" + (line == null ? "no port reported" : "said: " + line)
                    + "); its log " + log + " ends with:\n" + tail(log));
        }
        return new ServerProcess(p, log, Integer.parseInt(line.substring(5).trim()));
    }

    /** The infer endpoint of the served model. */
    URI inferUri() {
        return URI.create("http://127.0.0.1:" + port + "/v2/models/" + MODEL_NAME + "/infer");
    }

    /** CPU time the server JVM has used so far, all its threads, in nanoseconds (-1 when the OS does not say). */
    long cpuNanos() {
        return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    /** The server's {@code /metrics} in the Prometheus text format. */
    String metrics() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET /metrics: HTTP " + r.statusCode());
        }
        return r.body();
    }

    @Override
    public void close() throws IOException {
        http.close();
        process.getOutputStream().close(); // the child's cue to stop
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            // Interrupted while it stops: kill it rather than leave a server behind, and keep the interrupt for the caller.
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(log);
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** The server JVM: {@code --max-batch-size N --max-delay-ms D --queue-capacity Q} and a {@link BenchModel}'s arguments. */
    public static void main(String[] args) throws Exception {
        List<String> list = Arrays.asList(args);
        BatchingOptions batching = new BatchingOptions(intArg(list, "--max-batch-size"), intArg(list, "--max-delay-ms"),
                intArg(list, "--queue-capacity"));
        try (ModelServer server = ModelServer.builder().model(MODEL_NAME, "1", BenchModel.parse(list).build(), batching)
                .host("127.0.0.1").port(0).start()) {
            OutputStream out = System.out;
            out.write(("port " + server.port() + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            while (System.in.read() >= 0) {
                // runs until the bench closes our standard input (or dies)
            }
        }
        System.exit(0);
    }

    private static int intArg(List<String> args, String name) {
        int i = args.indexOf(name);
        if (i < 0 || i + 1 >= args.size()) {
            throw new IllegalArgumentException("ServerProcess: missing " + name);
        }
        return Integer.parseInt(args.get(i + 1));
    }
}
