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
    public Reply post(InferBody body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Content-Type", body.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes()));
        if (body.binary()) {
            request.header(InferBody.HEADER_LENGTH, Integer.toString(body.jsonLength()));
        }
        HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(response.statusCode(), response.body());
    }

    @Override
    public void close() {} // the factory closes the shared client
}
