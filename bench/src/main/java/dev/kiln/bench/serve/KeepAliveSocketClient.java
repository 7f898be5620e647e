package dev.kiln.bench.serve;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 client on one keep-alive socket: it writes the request head and body in one
 * flush and reads the status, {@code Content-Length} or chunked body; it reconnects when the
 * server answered {@code Connection: close}. Enough for a load generator against a known server,
 * and far cheaper per request than {@code HttpClient} (no selector thread, no futures), so the
 * client steals less CPU from a server on the same cores.
 *
 * <p>Not thread-safe: one instance per client thread.
 */
final class KeepAliveSocketClient implements InferClient {
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final int READ_TIMEOUT_MS = 60_000;

    private final InetSocketAddress address;
    private final String headPrefix;
    /** The last body posted and its request head: a load generator posts the same body over and over. */
    private InferBody lastBody;
    private byte[] lastHead;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    KeepAliveSocketClient(URI uri) {
        if (!"http".equals(uri.getScheme()) || uri.getPort() < 0) {
            throw new IllegalArgumentException("KeepAliveSocketClient: expected http://HOST:PORT/PATH, got " + uri);
        }
        this.address = new InetSocketAddress(uri.getHost(), uri.getPort());
        String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        this.headPrefix = "POST " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort() + "\r\n";
    }

    @Override
    public Reply post(InferBody body) throws IOException {
        if (socket == null) {
            connect();
        }
        if (body != lastBody) {
            lastHead = (headPrefix + "Content-Type: " + body.contentType() + "\r\n"
                    + (body.binary() ? InferBody.HEADER_LENGTH + ": " + body.jsonLength() + "\r\n" : "")
                    + "Content-Length: " + body.bytes().length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            lastBody = body;
        }
        try {
            out.write(lastHead);
            out.write(body.bytes());
            out.flush();
            return readReply();
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    private void connect() throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true); // the request goes out in one flush; Nagle would only add a delay
            s.connect(address, CONNECT_TIMEOUT_MS);
            s.setSoTimeout(READ_TIMEOUT_MS);
            in = new BufferedInputStream(s.getInputStream(), 1 << 16);
            out = new java.io.BufferedOutputStream(s.getOutputStream(), 1 << 16);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        socket = s;
    }

    private Reply readReply() throws IOException {
        String statusLine = line();
        if (!statusLine.startsWith("HTTP/1.1 ") || statusLine.length() < 12) {
            throw new IOException("expected an HTTP/1.1 status line, got \"" + statusLine + "\"");
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        boolean closeAfter = false;
        for (String header = line(); !header.isEmpty(); header = line()) {
            int colon = header.indexOf(':');
            if (colon < 0) {
                throw new IOException("malformed response header \"" + header + "\"");
            }
            String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = header.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> closeAfter = value.equalsIgnoreCase("close");
                default -> { }
            }
        }
        byte[] body;
        if (chunked) {
            body = chunkedBody();
        } else if (length >= 0) {
            body = in.readNBytes(Math.toIntExact(length));
            if (body.length != length) {
                throw new IOException("connection closed after " + body.length + " of " + length + " body bytes");
            }
        } else {
            body = in.readAllBytes(); // no length: the body runs to the end of the connection
            closeAfter = true;
        }
        if (closeAfter) {
            close();
        }
        return new Reply(status, body);
    }

    private byte[] chunkedBody() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = line();
            int semicolon = sizeLine.indexOf(';');
            int size = Integer.parseInt((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
            if (size == 0) {
                while (!line().isEmpty()) { } // trailers
                return body.toByteArray();
            }
            byte[] chunk = in.readNBytes(size);
            if (chunk.length != size) {
                throw new IOException("connection closed inside a chunk");
            }
            body.write(chunk);
            line();
        }
    }

    /** One header line without its CRLF. */
    private String line() throws IOException {
        StringBuilder s = new StringBuilder(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed by the server" + (s.isEmpty() ? "" : " inside \"" + s + "\""));
            }
            if (b == '\n') {
                int end = s.length();
                return end > 0 && s.charAt(end - 1) == '\r' ? s.substring(0, end - 1) : s.toString();
            }
            s.append((char) b);
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a socket we are dropping anyway
            }
            socket = null;
        }
    }
}
