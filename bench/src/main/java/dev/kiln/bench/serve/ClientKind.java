package dev.kiln.bench.serve;

import java.net.URI;
import java.net.http.HttpClient;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Which HTTP client the load generator drives: {@link #SOCKET} (one raw keep-alive socket per
 * client, {@link KeepAliveSocketClient}) or {@link #JDK} ({@code java.net.http.HttpClient}, one
 * shared pool over HTTP/1.1). A {@link Factory} makes one {@link InferClient} per client thread.
 */
public enum ClientKind {
    /** Raw HTTP/1.1 on a keep-alive socket: a few microseconds of client CPU per request. */
    SOCKET,
    /** {@code java.net.http.HttpClient}: the standard client, with its selector thread and futures. */
    JDK,
    /** Debian's {@code wrk} in its own process ({@link WrkLoad}, not a {@link Factory}): the least client CPU. */
    WRK;

    /** Makes the clients of one load run and owns what they share; close it after the run. */
    interface Factory extends AutoCloseable {
        /** A client for one thread. */
        InferClient open();

        @Override
        void close();
    }

    /** A factory of clients posting to {@code uri} (an {@code http://} URI on the loopback). */
    Factory factory(URI uri) {
        return switch (this) {
            case SOCKET -> new Factory() {
                @Override
                public InferClient open() {
                    return new KeepAliveSocketClient(uri);
                }

                @Override
                public void close() {}
            };
            case WRK -> throw new IllegalStateException("wrk runs as its own process: WrkLoad, not a Factory");
            case JDK -> new Factory() {
                // HTTP/1.1: the default HTTP/2 would try an h2c upgrade the server does not offer.
                private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
                private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .executor(executor).build();

                @Override
                public InferClient open() {
                    return new JdkHttpInferClient(client, uri);
                }

                @Override
                public void close() {
                    client.close();
                    executor.close();
                }
            };
        };
    }
}
