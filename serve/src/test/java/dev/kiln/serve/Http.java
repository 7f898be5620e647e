package dev.kiln.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** A loopback client for the server tests: status, headers and body of any request, JSON parsed on demand. */
final class Http implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    record Reply(int status, String body, String contentType, HttpHeaders headers) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (status " + status + "): " + body, e);
            }
        }

        String error() {
            JsonNode e = json().get("error");
            if (e == null || !e.isTextual()) {
                throw new AssertionError("expected {\"error\": ...}, got " + body);
            }
            return e.asText();
        }
    }

    private final HttpClient client = HttpClient.newHttpClient();
    private final String base;

    Http(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    Reply get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET().build());
    }

    /** The status of a GET of {@code path}, for polling from lambdas. */
    int statusOf(String path) {
        try {
            return get(path).status();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    Reply post(String path, String body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** A POST with extra headers, given as name, value, name, value... */
    Reply post(String path, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    /**
     * A {@code method} request to {@code path} with {@code body} (null: none) and extra headers,
     * given as name, value, name, value...
     */
    Reply send(String method, String path, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    /** A reply kept as bytes, for bodies with binary tensor data. */
    record BytesReply(int status, byte[] body, HttpHeaders headers) {
        String contentType() {
            return headers.firstValue("Content-Type").orElse("");
        }

        /** The body as a {@link Reply}, for JSON answers (errors included). */
        Reply text() {
            return new Reply(status, new String(body, java.nio.charset.StandardCharsets.UTF_8), contentType(), headers);
        }
    }

    /** A POST of raw {@code body} bytes with extra headers, given as name, value, name, value... */
    BytesReply postBytes(String path, byte[] body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<byte[]> resp = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new BytesReply(resp.statusCode(), resp.body(), resp.headers());
    }

    private Reply send(HttpRequest r) throws IOException, InterruptedException {
        HttpResponse<String> resp = client.send(r, HttpResponse.BodyHandlers.ofString());
        return new Reply(resp.statusCode(), resp.body(), resp.headers().firstValue("Content-Type").orElse(""), resp.headers());
    }

    @Override
    public void close() {
        client.close();
    }
}
