package dev.kiln.bench.serve;

import java.io.IOException;

/**
 * One load-generator client's connection to a server: it posts a body to one path and waits for
 * the whole response. Each client thread owns its own instance, so implementations need not be
 * thread-safe (one may share a thread-safe connection pool underneath).
 */
interface InferClient extends AutoCloseable {
    /** A response: its status and body. */
    record Reply(int status, byte[] body) {}

    /**
     * Posts {@code body} with its Content-Type (and, for binary tensor data, its JSON part's length)
     * and returns the response.
     *
     * @throws IOException when the connection fails or the response is not HTTP/1.1
     */
    Reply post(InferBody body) throws IOException, InterruptedException;

    /** Posts a JSON {@code body}. */
    default Reply post(byte[] body) throws IOException, InterruptedException {
        return post(InferBody.json(body));
    }

    @Override
    void close();
}
