package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.serve.RawHttp.Outcome;
import dev.kiln.serve.RawHttp.Reply;
import dev.kiln.serve.model.RunDirectoryModels;
import dev.kiln.serve.openai.GenerativeModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fuzz/abuse test: a live server on loopback (a tiny cnn for KServe infer, a tiny gpt for the
 * OpenAI routes) takes malformed, truncated and mistyped JSON, bodies over the limit, deeply nested
 * bodies, invalid UTF-8, broken HTTP, a burst of 2000 connections against a limit of 512, slowloris
 * clients (trickled headers, trickled bodies, silent connections) and clients that vanish mid-request
 * and mid-stream. It prints a table of counts per category and requires 0 responses with a 5xx
 * status, 0 error bodies that are not {@code {"error": "..."}}, 0 hangs (every client read has a
 * timeout), every refusal with its expected status, and afterwards: ready, a correct infer, and
 * connections, requests in flight, decoding sequences and platform threads back near their baseline.
 */
class ServerAbuseTest {
    static final int BODY_LIMIT = 64 * 1024;
    static final int MAX_CONNECTIONS = 512;
    static final long HEADER_TIMEOUT_MS = 1_000;
    static final long IDLE_TIMEOUT_MS = 2_000;
    static final int BURST = 2_000;
    static final String INFER = "/v2/models/fashion/infer";
    static final String COMPLETIONS = "/v1/completions";
    static final String CHAT = "/v1/chat/completions";

    @TempDir
    static Path tmp;
    static ModelServer server;
    static RawHttp raw;
    static final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    static final List<Tally> tallies = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void start() throws Exception {
        server = ModelServer.builder().port(0).maxBodyBytes(BODY_LIMIT).maxConnections(MAX_CONNECTIONS)
                .headerTimeoutMs(HEADER_TIMEOUT_MS).idleTimeoutMs(IDLE_TIMEOUT_MS)
                .model("fashion", RunDirectoryModels.load(TinyRuns.cnn(tmp.resolve("cnn"))))
                .model("tiny", RunDirectoryModels.load(TinyRuns.gpt(tmp.resolve("gpt"), 64)))
                .start();
        raw = new RawHttp(server.port());
    }

    @AfterAll
    static void stop() {
        threads.close();
        server.close();
    }

    /** One category's counts: connections made, how they ended, statuses, and what broke the contract. */
    static final class Tally {
        final String name;
        final AtomicInteger requests = new AtomicInteger();
        final AtomicInteger answered = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        final AtomicInteger timeouts = new AtomicInteger();
        final AtomicInteger serverErrors = new AtomicInteger();
        final AtomicInteger nonJson = new AtomicInteger();
        final AtomicInteger unexpected = new AtomicInteger();
        final Map<Integer, Integer> statuses = Collections.synchronizedMap(new TreeMap<>());
        final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();

        Tally(String name) {
            this.name = name;
            tallies.add(this);
        }

        /** Counts {@code r}; a response whose status is not in {@code expected}, or none at all, is a problem. */
        void expect(String what, Reply r, Set<Integer> expected) {
            count(what, r, true, expected);
        }

        /** Counts {@code r}, where being refused or closed without a response is allowed (the connection limit). */
        void allowClosed(String what, Reply r, Set<Integer> expected) {
            count(what, r, false, expected);
        }

        private void count(String what, Reply r, boolean answerRequired, Set<Integer> expected) {
            requests.incrementAndGet();
            switch (r.outcome()) {
                case ANSWERED -> answered.incrementAndGet();
                case CLOSED -> closed.incrementAndGet();
                case REFUSED -> refused.incrementAndGet();
                case TIMEOUT -> timeouts.incrementAndGet();
            }
            if (r.outcome() == Outcome.TIMEOUT) {
                problem(what + ": no answer within " + RawHttp.TIMEOUT_MS + " ms");
                return;
            }
            if (r.outcome() != Outcome.ANSWERED) {
                if (answerRequired) {
                    unexpected.incrementAndGet();
                    problem(what + ": " + r.outcome() + " without a response (" + r.body() + ")");
                }
                return;
            }
            statuses.merge(r.status(), 1, Integer::sum);
            if (r.status() >= 500) {
                serverErrors.incrementAndGet();
                problem(what + ": " + r.status() + " " + r.body());
            }
            if (r.status() >= 400 && !r.jsonError()) {
                nonJson.incrementAndGet();
                problem(what + ": " + r.status() + " with a body that is not {\"error\": ...}: " + r.contentType() + " " + r.body());
            }
            if (r.status() == 429 && r.retryAfter() == null) {
                unexpected.incrementAndGet();
                problem(what + ": 429 without Retry-After");
            }
            if (!expected.contains(r.status())) {
                unexpected.incrementAndGet();
                problem(what + ": expected " + expected + ", got " + r.status() + " " + r.body());
            }
        }

        void problem(String p) {
            if (problems.size() < 20) {
                problems.add(p);
            }
        }
    }

    @Test
    void abuseEndsWithNoCrashNoHangAndAHealthyServer() throws Exception {
        Reply warm = raw.exchange(RawHttp.post(INFER, goodInfer()));
        assertEquals(200, warm.status(), warm.body());
        int baseThreads = ManagementFactory.getThreadMXBean().getThreadCount();

        timed("malformed", this::malformedJson);
        timed("truncated", this::truncatedJson);
        timed("wrong types", this::wrongTypes);
        timed("huge", this::hugeBodies);
        timed("nested", this::deeplyNested);
        timed("utf8", this::invalidUtf8);
        timed("broken http", this::brokenHttp);
        long cutBeforeBurst = server.slowHeadersCutOff();
        timed("burst", this::burst);
        System.out.println("burst: heads cut off during the burst: " + (server.slowHeadersCutOff() - cutBeforeBurst));
        timed("slow", this::slowClients);
        timed("vanish", this::vanishingClients);

        printTable();
        List<String> failures = new ArrayList<>();
        for (Tally t : tallies) {
            if (t.timeouts.get() + t.serverErrors.get() + t.nonJson.get() + t.unexpected.get() > 0) {
                failures.add(t.name + ": " + t.problems);
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));

        // Still healthy, still right, and what the abuse held is let go.
        Reply ready = raw.exchange(RawHttp.get("/v2/health/ready"));
        assertEquals(200, ready.status(), ready.body());
        Reply infer = raw.exchange(RawHttp.post(INFER, goodInfer()));
        assertEquals(200, infer.status(), infer.body());
        assertArrayEquals(ModelServerTest.referenceImageLogits(image(), 1),
                ModelServerTest.floats(ModelServerTest.output(Http.JSON.readTree(infer.body()), "logits")), 1e-4f);
        GenerativeModel gpt = (GenerativeModel) server.registry().find("tiny", null).model();
        await(() -> server.openConnections() <= 2, () -> "connections back to idle: " + server.openConnections() + " open");
        await(() -> server.inFlight() == 0, () -> "no request in flight: " + server.inFlight());
        await(() -> gpt.runningSequences() + gpt.waitingSequences() == 0 && gpt.openCaches() == 0,
                () -> "no sequence left decoding: " + gpt.runningSequences() + " running, " + gpt.waitingSequences() + " waiting");
        // Handlers run on virtual threads; the platform threads are Jetty's selectors and the JVM's own, so
        // the count may drift by a few (the HTTP client of other tests, JIT compilers) but not by the 2000 connections.
        await(() -> ManagementFactory.getThreadMXBean().getThreadCount() <= baseThreads + 32,
                () -> "platform threads back near " + baseThreads + ": " + ManagementFactory.getThreadMXBean().getThreadCount());
        String metrics = raw.exchange(RawHttp.get("/metrics")).body();
        assertTrue(new Prometheus(metrics).value("kiln_connections_slow_head_cut_total") >= 16, "slow heads counted in /metrics");
        assertTrue(!metrics.matches("(?s).*kiln_infer_requests_total\\{[^}]*status=\"5\\d\\d\".*"),
                "the server recorded no 5xx:\n" + metrics.lines().filter(l -> l.startsWith("kiln_infer_requests_total")).toList());
        System.out.printf("after the abuse: %d connections open, %d requests in flight, %d platform threads (baseline %d)%n",
                server.openConnections(), server.inFlight(), ManagementFactory.getThreadMXBean().getThreadCount(), baseThreads);
    }

    // ---- categories

    private void malformedJson() {
        Tally t = new Tally("malformed JSON");
        List<String> bodies = new ArrayList<>(List.of("", " ", "{", "}", "[", "{\"inputs\":", "{\"inputs\":}",
                "{\"inputs\":[{\"name\":\"images\",}]}", "{'inputs':[]}", "{\"inputs\":[]}}", "{\"a\":1,,}", "nul", "tru",
                "{\"a\":NaN}", "{\"a\":01}", "{\"a\":1e}", "{\"a\":\"\\x\"}", "{\"a\":\"unterminated}", "<xml/>", "\u0000",
                "[]", "42", "\"just a string\"", "null", "true", "{\"model\":\"tiny\" \"prompt\":\"a\"}", "{}{}"));
        Random r = new Random(15);
        String alphabet = "{}[]\":,0123456789.eE-+truefalsnl \\";
        for (int i = 0; i < 24; i++) {
            StringBuilder b = new StringBuilder();
            for (int n = 1 + r.nextInt(64); n > 0; n--) {
                b.append(alphabet.charAt(r.nextInt(alphabet.length())));
            }
            bodies.add(b.toString());
        }
        for (String body : bodies) {
            for (String path : List.of(INFER, COMPLETIONS, CHAT)) {
                send(t, path + " " + body, RawHttp.post(path, body), Set.of(400));
            }
        }
    }

    private void truncatedJson() {
        Tally t = new Tally("truncated JSON");
        String infer = goodInfer();
        String completion = "{\"model\":\"tiny\",\"prompt\":\"hello\",\"max_tokens\":5,\"temperature\":0.5,\"stop\":[\"x\"]}";
        String chat = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3}";
        for (int i = 0; i < 40; i++) {
            int cut = (int) ((long) infer.length() * i / 40);
            send(t, "infer cut at " + cut, RawHttp.post(INFER, infer.substring(0, cut)), Set.of(400));
        }
        for (int cut = 0; cut < completion.length(); cut += 3) {
            send(t, "completion cut at " + cut, RawHttp.post(COMPLETIONS, completion.substring(0, cut)), Set.of(400));
        }
        for (int cut = 0; cut < chat.length(); cut += 3) {
            send(t, "chat cut at " + cut, RawHttp.post(CHAT, chat.substring(0, cut)), Set.of(400));
        }
    }

    private void wrongTypes() {
        Tally t = new Tally("wrong types");
        String pixels = pixelList(144);
        String tensor = "{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[1,1,12,12],\"data\":" + pixels + "}";
        List<String> infers = List.of("{\"inputs\":{}}", "{\"inputs\":\"images\"}", "{\"inputs\":[1]}", "{\"inputs\":[null]}",
                "{\"inputs\":[" + tensor.replace("\"name\":\"images\"", "\"name\":7") + "]}",
                "{\"inputs\":[" + tensor.replace("\"name\":\"images\"", "\"name\":\"pictures\"") + "]}",
                "{\"inputs\":[" + tensor.replace("\"FP32\"", "32") + "]}",
                "{\"inputs\":[" + tensor.replace("\"FP32\"", "\"FP99\"") + "]}",
                "{\"inputs\":[" + tensor.replace("\"FP32\"", "\"BYTES\"") + "]}",
                "{\"inputs\":[" + tensor.replace("[1,1,12,12]", "\"1,1,12,12\"") + "]}",
                "{\"inputs\":[" + tensor.replace("[1,1,12,12]", "[1,1,12]") + "]}",
                "{\"inputs\":[" + tensor.replace("[1,1,12,12]", "[-1,1,12,12]") + "]}",
                "{\"inputs\":[" + tensor.replace("[1,1,12,12]", "[1.5,1,12,12]") + "]}",
                "{\"inputs\":[" + tensor.replace("[1,1,12,12]", "[2,1,12,12]") + "]}",
                "{\"inputs\":[" + tensor.replace("[1,1,12,12]", "[100000000,1,12,12]") + "]}",
                "{\"inputs\":[" + tensor.replace("[1,1,12,12]", "[9223372036854775807,1,12,12]") + "]}",
                "{\"inputs\":[" + tensor.replace(pixels, "\"pixels\"") + "]}",
                "{\"inputs\":[" + tensor.replace(pixels, pixels.replace("0.5", "\"0.5\"")) + "]}",
                "{\"inputs\":[" + tensor.replace(pixels, pixels.replace("0.5", "true")) + "]}",
                "{\"inputs\":[" + tensor.replace(pixels, pixels.replace("0.5", "{}")) + "]}",
                "{\"inputs\":[" + tensor.replace(pixels, pixelList(143)) + "]}",
                "{\"inputs\":[" + tensor.replace(pixels, "[" + pixelList(72) + "," + pixelList(71) + "]") + "]}",
                "{\"inputs\":[" + tensor.replace(pixels, pixels.replace("0.5", "1e999")) + "]}",
                "{\"inputs\":[" + tensor.replace(pixels, pixels.replace("0.5", "-1e39")) + "]}",
                "{\"id\":5,\"inputs\":[" + tensor + "]}",
                "{\"inputs\":[" + tensor + "],\"outputs\":\"logits\"}",
                "{\"inputs\":[" + tensor + "],\"outputs\":[{\"name\":\"nope\"}]}",
                "{\"inputs\":[" + tensor + "],\"outputs\":[{\"name\":5}]}");
        for (String body : infers) {
            send(t, INFER + " " + abbreviate(body), RawHttp.post(INFER, body), Set.of(400));
        }
        send(t, "unknown model", RawHttp.post("/v2/models/nope/infer", goodInfer()), Set.of(404));
        send(t, "unknown version", RawHttp.post("/v2/models/fashion/versions/9/infer", goodInfer()), Set.of(404));
        String base = "\"model\":\"tiny\",\"prompt\":\"hello\",\"max_tokens\":5";
        List<String> completions = List.of("{\"model\":5,\"prompt\":\"a\"}", "{\"prompt\":\"a\"}", "{\"model\":\"tiny\",\"prompt\":5}",
                "{\"model\":\"tiny\",\"prompt\":[]}", "{\"model\":\"tiny\",\"prompt\":[1,2]}", "{\"model\":\"tiny\",\"prompt\":{}}",
                "{" + base.replace("5", "\"ten\"") + "}", "{" + base.replace(":5", ":-1") + "}",
                "{" + base.replace(":5", ":10000000000") + "}", "{" + base.replace(":5", ":2.5") + "}",
                "{" + base + ",\"temperature\":\"hot\"}", "{" + base + ",\"temperature\":-1}", "{" + base + ",\"top_p\":2}",
                "{" + base + ",\"top_p\":[0.5]}", "{" + base + ",\"n\":0}", "{" + base + ",\"n\":\"2\"}", "{" + base + ",\"stream\":\"yes\"}",
                "{" + base + ",\"stream\":1}", "{" + base + ",\"stop\":5}", "{" + base + ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}",
                "{" + base + ",\"seed\":\"x\"}", "{" + base + ",\"seed\":1.5}", "{" + base + ",\"logprobs\":3}",
                "{\"model\":\"fashion\",\"prompt\":\"a\"}");
        for (String body : completions) {
            send(t, COMPLETIONS + " " + body, RawHttp.post(COMPLETIONS, body), Set.of(400));
        }
        send(t, "unknown /v1 model", RawHttp.post(COMPLETIONS, "{\"model\":\"nope\",\"prompt\":\"a\"}"), Set.of(404));
        List<String> chats = List.of("{\"model\":\"tiny\",\"messages\":\"hi\"}", "{\"model\":\"tiny\",\"messages\":[]}",
                "{\"model\":\"tiny\",\"messages\":[{\"role\":5,\"content\":\"hi\"}]}",
                "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\"}]}",
                "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":7}]}",
                "{\"model\":\"tiny\",\"messages\":[\"hi\"]}", "{\"model\":\"tiny\",\"prompt\":\"hi\"}");
        for (String body : chats) {
            send(t, CHAT + " " + body, RawHttp.post(CHAT, body), Set.of(400));
        }
    }

    private void hugeBodies() {
        Tally t = new Tally("huge body");
        for (String path : List.of(INFER, COMPLETIONS, CHAT)) {
            // A declared length over the limit is refused from the headers, before a body byte is read.
            String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
                    + "Content-Length: " + (100L << 20) + "\r\n\r\n";
            send(t, path + " declared 100 MiB", head.getBytes(StandardCharsets.US_ASCII), Set.of(413));
            // A chunked body has no declared length: it is cut off once it passes the limit.
            StringBuilder chunked = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n");
            String chunk = "[" + "0,".repeat(4095) + "0]"; // 8193 bytes: 9 chunks pass the limit
            for (int i = 0; i < 9; i++) {
                chunked.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
            }
            send(t, path + " chunked over the limit", chunked.toString().getBytes(StandardCharsets.US_ASCII), Set.of(413));
        }
    }

    private void deeplyNested() {
        Tally t = new Tally("deeply nested");
        for (int depth : new int[] {65, 100, 1_000, 10_000}) { // 10,000 levels of objects: 50 kB, under the body limit
            String arrays = "[".repeat(depth) + "]".repeat(depth);
            String objects = "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
            send(t, "infer data nested " + depth, RawHttp.post(INFER,
                    "{\"inputs\":[{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":" + arrays + "}]}"), Set.of(400));
            send(t, "infer objects nested " + depth, RawHttp.post(INFER, "{\"id\":\"x\",\"p\":" + objects + "}"), Set.of(400));
            send(t, "root arrays nested " + depth, RawHttp.post(INFER, arrays), Set.of(400));
            send(t, "completion nested " + depth, RawHttp.post(COMPLETIONS,
                    "{\"model\":\"tiny\",\"prompt\":" + arrays + "}"), Set.of(400));
            send(t, "chat nested " + depth, RawHttp.post(CHAT,
                    "{\"model\":\"tiny\",\"messages\":[" + objects + "]}"), Set.of(400));
        }
        String deepest = "[".repeat(30_000) + "]".repeat(30_000); // 60 kB of arrays
        send(t, "root arrays nested 30000", RawHttp.post(INFER, deepest), Set.of(400));
        send(t, "completion nested 30000", RawHttp.post(COMPLETIONS, "{\"prompt\":" + deepest + "}"), Set.of(400));
    }

    private void invalidUtf8() {
        Tally t = new Tally("invalid UTF-8");
        int[][] bad = {{0xFF}, {0xFE}, {0xC0, 0x80}, {0xE0, 0x80, 0x80}, {0xED, 0xA0, 0x80}, {0xF8, 0x88, 0x80, 0x80, 0x80},
                {0x80}, {0xBF}, {0xC3}, {0xE2, 0x82}, {0xF4, 0x90, 0x80, 0x80}, {0xC3, 0x28}};
        for (int[] seq : bad) {
            byte[] b = new byte[seq.length];
            for (int i = 0; i < seq.length; i++) {
                b[i] = (byte) seq[i];
            }
            String hex = java.util.HexFormat.ofDelimiter(" ").formatHex(b);
            check(t, "infer id " + hex, INFER, "{\"id\":\"x", b, "\",\"inputs\":[" + imageTensor() + "]}");
            check(t, "prompt " + hex, COMPLETIONS, "{\"model\":\"tiny\",\"max_tokens\":2,\"prompt\":\"he", b, "llo\"}");
            check(t, "chat content " + hex, CHAT, "{\"model\":\"tiny\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"",
                    b, "\"}]}");
            check(t, "key " + hex, COMPLETIONS, "{\"model\":\"tiny\",\"", b, "\":1,\"prompt\":\"a\"}");
            check(t, "bare " + hex, INFER, "", b, "");
        }
    }

    private void check(Tally t, String what, String path, String before, byte[] bad, String after) {
        byte[] body = RawHttp.concat(RawHttp.concat(before.getBytes(StandardCharsets.UTF_8), bad), after.getBytes(StandardCharsets.UTF_8));
        sent.add(threads.submit(() -> {
            concurrency.acquire();
            try {
                Reply r = raw.exchange(RawHttp.post(path, body));
                t.expect(what, r, Set.of(400));
                if (r.status() == 400 && r.jsonError() && !r.body().contains("UTF-8")) {
                    t.unexpected.incrementAndGet();
                    t.problem(what + ": the error does not name the encoding: " + r.body());
                }
            } finally {
                concurrency.release();
            }
            return null;
        }));
    }

    private void brokenHttp() {
        Tally t = new Tally("broken HTTP");
        String huge = "x".repeat(20_000);
        List<String> requests = List.of("GARBAGE\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",
                "GET /v2/health/ready HTTP/1.1\r\n\r\n", // no Host
                "GET /v2/health/ready HTTP/1.1\r\nHost: x\r\nX-Big: " + huge + "\r\n\r\n",
                "GET /v2/health/ready?" + huge + " HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /v2/health/ready HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
                "GET /v2/health/ready HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\n\r\n",
                "POST " + INFER + " HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
                "POST " + INFER + " HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                "POST " + INFER + " HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{}",
                "POST " + INFER + " HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "POST " + INFER + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
                "POST " + INFER + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}",
                "GET /v2/models/%zz HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /v2/models/%C0%80 HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
                "DELETE /v2/health/ready HTTP/1.1\r\nHost: x\r\n\r\n",
                "PUT " + INFER + " HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
                "BREW /v2/health/ready HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET " + INFER + " HTTP/1.1\r\nHost: x\r\n\r\n");
        Set<Integer> clientErrors = new java.util.HashSet<>();
        for (int s = 400; s < 500; s++) {
            clientErrors.add(s);
        }
        for (String request : requests) {
            // Connection: close so that the requests Jetty passes to the routes end as soon as answered, not at the idle timeout
            byte[] bytes = request.replace("Host: x\r\n", "Host: x\r\nConnection: close\r\n").getBytes(StandardCharsets.ISO_8859_1);
            send(t, abbreviate(request.replace("\r\n", "\\r\\n")), bytes, clientErrors);
        }
    }

    private void burst() throws Exception {
        Tally t = new Tally("burst " + BURST + " conns");
        AtomicInteger peak = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        Future<?> sampler = threads.submit(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(server.openConnections(), Math::max);
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        List<Future<Reply>> replies = new ArrayList<>();
        byte[] infer = RawHttp.post(INFER, goodInfer());
        for (int i = 0; i < BURST; i++) {
            byte[] request = i % 10 == 0 ? infer : RawHttp.get(i % 2 == 0 ? "/v2/health/ready" : "/v2/health/live");
            replies.add(threads.submit(() -> {
                go.await();
                return raw.exchange(request);
            }));
        }
        go.countDown();
        Map<String, Integer> notServed = new TreeMap<>();
        for (Future<Reply> f : replies) {
            Reply r = f.get(60, TimeUnit.SECONDS);
            t.allowClosed("burst", r, Set.of(200, 429));
            if (r.outcome() == Outcome.CLOSED || r.outcome() == Outcome.REFUSED) {
                notServed.merge(r.outcome() + ": " + r.body(), 1, Integer::sum);
            }
        }
        if (!notServed.isEmpty()) {
            System.out.println("burst: connections not served: " + notServed);
        }
        sampler.cancel(true);
        if (peak.get() > MAX_CONNECTIONS) {
            t.unexpected.incrementAndGet();
            t.problem("open connections peaked at " + peak.get() + ", over the limit of " + MAX_CONNECTIONS);
        }
        System.out.printf("burst: open connections peaked at %d (limit %d)%n", peak.get(), MAX_CONNECTIONS);
    }

    private void slowClients() throws Exception {
        Tally heads = new Tally("slowloris heads");
        Tally bodies = new Tally("slowloris bodies");
        Tally silent = new Tally("silent conns");
        long cutBefore = server.slowHeadersCutOff();
        List<Future<Long>> headCuts = new ArrayList<>();
        List<Future<Reply>> bodyReplies = new ArrayList<>();
        List<Future<Long>> silentCuts = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            headCuts.add(threads.submit(() -> trickle("POST " + INFER + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                    + "a".repeat(10_000))));
        }
        for (int i = 0; i < 8; i++) {
            bodyReplies.add(threads.submit(this::trickleBody));
        }
        for (int i = 0; i < 8; i++) {
            silentCuts.add(threads.submit(() -> trickle("")));
        }
        long worstHead = 0;
        for (Future<Long> f : headCuts) {
            long ms = f.get(60, TimeUnit.SECONDS);
            heads.requests.incrementAndGet();
            if (ms < 0) {
                heads.timeouts.incrementAndGet();
                heads.problem("a trickled head was not cut off within " + RawHttp.TIMEOUT_MS + " ms");
            } else {
                heads.closed.incrementAndGet();
                worstHead = Math.max(worstHead, ms);
            }
        }
        // The sweep runs every quarter of the timeout: a cut-off comes by timeout + sweep; the bound is generous for a busy machine.
        if (worstHead > HEADER_TIMEOUT_MS + 4_000) {
            heads.unexpected.incrementAndGet();
            heads.problem("a trickled head was cut off only after " + worstHead + " ms (timeout " + HEADER_TIMEOUT_MS + " ms)");
        }
        long cut = server.slowHeadersCutOff() - cutBefore;
        if (cut < headCuts.size()) {
            heads.unexpected.incrementAndGet();
            heads.problem("the server counted " + cut + " heads cut off, expected " + headCuts.size());
        }
        for (Future<Reply> f : bodyReplies) {
            bodies.expect("trickled body", f.get(60, TimeUnit.SECONDS), Set.of(408));
        }
        long worstSilent = 0;
        for (Future<Long> f : silentCuts) {
            long ms = f.get(60, TimeUnit.SECONDS);
            silent.requests.incrementAndGet();
            if (ms < 0) {
                silent.timeouts.incrementAndGet();
                silent.problem("a silent connection was not closed within " + RawHttp.TIMEOUT_MS + " ms");
            } else {
                silent.closed.incrementAndGet();
                worstSilent = Math.max(worstSilent, ms);
            }
        }
        System.out.printf("slowloris: trickled heads cut off after at most %d ms (timeout %d ms, %d counted by the server); "
                + "silent connections closed after at most %d ms (idle timeout %d ms)%n", worstHead, HEADER_TIMEOUT_MS, cut,
                worstSilent, IDLE_TIMEOUT_MS);
    }

    /**
     * Sends {@code head} one byte every 50 ms (or nothing when empty) until the server closes the connection.
     *
     * @return milliseconds from connecting to the server's close, or -1 when it did not close within the timeout
     */
    private static long trickle(String head) throws IOException, InterruptedException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), RawHttp.TIMEOUT_MS);
            s.setSoTimeout(RawHttp.TIMEOUT_MS);
            long start = System.nanoTime();
            Future<Integer> eof = threads.submit(() -> {
                try {
                    return s.getInputStream().read();
                } catch (IOException e) {
                    return -1; // reset: closed all the same
                }
            });
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < head.length() && !eof.isDone(); i++) {
                try {
                    out.write(head.charAt(i));
                    out.flush();
                } catch (IOException e) {
                    break; // the server has closed it
                }
                Thread.sleep(50);
            }
            try {
                int got = eof.get(RawHttp.TIMEOUT_MS + 1_000L, TimeUnit.MILLISECONDS);
                return got < 0 ? TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) : -1;
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                return -1;
            }
        }
    }

    /** A well-formed head with Content-Length 1000, then the body one byte every 200 ms: far below the minimum rate. */
    private Reply trickleBody() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), RawHttp.TIMEOUT_MS);
            s.setSoTimeout(RawHttp.TIMEOUT_MS);
            OutputStream out = s.getOutputStream();
            out.write(("POST " + INFER + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
                    + "Content-Length: 1000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            Future<Reply> reply = threads.submit(() -> RawHttp.read(in));
            for (int i = 0; i < 1000 && !reply.isDone(); i++) {
                try {
                    out.write(' ');
                    out.flush();
                    Thread.sleep(200);
                } catch (IOException e) {
                    break;
                }
            }
            return reply.get(RawHttp.TIMEOUT_MS + 1_000L, TimeUnit.MILLISECONDS);
        } catch (InterruptedException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return new Reply(Outcome.TIMEOUT, 0, "", e.toString(), null);
        }
    }

    private void vanishingClients() throws Exception {
        Tally midRequest = new Tally("vanish mid-request");
        Tally midStream = new Tally("vanish mid-stream");
        List<Future<?>> done = new ArrayList<>();
        byte[] infer = goodInfer().getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 50; i++) {
            boolean wholeBody = i % 2 == 0;
            done.add(threads.submit(() -> {
                try (Socket s = new Socket("127.0.0.1", server.port())) {
                    OutputStream out = s.getOutputStream();
                    out.write(("POST " + INFER + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + infer.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(infer, 0, wholeBody ? infer.length : infer.length / 3); // all of it (then no reading), or a third
                    out.flush();
                    s.setSoLinger(true, 0); // a reset, as from a client that crashed
                }
                midRequest.requests.incrementAndGet();
                midRequest.closed.incrementAndGet();
                return null;
            }));
        }
        byte[] stream = "{\"model\":\"tiny\",\"prompt\":\"hello\",\"max_tokens\":50,\"temperature\":0.8,\"stream\":true}"
                .getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 20; i++) {
            done.add(threads.submit(() -> {
                try (Socket s = new Socket("127.0.0.1", server.port())) {
                    s.setSoTimeout(RawHttp.TIMEOUT_MS);
                    OutputStream out = s.getOutputStream();
                    out.write(("POST " + COMPLETIONS + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + stream.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(stream);
                    out.flush();
                    InputStream in = s.getInputStream();
                    StringBuilder seen = new StringBuilder();
                    midStream.requests.incrementAndGet();
                    try {
                        while (!seen.toString().contains("data: ")) {
                            int b = in.read();
                            if (b < 0) {
                                midStream.unexpected.incrementAndGet();
                                midStream.problem("closed before the first event: " + seen);
                                return null;
                            }
                            seen.append((char) b);
                        }
                    } catch (java.net.SocketTimeoutException e) {
                        midStream.timeouts.incrementAndGet();
                        midStream.problem("no first event within " + RawHttp.TIMEOUT_MS + " ms");
                        return null;
                    }
                    if (!seen.toString().startsWith("HTTP/1.1 200")) {
                        midStream.unexpected.incrementAndGet();
                        midStream.problem("the stream did not start with 200: " + seen);
                    }
                    midStream.answered.incrementAndGet();
                    midStream.statuses.merge(200, 1, Integer::sum);
                    s.setSoLinger(true, 0);
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
    }

    // ---- helpers

    /** Requests of the current category still being answered; at most {@link #concurrency} at once. */
    private final List<Future<?>> sent = new ArrayList<>();
    private final java.util.concurrent.Semaphore concurrency = new java.util.concurrent.Semaphore(8);

    /** Sends {@code request} on its own connection (a few at a time) and counts the reply in {@code t}. */
    private void send(Tally t, String what, byte[] request, Set<Integer> expected) {
        sent.add(threads.submit(() -> {
            concurrency.acquire();
            try {
                t.expect(what, raw.exchange(request), expected);
            } finally {
                concurrency.release();
            }
            return null;
        }));
    }

    /** Waits for every request {@link #send} started. */
    private void awaitSent() throws Exception {
        for (Future<?> f : sent) {
            f.get(60, TimeUnit.SECONDS);
        }
        sent.clear();
    }

    @FunctionalInterface
    interface Phase {
        void run() throws Exception;
    }

    private void timed(String name, Phase phase) throws Exception {
        long t0 = System.nanoTime();
        phase.run();
        awaitSent();
        System.out.printf("phase %s: %d ms%n", name, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    private static void printTable() {
        String row = "%-20s %8s %8s %7s %7s %7s %5s %8s %10s  %s%n";
        System.out.println();
        System.out.printf(row, "category", "requests", "answered", "closed", "refused", "timeout", "5xx", "non-JSON", "unexpected",
                "statuses");
        for (Tally t : tallies) {
            System.out.printf(row, t.name, t.requests, t.answered, t.closed, t.refused, t.timeouts, t.serverErrors, t.nonJson,
                    t.unexpected, t.statuses);
        }
        System.out.println();
    }

    private static float[] image() {
        return ModelServerTest.pixels(1, 99);
    }

    private static String goodInfer() {
        return ModelServerTest.imageRequest(image(), 1);
    }

    private static String imageTensor() {
        return "{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[1,1,12,12],\"data\":" + pixelList(144) + "}";
    }

    private static String pixelList(int n) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append(i == 1 ? "0.5" : "0.25");
        }
        return b.append(']').toString();
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }

    private static void await(BooleanSupplier condition, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, () -> "timed out waiting until " + what.get());
            Thread.sleep(10);
        }
    }
}
