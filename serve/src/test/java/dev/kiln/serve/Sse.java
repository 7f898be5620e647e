package dev.kiln.serve;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/** A loopback Server-Sent Events client for the generation tests: POSTs a body and reads {@code data:} events as they come. */
final class Sse implements AutoCloseable {
    /** A streamed answer: every JSON event in order and whether {@code data: [DONE]} ended it. */
    record Answer(int status, String contentType, List<JsonNode> events, boolean done) {
        /** The text of choice {@code index}: its {@code text} (completions) or {@code delta.content} (chat) pieces joined. */
        String text(int index) {
            StringBuilder b = new StringBuilder();
            for (JsonNode e : events) {
                for (JsonNode c : e.path("choices")) {
                    if (c.get("index").asInt() == index) {
                        b.append(c.has("delta") ? c.path("delta").path("content").asText("") : c.path("text").asText(""));
                    }
                }
            }
            return b.toString();
        }

        /** The finish_reason of choice {@code index} (null while it has none). */
        String finishReason(int index) {
            for (JsonNode e : events) {
                for (JsonNode c : e.path("choices")) {
                    if (c.get("index").asInt() == index && c.hasNonNull("finish_reason")) {
                        return c.get("finish_reason").asText();
                    }
                }
            }
            return null;
        }
    }

    /** An open stream, read event by event. */
    static final class Events implements AutoCloseable {
        private final Stream<String> lines;
        private final Iterator<String> it;
        final int status;
        final String contentType;

        Events(HttpResponse<Stream<String>> r) {
            this.lines = r.body();
            this.it = lines.iterator();
            this.status = r.statusCode();
            this.contentType = r.headers().firstValue("Content-Type").orElse("");
        }

        /** The next event's data ("[DONE]" or JSON text), or null at the end of the body. */
        String next() {
            while (it.hasNext()) {
                String line = it.next();
                if (line.startsWith("data: ")) {
                    return line.substring("data: ".length());
                }
            }
            return null;
        }

        @Override
        public void close() {
            lines.close();
        }
    }

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    private final String base;

    Sse(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    /** Opens a stream; the call returns once the headers are in. */
    Events open(String path, String body) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return new Events(client.send(r, HttpResponse.BodyHandlers.ofLines()));
    }

    /** The whole stream. */
    Answer post(String path, String body) throws IOException, InterruptedException {
        try (Events e = open(path, body)) {
            List<JsonNode> events = new ArrayList<>();
            boolean done = false;
            for (String data; (data = e.next()) != null;) {
                if (data.equals("[DONE]")) {
                    done = true;
                    break;
                }
                events.add(Http.JSON.readTree(data));
            }
            return new Answer(e.status, e.contentType, events, done);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
