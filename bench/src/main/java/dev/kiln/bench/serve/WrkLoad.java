package dev.kiln.bench.serve;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's {@code wrk} (C, epoll, one thread) as the load generator, for a server that shares a
 * small machine with its clients: measured here at about 30 µs of client CPU per request against
 * roughly 150 µs for the Java raw-socket client under the same load, so more of the cores are left
 * to the server. Closed loop like {@link LoadGenerator}: {@code concurrency} keep-alive connections,
 * each with one request in flight. A warm-up run, then the measured run; a Lua {@code done} hook
 * prints wrk's own counts, window and latency percentiles (its histogram has microsecond buckets).
 *
 * <p>Optional: nothing else in Kiln needs wrk; {@link #find} says whether it is installed
 * ({@code apt-get install wrk}).
 */
final class WrkLoad {
    /** The percentiles a run reports; {@link LoadResult#percentileMs} answers for these only. */
    static final double[] PERCENTILES = {50, 90, 99, 100};
    private static final Pattern DONE = Pattern.compile("kiln-wrk requests=(\\d+) duration_us=(\\d+) status=(\\d+)"
            + " connect=(\\d+) read=(\\d+) write=(\\d+) timeout=(\\d+) p50=([0-9.]+) p90=([0-9.]+) p99=([0-9.]+)"
            + " p100=([0-9.]+)");

    private final Path wrk;
    private final URI uri;

    WrkLoad(Path wrk, URI uri) {
        this.wrk = wrk;
        this.uri = uri;
    }

    /** The {@code wrk} executable on the PATH, if any. */
    static Optional<Path> find() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "wrk");
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * A warm-up of {@code warmupNanos} (skipped when under a second: wrk counts whole seconds), then
     * a measured run of {@code windowNanos} rounded up to whole seconds; the window is the one wrk
     * reports. {@link LoadResult#completed} counts the measured run's requests only: wrk does not
     * count the requests it abandons when a run ends, which the server still answers.
     *
     * @throws IOException when wrk cannot run or prints no summary
     */
    LoadResult run(byte[] body, int examplesPerRequest, int concurrency, long warmupNanos, long windowNanos)
            throws IOException, InterruptedException {
        return run(InferBody.json(body), examplesPerRequest, concurrency, warmupNanos, windowNanos);
    }

    /** {@link #run(byte[], int, int, long, long)} with any {@link InferBody}: a binary one goes from a file, its header set. */
    LoadResult run(InferBody body, int examplesPerRequest, int concurrency, long warmupNanos, long windowNanos)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("kiln-wrk-");
        try {
            Path bodyFile = dir.resolve("body.bin");
            Files.write(bodyFile, body.bytes());
            Path script = dir.resolve("post.lua");
            Files.writeString(script, script(bodyFile, body), StandardCharsets.UTF_8);
            long warmupS = warmupNanos / 1_000_000_000L;
            if (warmupS >= 1) {
                once(script, concurrency, warmupS);
            }
            Matcher m = once(script, concurrency, Math.max(1, (windowNanos + 999_999_999L) / 1_000_000_000L));
            long requests = Long.parseLong(m.group(1));
            long status = Long.parseLong(m.group(3));
            long socket = Long.parseLong(m.group(4)) + Long.parseLong(m.group(5)) + Long.parseLong(m.group(6))
                    + Long.parseLong(m.group(7));
            Map<Double, Double> percentiles = new TreeMap<>();
            for (int i = 0; i < PERCENTILES.length; i++) {
                percentiles.put(PERCENTILES[i], Double.parseDouble(m.group(8 + i)) / 1000.0);
            }
            long errors = status + socket;
            String first = errors == 0 ? null : "wrk counted " + status + " responses that were not 2xx/3xx and " + socket
                    + " socket errors (connect/read/write/timeout)";
            return new LoadResult(concurrency, Long.parseLong(m.group(2)) * 1000, new long[0], requests, errors, first,
                    examplesPerRequest, requests - status, percentiles);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private Matcher once(Path script, int concurrency, long seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(wrk.toString(), "-t1", "-c" + concurrency, "-d" + seconds + "s", "--timeout", "60s",
                "-s", script.toString(), uri.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        Matcher m = DONE.matcher(out);
        if (rc != 0 || !m.find()) {
            throw new IOException("wrk exited with " + rc + " and no summary; it said:\n" + out);
        }
        return m;
    }

    private static String script(Path bodyFile, InferBody body) {
        String path = bodyFile.toAbsolutePath().toString().replace("\\", "\\\\").replace("\"", "\\\"");
        // Lua strings are byte strings: "rb" and *all keep the binary tensor bytes as they are.
        String binary = body.binary() ? "wrk.headers[\"" + InferBody.HEADER_LENGTH + "\"] = \"" + body.jsonLength() + "\"\n" : "";
        return """
                wrk.method = "POST"
                wrk.headers["Content-Type"] = "%s"
                %slocal f = assert(io.open("%s", "rb"))
                wrk.body = f:read("*all")
                f:close()
                function done(summary, latency, requests)
                  local e = summary.errors
                  io.write(string.format("kiln-wrk requests=%%d duration_us=%%d status=%%d connect=%%d read=%%d write=%%d"
                    .. " timeout=%%d p50=%%.1f p90=%%.1f p99=%%.1f p100=%%.1f\\n", summary.requests, summary.duration,
                    e.status, e.connect, e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(90),
                    latency:percentile(99), latency.max))
                end
                """.formatted(body.contentType(), binary, path);
    }
}
