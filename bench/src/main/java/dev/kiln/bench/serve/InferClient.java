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
     * Posts {@code body} as {@code application/json} and returns the response.
     *
     * @throws IOException when the connection fails or the response is not HTTP/1.1
     */
    Reply post(byte[] body) throws IOException, InterruptedException;

    @Override
    void close();
}
