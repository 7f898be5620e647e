package dev.kiln.bench.serve;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** An {@link InferClient} over a shared {@code java.net.http.HttpClient} (which pools the connections). */
final class JdkHttpInferClient implements InferClient {
    private final HttpClient client;
    private final URI uri;

    JdkHttpInferClient(HttpClient client, URI uri) {
        this.client = client;
        this.uri = uri;
    }

    @Override
    public Reply post(byte[] body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(response.statusCode(), response.body());
    }

    @Override
    public void close() {} // the factory closes the shared client
}
