package dev.kiln.data.warc;

import dev.kiln.data.io.MalformedDataException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * An HTTP response as stored in a WARC {@code response} record: status line, headers and body.
 * A body sent with {@code Transfer-Encoding: chunked} is de-chunked when its chunk framing is
 * intact (crawlers differ on whether they store the framing) and kept as stored otherwise.
 * Content-Encoding (gzip, br) is not undone: see {@link #header(String)}.
 */
public final class HttpResponse {
    private final int status;
    private final String statusLine;
    private final List<WarcRecord.Field> fields;
    private final Map<String, String> byLowerName;
    private final byte[] body;

    private HttpResponse(int status, String statusLine, List<WarcRecord.Field> fields, Map<String, String> byLowerName, byte[] body) {
        this.status = status;
        this.statusLine = statusLine;
        this.fields = List.copyOf(fields);
        this.byLowerName = Map.copyOf(byLowerName);
        this.body = body;
    }

    /** The status code, e.g. 200. */
    public int status() {
        return status;
    }

    /** The status line as sent, e.g. {@code "HTTP/1.1 200 OK"}. */
    public String statusLine() {
        return statusLine;
    }

    /** The value of header {@code name} (any case; the first when repeated), or null. */
    public String header(String name) {
        return byLowerName.get(name.toLowerCase(Locale.ROOT));
    }

    public List<WarcRecord.Field> headers() {
        return fields;
    }

    /** The body bytes (not a copy: do not modify). */
    public byte[] body() {
        return body;
    }

    /** The media type of {@code Content-Type} without parameters, lower case (e.g. {@code "text/html"}), or null. */
    public String mediaType() {
        String ct = header("Content-Type");
        if (ct == null) {
            return null;
        }
        int semi = ct.indexOf(';');
        return (semi < 0 ? ct : ct.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
    }

    /** The {@code charset} parameter of {@code Content-Type} as sent (e.g. {@code "ISO-8859-1"}), or null. */
    public String charsetLabel() {
        String ct = header("Content-Type");
        if (ct == null) {
            return null;
        }
        for (String param : ct.split(";")) {
            int eq = param.indexOf('=');
            if (eq > 0 && param.substring(0, eq).strip().equalsIgnoreCase("charset")) {
                String v = param.substring(eq + 1).strip();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1);
                }
                return v.isEmpty() ? null : v;
            }
        }
        return null;
    }

    /** {@link #charsetLabel()} as a charset this JVM supports, or empty (no label, or an unknown one). */
    public Optional<Charset> charset() {
        String label = charsetLabel();
        if (label == null) {
            return Optional.empty();
        }
        try {
            return Charset.isSupported(label) ? Optional.of(Charset.forName(label)) : Optional.empty();
        } catch (IllegalCharsetNameException e) {
            return Optional.empty();
        }
    }

    /** Parses {@code block}; {@code where} names the record in errors. */
    static HttpResponse parse(byte[] block, String where) throws MalformedDataException {
        int lineStart = 0;
        int bodyStart = -1;
        String statusLine = null;
        List<WarcRecord.Field> fields = new ArrayList<>();
        Map<String, String> byName = new LinkedHashMap<>();
        while (lineStart < block.length) {
            int nl = indexOf(block, (byte) '\n', lineStart);
            if (nl < 0) {
                break;
            }
            int end = nl > lineStart && block[nl - 1] == '\r' ? nl - 1 : nl;
            String line = new String(block, lineStart, end - lineStart, StandardCharsets.ISO_8859_1);
            lineStart = nl + 1;
            if (statusLine == null) {
                statusLine = line;
                continue;
            }
            if (line.isEmpty()) {
                bodyStart = lineStart;
                break;
            }
            if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && !fields.isEmpty()) {
                WarcRecord.Field last = fields.removeLast();
                fields.add(new WarcRecord.Field(last.name(), last.value() + " " + line.strip()));
                byName.put(last.name().toLowerCase(Locale.ROOT), fields.getLast().value());
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new MalformedDataException(where + ": HTTP header line without a colon: '" + abbreviate(line) + "'");
            }
            String name = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            fields.add(new WarcRecord.Field(name, value));
            byName.putIfAbsent(name.toLowerCase(Locale.ROOT), value);
        }
        if (statusLine == null || !statusLine.startsWith("HTTP/")) {
            throw new MalformedDataException(where + ": block does not start with an HTTP status line, found '"
                    + abbreviate(statusLine == null ? new String(block, 0, Math.min(block.length, 40), StandardCharsets.ISO_8859_1) : statusLine) + "'");
        }
        if (bodyStart < 0) {
            throw new MalformedDataException(where + ": HTTP headers are not followed by an empty line");
        }
        String[] parts = statusLine.split(" ", 3);
        int status;
        try {
            status = parts.length >= 2 ? Integer.parseInt(parts[1]) : -1;
        } catch (NumberFormatException e) {
            status = -1;
        }
        if (status < 100 || status > 999) {
            throw new MalformedDataException(where + ": no status code in HTTP status line '" + abbreviate(statusLine) + "'");
        }
        byte[] body = java.util.Arrays.copyOfRange(block, bodyStart, block.length);
        String te = byName.get("transfer-encoding");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            byte[] dechunked = dechunk(body);
            if (dechunked != null) {
                body = dechunked;
            }
        }
        return new HttpResponse(status, statusLine, fields, byName, body);
    }

    /** The body without chunk framing, or null when it is not well-formed chunked data. */
    static byte[] dechunk(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length);
        int i = 0;
        while (true) {
            int nl = indexOf(b, (byte) '\n', i);
            if (nl < 0) {
                return null;
            }
            String sizeLine = new String(b, i, nl - i, StandardCharsets.ISO_8859_1).strip();
            int semi = sizeLine.indexOf(';'); // chunk extensions
            if (semi >= 0) {
                sizeLine = sizeLine.substring(0, semi).strip();
            }
            long size;
            try {
                size = Long.parseLong(sizeLine, 16);
            } catch (NumberFormatException e) {
                return null;
            }
            i = nl + 1;
            if (size == 0) {
                return out.toByteArray(); // trailers, if any, are dropped
            }
            if (size < 0 || size > b.length - i) {
                return null;
            }
            out.write(b, i, (int) size);
            i += (int) size;
            if (i < b.length && b[i] == '\r') {
                i++;
            }
            if (i < b.length && b[i] == '\n') {
                i++;
            } else {
                return null;
            }
        }
    }

    private static int indexOf(byte[] b, byte v, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == v) {
                return i;
            }
        }
        return -1;
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }
}
