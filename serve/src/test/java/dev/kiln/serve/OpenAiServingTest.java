package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.serve.model.RunDirectoryModels;
import dev.kiln.serve.openai.ChatTemplate;
import dev.kiln.serve.openai.GenerativeModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAI endpoints on a live loopback server over a tiny gpt run directory (random weights,
 * a character vocabulary): whole and streamed answers, seeds, stop strings, n, usage, chat,
 * KServe v2 infer on the same model, refusals and metrics.
 */
class OpenAiServingTest {
    @TempDir
    static Path tmp;

    static ModelServer server;
    static Http http;
    static Sse sse;

    @BeforeAll
    static void start() throws Exception {
        server = ModelServer.builder().model("tiny", RunDirectoryModels.load(TinyRuns.gpt(tmp.resolve("gpt"), 64)))
                .model("fashion", RunDirectoryModels.load(TinyRuns.cnn(tmp.resolve("cnn")))).port(0).start();
        http = new Http(server.port());
        sse = new Sse(server.port());
    }

    @AfterAll
    static void stop() {
        sse.close();
        http.close();
        server.close();
    }

    private static GenerativeModel model() {
        return (GenerativeModel) server.registry().find("tiny", null).model();
    }

    private static JsonNode complete(String body) throws Exception {
        Http.Reply r = http.post("/v1/completions", body);
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    @Test
    void modelsListsTheGenerativeModelsOnly() throws Exception {
        JsonNode list = http.get("/v1/models").json();
        assertEquals("list", list.get("object").asText());
        assertEquals(1, list.get("data").size(), list.toString());
        assertEquals("tiny", list.get("data").get(0).get("id").asText());
        assertEquals("model", http.get("/v1/models/tiny").json().get("object").asText());
        Http.Reply missing = http.get("/v1/models/nope");
        assertEquals(404, missing.status());
        assertTrue(missing.error().startsWith("model: no model named \"nope\""), missing.body());
    }

    @Test
    void aStreamSendsTheSameTextAsTheWholeAnswerForTheSameSeed() throws Exception {
        String body = "{\"model\": \"tiny\", \"prompt\": \"hello\", \"max_tokens\": 20, \"temperature\": 0.9, \"seed\": 42, \"n\": 2";
        JsonNode whole = complete(body + "}");
        assertEquals(whole.get("choices"), complete(body + "}").get("choices"), "same seed, same text");
        assertEquals("text_completion", whole.get("object").asText());
        assertTrue(whole.get("id").asText().startsWith("cmpl-"));
        assertEquals("tiny", whole.get("model").asText());
        Sse.Answer streamed = sse.post("/v1/completions", body + ", \"stream\": true}");
        assertEquals(200, streamed.status());
        assertTrue(streamed.contentType().startsWith("text/event-stream"), streamed.contentType());
        assertTrue(streamed.done(), "ends with data: [DONE]");
        assertTrue(streamed.events().size() > 2 * 5, "token by token: " + streamed.events().size() + " events");
        for (int i = 0; i < 2; i++) {
            JsonNode choice = whole.get("choices").get(i);
            assertEquals(i, choice.get("index").asInt());
            assertEquals(choice.get("text").asText(), streamed.text(i));
            assertEquals(choice.get("finish_reason").asText(), streamed.finishReason(i));
            assertEquals("length", choice.get("finish_reason").asText());
        }
    }

    @Test
    void usageCountsTheTokenizersTokens() throws Exception {
        JsonNode r = complete("{\"model\": \"tiny\", \"prompt\": [\"hello world\", \"abc\"], \"max_tokens\": 7, \"n\": 2, \"seed\": 1}");
        JsonNode choices = r.get("choices");
        assertEquals(4, choices.size());
        int completion = 0;
        for (int i = 0; i < 4; i++) {
            assertEquals(i, choices.get(i).get("index").asInt());
            String text = choices.get(i).get("text").asText();
            assertEquals(7, text.codePointCount(0, text.length()), "one character per token: " + text);
            completion += text.codePointCount(0, text.length());
        }
        JsonNode usage = r.get("usage");
        assertEquals("hello world".length() + "abc".length(), usage.get("prompt_tokens").asInt(), "each prompt counted once");
        assertEquals(completion, usage.get("completion_tokens").asInt());
        assertEquals(usage.get("prompt_tokens").asInt() + completion, usage.get("total_tokens").asInt());
    }

    @Test
    void stopStringsEndTheAnswerAndAreNeverSent() throws Exception {
        String greedy = complete("{\"model\": \"tiny\", \"prompt\": \"hello\", \"max_tokens\": 30, \"temperature\": 0}")
                .get("choices").get(0).get("text").asText();
        int at = -1;
        String stop = null;
        for (int k = 2; k + 2 <= greedy.length() && at < 0; k++) { // a stop string greedy decoding does produce, first at k
            if (greedy.indexOf(greedy.substring(k, k + 2)) == k) {
                at = k;
                stop = greedy.substring(k, k + 2);
            }
        }
        assertTrue(at > 0, "no usable stop string in the greedy text \"" + greedy + "\"");
        String body = "{\"model\": \"tiny\", \"prompt\": \"hello\", \"max_tokens\": 30, \"temperature\": 0, \"stop\": [\"zzzz\", "
                + Http.JSON.writeValueAsString(stop) + "]";
        JsonNode whole = complete(body + "}").get("choices").get(0);
        assertEquals(greedy.substring(0, at), whole.get("text").asText(), "cut before \"" + stop + "\" in \"" + greedy + "\"");
        assertEquals("stop", whole.get("finish_reason").asText());
        Sse.Answer streamed = sse.post("/v1/completions", body + ", \"stream\": true}");
        assertEquals(greedy.substring(0, at), streamed.text(0), "the pieces sent add up to the cut text: none of the stop string");
        assertEquals("stop", streamed.finishReason(0));
    }

    @Test
    void chatCompletionsRenderTheTemplateAndStreamDeltas() throws Exception {
        String messages = "[{\"role\": \"system\", \"content\": \"be brief\"}, {\"role\": \"user\", \"content\": \"hello\"}]";
        String body = "{\"model\": \"tiny\", \"messages\": " + messages + ", \"max_tokens\": 12, \"seed\": 9";
        Http.Reply r = http.post("/v1/chat/completions", body + "}");
        assertEquals(200, r.status(), r.body());
        JsonNode whole = r.json();
        assertEquals("chat.completion", whole.get("object").asText());
        JsonNode message = whole.get("choices").get(0).get("message");
        assertEquals("assistant", message.get("role").asText());
        String prompt = ChatTemplate.render(List.of(new ChatTemplate.Message("system", "be brief"),
                new ChatTemplate.Message("user", "hello")));
        assertEquals("System: be brief\nUser: hello\nAssistant:", prompt);
        assertEquals(prompt.length(), whole.get("usage").get("prompt_tokens").asInt());
        Sse.Answer streamed = sse.post("/v1/chat/completions", body + ", \"stream\": true, \"stream_options\": {\"include_usage\": true}}");
        assertTrue(streamed.done());
        assertEquals("chat.completion.chunk", streamed.events().getFirst().get("object").asText());
        assertEquals("assistant", streamed.events().getFirst().get("choices").get(0).get("delta").get("role").asText());
        assertEquals(message.get("content").asText(), streamed.text(0));
        assertEquals(whole.get("usage"), streamed.events().getLast().get("usage"), "the usage chunk comes last");
    }

    @Test
    void badRequestsAre400NamingTheField() throws Exception {
        Map<String, String> completions = Map.ofEntries(
                Map.entry("{\"prompt\": \"a\"}", "model: "),
                Map.entry("{\"model\": \"tiny\"}", "prompt: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": 5}", "prompt: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": [\"a\", 3]}", "prompt[1]: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": \"\"}", "prompt: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": \"" + "a".repeat(70) + "\"}", "prompt: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": \"a\", \"max_tokens\": 0}", "max_tokens: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": \"a\", \"max_tokens\": 1.5}", "max_tokens: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": \"a\", \"temperature\": 3}", "temperature: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": \"a\", \"temperature\": \"hot\"}", "temperature: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": \"a\", \"top_p\": 0}", "top_p: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": \"a\", \"n\": 0}", "n: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": \"a\", \"n\": 100}", "n: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": \"a\", \"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"]}", "stop: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": \"a\", \"stop\": [\"\"]}", "stop[0]: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": \"a\", \"seed\": \"x\"}", "seed: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": \"a\", \"stream\": \"yes\"}", "stream: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": \"a\", \"stream_options\": {}}", "stream_options: "),
                Map.entry("{\"model\": \"tiny\", \"prompt\": \"a\", \"logprobs\": 2}", "logprobs: "),
                Map.entry("{\"model\": \"fashion\", \"prompt\": \"a\"}", "model: "),
                Map.entry("[1, 2]", "body: "),
                Map.entry("{\"model\": ", "malformed JSON"));
        for (Map.Entry<String, String> c : completions.entrySet()) {
            Http.Reply r = http.post("/v1/completions", c.getKey());
            assertEquals(400, r.status(), c.getKey() + " -> " + r.body());
            assertTrue(r.error().startsWith(c.getValue()), c.getKey() + " -> " + r.body());
        }
        Http.Reply tooLong = http.post("/v1/completions", "{\"model\": \"tiny\", \"prompt\": \"" + "a".repeat(70) + "\"}");
        assertTrue(tooLong.error().contains("max context of 64") && tooLong.error().contains("got 70"), tooLong.body());
        Map<String, String> chat = Map.of(
                "{\"model\": \"tiny\"}", "messages: ",
                "{\"model\": \"tiny\", \"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}", "messages[0].role: ",
                "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": 3}]}", "messages[0].content: ",
                "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"" + "a".repeat(70) + "\"}]}", "messages: ");
        for (Map.Entry<String, String> c : chat.entrySet()) {
            Http.Reply r = http.post("/v1/chat/completions", c.getKey());
            assertEquals(400, r.status(), c.getKey() + " -> " + r.body());
            assertTrue(r.error().startsWith(c.getValue()), c.getKey() + " -> " + r.body());
        }
        Http.Reply unknown = http.post("/v1/completions", "{\"model\": \"nope\", \"prompt\": \"a\"}");
        assertEquals(404, unknown.status());
        assertTrue(unknown.error().startsWith("model: no model named \"nope\""), unknown.body());
    }

    @Test
    void kserveInferGivesTheGreedyCompletion() throws Exception {
        Http.Reply r = http.post("/v2/models/tiny/infer",
                "{\"inputs\": [{\"name\": \"text\", \"datatype\": \"BYTES\", \"shape\": [2], \"data\": [\"hello\", \"ab\"]}]}");
        assertEquals(200, r.status(), r.body());
        JsonNode out = r.json().get("outputs").get(0);
        assertEquals("text", out.get("name").asText());
        JsonNode greedy = complete("{\"model\": \"tiny\", \"prompt\": [\"hello\", \"ab\"], \"temperature\": 0, \"max_tokens\": "
                + GenerativeModel.KSERVE_MAX_TOKENS + "}").get("choices");
        assertEquals(greedy.get(0).get("text").asText(), out.get("data").get(0).asText());
        assertEquals(greedy.get(1).get("text").asText(), out.get("data").get(1).asText());
    }

    @Test
    void kserveParametersSetTheDecoding() throws Exception {
        Http.Reply r = http.post("/v2/models/tiny/infer", "{\"inputs\": [{\"name\": \"text\", \"datatype\": \"BYTES\", "
                + "\"shape\": [1], \"data\": [\"hello\"]}], \"parameters\": {\"max_tokens\": 7, \"temperature\": 0.9, "
                + "\"top_p\": 0.95, \"seed\": 11, \"content_type\": \"str\"}}");
        assertEquals(200, r.status(), r.body());
        String kserve = r.json().get("outputs").get(0).get("data").get(0).asText();
        String openai = complete("{\"model\": \"tiny\", \"prompt\": \"hello\", \"max_tokens\": 7, \"temperature\": 0.9, "
                + "\"top_p\": 0.95, \"seed\": 11}").get("choices").get(0).get("text").asText();
        assertEquals(7, kserve.length(), "max_tokens 7 on a character model: " + kserve);
        assertEquals(openai, kserve, "the same sampling settings and seed as /v1/completions");

        for (String[] bad : new String[][] {{"\"max_tokens\": 0", "parameters.max_tokens: expected an integer in [1, "},
                {"\"max_tokens\": \"5\"", "parameters.max_tokens: expected an integer"},
                {"\"temperature\": 3", "parameters.temperature: expected a number in [0.0, 2.0], got 3"},
                {"\"top_p\": 0", "parameters.top_p: expected a number in (0.0, 1.0], got 0"},
                {"\"seed\": 1.5", "parameters.seed: expected an integer"},
                {"\"stop\": []", "parameters.stop: expected a non-empty string or an array of 1 to 4 of them"}}) {
            Http.Reply e = http.post("/v2/models/tiny/infer", "{\"inputs\": [{\"name\": \"text\", \"datatype\": \"BYTES\", "
                    + "\"shape\": [1], \"data\": [\"hello\"]}], \"parameters\": {" + bad[0] + "}}");
            assertEquals(400, e.status(), bad[0] + ": " + e.body());
            assertTrue(e.error().startsWith(bad[1]), bad[0] + ": " + e.body());
        }
    }

    @Test
    void metricsCountGeneratedTokens() throws Exception {
        double before = metric("kiln_generated_tokens_total");
        complete("{\"model\": \"tiny\", \"prompt\": \"abc\", \"max_tokens\": 9}");
        assertTrue(metric("kiln_generated_tokens_total") >= before + 9, "tokens counted");
        assertEquals(model().generatedTokens(), (long) metric("kiln_generated_tokens_total"));
        long deadline = System.nanoTime() + 60_000_000_000L; // the sequence leaves the batch just after its answer is complete
        while (metric("kiln_generate_running_sequences") != 0.0) {
            assertTrue(System.nanoTime() < deadline, "the running-sequences gauge stays above 0");
            Thread.sleep(5);
        }
        assertEquals(0.0, metric("kiln_generate_waiting_sequences"));
    }

    @Test
    void aVersionLoadedAgainIsMeasuredAfresh() throws Exception {
        Path run = TinyRuns.gpt(tmp.resolve("gpt-reloaded"), 64);
        server.registry().load("reloaded", "1", RunDirectoryModels.load(run), dev.kiln.serve.batch.BatchingOptions.DEFAULT);
        complete("{\"model\": \"reloaded\", \"prompt\": \"abc\", \"max_tokens\": 9}");
        assertTrue(server.registry().unload("reloaded", "1", 60_000));
        server.registry().load("reloaded", "1", RunDirectoryModels.load(run), dev.kiln.serve.batch.BatchingOptions.DEFAULT);
        try {
            complete("{\"model\": \"reloaded\", \"prompt\": \"abc\", \"max_tokens\": 4}");
            GenerativeModel fresh = (GenerativeModel) server.registry().find("reloaded", "1").model();
            assertEquals(4, fresh.generatedTokens(), "the new object decoded 4 tokens");
            assertEquals(4.0, metric("kiln_generated_tokens_total", "reloaded"), "the counter reads the loaded object, not the unloaded one");
        } finally {
            server.registry().unload("reloaded", "1", 60_000); // the other tests list the shared server's models
        }
    }

    private static double metric(String name) throws Exception {
        return metric(name, "tiny");
    }

    private static double metric(String name, String model) throws Exception {
        String text = http.get("/metrics").body();
        Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*model=\"" + model + "\"[^}]*\\} (\\S+)$").matcher(text);
        assertTrue(m.find(), name + " not in:\n" + text);
        assertNotNull(m.group(1));
        return Double.parseDouble(m.group(1));
    }
}
