package dev.kiln.serve;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * HTTP/1.1 over a bare socket, for requests no well-behaved client sends: broken request lines,
 * bodies that are not UTF-8, declared lengths that lie. Each exchange is one connection with
 * {@code Connection: close}: write the bytes, read until the server closes, parse what came back.
 * Every blocking step has a timeout, so a server that hangs shows up as {@link Outcome#TIMEOUT}.
 */
final class RawHttp {
    /** How an exchange ended. */
    enum Outcome {
        /** A whole response came back. */
        ANSWERED,
        /** The server closed (or reset) the connection without a response. */
        CLOSED,
        /** The connection could not be opened. */
        REFUSED,
        /** Nothing (or not all of the response) came within the timeout: a hang. */
        TIMEOUT
    }

    /** What one exchange got: the status (0 without a response), the Content-Type and body. */
    record Reply(Outcome outcome, int status, String contentType, String body, String retryAfter) {
        boolean jsonError() {
            if (!contentType.startsWith("application/json")) {
                return false;
            }
            try {
                return Http.JSON.readTree(body).path("error").isTextual();
            } catch (IOException e) {
                return false;
            }
        }
    }

    static final int TIMEOUT_MS = 10_000;

    private final int port;

    RawHttp(int port) {
        this.port = port;
    }

    /** A request with a JSON content type, {@code body} as given (any bytes) and its true length. */
    static byte[] post(String path, byte[] body) {
        String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n";
        return concat(head.getBytes(StandardCharsets.US_ASCII), body);
    }

    static byte[] post(String path, String body) {
        return post(path, body.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] get(String path) {
        return ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Sends {@code request} on a fresh connection and reads the response until the server closes. */
    Reply exchange(byte[] request) {
        try (Socket s = new Socket()) {
            try {
                s.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
            } catch (IOException e) {
                return new Reply(Outcome.REFUSED, 0, "", e.toString(), null);
            }
            s.setSoTimeout(TIMEOUT_MS);
            try {
                s.getOutputStream().write(request);
                s.getOutputStream().flush();
            } catch (IOException e) {
                // the server may answer (413, 431) and close before it has read everything: read what it said
            }
            return read(s.getInputStream());
        } catch (IOException e) {
            return new Reply(Outcome.CLOSED, 0, "", e.toString(), null);
        }
    }

    /** Reads one response until EOF; {@link Outcome#CLOSED} when none came, {@link Outcome#TIMEOUT} when it stalled. */
    static Reply read(InputStream in) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) >= 0;) {
                all.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            return new Reply(Outcome.TIMEOUT, 0, "", all.toString(StandardCharsets.ISO_8859_1), null);
        } catch (IOException e) {
            if (all.size() == 0) {
                return new Reply(Outcome.CLOSED, 0, "", e.toString(), null);
            }
        }
        return parse(all.toByteArray());
    }

    private static Reply parse(byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.1 ") || headEnd < 0) {
            return new Reply(Outcome.CLOSED, 0, "", text, null);
        }
        int status = Integer.parseInt(text.substring(9, 12));
        String contentType = "";
        String retryAfter = null;
        boolean chunked = false;
        for (String line : text.substring(0, headEnd).split("\r\n")) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-type:")) {
                contentType = line.substring("content-type:".length()).trim();
            } else if (lower.startsWith("retry-after:")) {
                retryAfter = line.substring("retry-after:".length()).trim();
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        byte[] body = java.util.Arrays.copyOfRange(raw, headEnd + 4, raw.length);
        return new Reply(Outcome.ANSWERED, status, contentType, new String(chunked ? dechunk(body) : body, StandardCharsets.UTF_8),
                retryAfter);
    }

    private static byte[] dechunk(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < body.length) {
            int lineEnd = i;
            while (lineEnd + 1 < body.length && !(body[lineEnd] == '\r' && body[lineEnd + 1] == '\n')) {
                lineEnd++;
            }
            String size = new String(body, i, lineEnd - i, StandardCharsets.US_ASCII).split(";")[0].trim();
            int n = size.isEmpty() ? 0 : Integer.parseInt(size, 16);
            if (n == 0) {
                break;
            }
            out.write(body, lineEnd + 2, Math.min(n, body.length - lineEnd - 2));
            i = lineEnd + 2 + n + 2;
        }
        return out.toByteArray();
    }
}
