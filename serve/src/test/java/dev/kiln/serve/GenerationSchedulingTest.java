package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.data.tokenize.TextTokenizer;
import dev.kiln.data.vocab.CharVocabulary;
import dev.kiln.nn.generate.DecodeModel;
import dev.kiln.nn.generate.GptDecodeModel;
import dev.kiln.serve.openai.GenerativeModel;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Continuous batching, streaming, back-pressure and cancellation on a live loopback server. The
 * model's decode steps wait for permits the test hands out (prefill does not), so "the first
 * chunk came before the answer was decoded", "the batch is full" and "the client left mid-way"
 * are states the test holds, not races it hopes to win.
 */
class GenerationSchedulingTest {
    private static final long TIMEOUT_S = 60;

    /** A decode model whose steps each take a permit: closed, sequences stop after their prefill token. */
    static final class GatedModel implements DecodeModel {
        final DecodeModel inner = new GptDecodeModel(TinyRuns.gptModel(128));
        final Semaphore permits = new Semaphore(0);

        void open() {
            permits.release(1_000_000);
        }

        @Override
        public int vocabSize() {
            return inner.vocabSize();
        }

        @Override
        public int maxSeqLen() {
            return inner.maxSeqLen();
        }

        @Override
        public SequenceCache newCache() {
            return inner.newCache();
        }

        @Override
        public float[] prefill(SequenceCache cache, long[] prompt) {
            return inner.prefill(cache, prompt);
        }

        @Override
        public float[] step(List<SequenceCache> caches, long[] tokens) {
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the scheduler is closing
                throw new IllegalStateException("interrupted", e);
            }
            return inner.step(caches, tokens);
        }
    }

    private final GatedModel gate = new GatedModel();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private ModelServer server;
    private GenerativeModel model;

    private ModelServer start(int maxRunning, int maxWaiting) {
        model = new GenerativeModel(gate, new TextTokenizer.Chars(CharVocabulary.of(TinyRuns.LETTERS)), maxRunning, maxWaiting);
        server = ModelServer.builder().model("tiny", model).port(0).start();
        return server;
    }

    @AfterEach
    void stop() {
        gate.open();
        threads.shutdownNow();
        if (server != null) {
            server.close();
        }
    }

    private <T> T within(Callable<T> work) throws Exception {
        Future<T> f = threads.submit(work);
        return f.get(TIMEOUT_S, TimeUnit.SECONDS);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(5);
        }
    }

    private static String body(String prompt, int maxTokens, long seed, boolean stream) {
        return "{\"model\": \"tiny\", \"prompt\": \"" + prompt + "\", \"max_tokens\": " + maxTokens + ", \"temperature\": 0.8, "
                + "\"seed\": " + seed + ", \"stream\": " + stream + "}";
    }

    @Test
    void theFirstChunkArrivesBeforeTheAnswerIsDecoded() throws Exception {
        start(4, 4);
        try (Sse sse = new Sse(server.port()); Http http = new Http(server.port());
             Sse.Events events = sse.open("/v1/completions", body("hello", 30, 7, true))) {
            assertEquals(200, events.status);
            long t0 = System.nanoTime();
            JsonNode first = Http.JSON.readTree(within(events::next));
            long firstAt = System.nanoTime();
            assertEquals(0, model.steps(), "no decode step ran: the chunk was sent while the rest was still to decode");
            assertEquals(1, first.get("choices").get(0).get("text").asText().length(), first.toString());
            gate.open();
            StringBuilder text = new StringBuilder(first.get("choices").get(0).get("text").asText());
            int chunks = 1;
            for (String data; !(data = within(events::next)).equals("[DONE]"); chunks++) {
                text.append(Http.JSON.readTree(data).get("choices").get(0).get("text").asText());
            }
            long doneAt = System.nanoTime();
            assertTrue(chunks >= 30, "one chunk per token, got " + chunks);
            JsonNode whole = http.post("/v1/completions", body("hello", 30, 7, false)).json();
            assertEquals(whole.get("choices").get(0).get("text").asText(), text.toString());
            System.out.printf("first chunk after %.1f ms, [DONE] after %.1f ms%n", (firstAt - t0) / 1e6, (doneAt - t0) / 1e6);
        }
    }

    @Test
    void aFullWaitingRoomIs429WithRetryAfter() throws Exception {
        start(1, 1);
        try (Sse sse = new Sse(server.port()); Http http = new Http(server.port());
             HttpClient client = HttpClient.newHttpClient();
             Sse.Events running = sse.open("/v1/completions", body("ab", 5, 1, true))) {
            within(running::next); // its sequence holds the one running place
            Future<Http.Reply> waiting = threads.submit(() -> http.post("/v1/completions", body("abc", 5, 2, false)));
            await(() -> model.waitingSequences() == 1, "the second request waits");
            String metrics = http.get("/metrics").body();
            assertTrue(metrics.contains("kiln_generate_running_sequences{model=\"tiny\",version=\"1\"} 1.0"), metrics);
            assertTrue(metrics.contains("kiln_generate_waiting_sequences{model=\"tiny\",version=\"1\"} 1.0"), metrics);
            HttpResponse<String> refused = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + "/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(body("abcd", 5, 3, false))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(429, refused.statusCode(), refused.body());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
            assertTrue(Http.JSON.readTree(refused.body()).get("error").asText().startsWith("model: too many requests"),
                    refused.body());
            gate.open();
            while (!"[DONE]".equals(within(running::next))) {
                // drain the first answer
            }
            assertEquals(200, waiting.get(TIMEOUT_S, TimeUnit.SECONDS).status());
        }
    }

    @Test
    void aClientThatDisconnectsMidStreamFreesItsSequence() throws Exception {
        start(4, 4);
        byte[] request = body("hello", 100, 5, true).getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(TIMEOUT_S));
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                    + request.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(request);
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder seen = new StringBuilder();
            while (!seen.toString().contains("data: ")) {
                int b = in.read();
                assertTrue(b >= 0, "the server closed before the first event: " + seen);
                seen.append((char) b);
            }
            assertEquals(1, model.runningSequences());
            socket.setSoLinger(true, 0); // reset the connection, as a client that crashed would
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (model.runningSequences() > 0 || model.openCaches() > 0) { // one step at a time until the server notices
            assertTrue(System.nanoTime() < deadline, "the abandoned sequence is still decoding");
            gate.permits.release();
            Thread.sleep(10);
        }
        assertTrue(model.generatedTokens() < 50, "cut off well before max_tokens 100: " + model.generatedTokens() + " tokens decoded");
        gate.open();
        try (Http http = new Http(server.port())) {
            assertEquals(200, http.post("/v1/completions", body("ab", 3, 1, false)).status(), "the server stays healthy");
        }
        await(() -> model.openCaches() == 0, "the last sequence leaves the batch"); // just after its answer is complete
    }

    @Test
    void concurrentRequestsShareDecodeStepsAndAnswerAsIfAlone() throws Exception {
        start(8, 8);
        String[] prompts = {"hello", "ab", "cab", "where"};
        int[] lengths = {10, 25, 40, 17};
        Http http = new Http(server.port());
        try {
            answerAsIfAlone(http, prompts, lengths);
        } finally {
            gate.open(); // before the close: a failed check must not leave requests parked on the gate, the close waits for them
            http.close();
        }
    }

    private void answerAsIfAlone(Http http, String[] prompts, int[] lengths) throws Exception {
        {
            List<CompletableFuture<Http.Reply>> replies = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) {
                String b = body(prompts[i], lengths[i], 100 + i, false);
                replies.add(CompletableFuture.supplyAsync(() -> post(http, b), threads));
                if (i == 0) {
                    // Not "running == 1": that holds from admission on, while the decode thread may still be in
                    // the first prefill and would then admit the next requests before its first step. Parked at
                    // the gate inside step(), it cannot admit anyone until the gate opens.
                    await(() -> model.runningSequences() == 1 && gate.permits.hasQueuedThreads(),
                            "the first request's decode step waits at the gate");
                }
            }
            await(() -> model.waitingSequences() == 3, "the other requests wait to join the running batch");
            gate.open();
            List<String> together = new ArrayList<>();
            for (CompletableFuture<Http.Reply> r : replies) {
                together.add(r.get(TIMEOUT_S, TimeUnit.SECONDS).json().get("choices").get(0).get("text").asText());
            }
            long steps = model.steps();
            int tokens = java.util.Arrays.stream(lengths).sum();
            assertTrue(steps <= 41, steps + " decode steps for " + tokens + " tokens: the requests joined one batch");
            for (int i = 0; i < prompts.length; i++) {
                String alone = http.post("/v1/completions", body(prompts[i], lengths[i], 100 + i, false)).json()
                        .get("choices").get(0).get("text").asText();
                assertEquals(alone, together.get(i), "request " + i + " alone and batched");
                assertEquals(lengths[i], alone.length());
            }
        }
    }

    private static Http.Reply post(Http http, String body) {
        try {
            return http.post("/v1/completions", body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
