package dev.kiln.data.crawl;

import dev.kiln.data.text.ContentType;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Set;

/**
 * One GET at a time over {@link HttpClient} (HTTP/1.1, redirects not followed: the crawler follows
 * them itself so that scope and robots.txt are checked at every hop). The body is read only when
 * the status is 2xx and the media type is accepted, and at most {@code maxBodyBytes} of it.
 * Thread-safe.
 */
final class PageFetcher implements AutoCloseable {
    /**
     * A response.
     *
     * @param status HTTP status
     * @param contentType the Content-Type header ("" when absent)
     * @param location the Location header, or null
     * @param retryAfter the Retry-After header as a duration, or null when absent or unreadable
     * @param body the body when read (2xx, accepted type, not too large), else null
     * @param tooLarge the body was longer than the limit (and was not kept)
     */
    record Response(int status, String contentType, String location, Duration retryAfter, String body, boolean tooLarge) {
        String mediaType() {
            ContentType t = ContentType.parse(contentType);
            return t == null ? "" : t.type() + "/" + t.subtype();
        }
    }

    private final HttpClient client;
    private final String userAgent;
    private final Duration requestTimeout;
    private final long maxBodyBytes;

    PageFetcher(CrawlConfig config) {
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(config.connectTimeout())
                .build();
        this.userAgent = config.userAgent();
        this.requestTimeout = config.requestTimeout();
        this.maxBodyBytes = config.maxBodyBytes();
    }

    /** GETs {@code url}; the body is read when the status is 2xx and {@code accepted} has the media type (null: any). */
    Response get(String url, Set<String> accepted) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                .timeout(requestTimeout)
                .header("User-Agent", userAgent)
                .header("Accept", "text/html, text/plain;q=0.9, */*;q=0.1")
                .GET()
                .build();
        HttpResponse<InputStream> r = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            String type = r.headers().firstValue("Content-Type").orElse("");
            String location = r.headers().firstValue("Location").orElse(null);
            Duration retryAfter = retryAfter(r.headers().firstValue("Retry-After").orElse(null));
            Response head = new Response(r.statusCode(), type, location, retryAfter, null, false);
            if (r.statusCode() / 100 != 2 || (accepted != null && !accepted.contains(head.mediaType()))) {
                return head; // closing the stream abandons the body unread
            }
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
            if (bytes.length > maxBodyBytes) {
                return new Response(r.statusCode(), type, location, retryAfter, null, true);
            }
            return new Response(r.statusCode(), type, location, retryAfter, new String(bytes, charset(type)), false);
        }
    }

    /** The charset of a Content-Type, UTF-8 when none or unknown (a meta charset in the page is not read). */
    static Charset charset(String contentType) {
        ContentType t = ContentType.parse(contentType);
        String name = t == null ? null : t.parameters().get("charset");
        if (name != null) {
            try {
                return Charset.forName(name.strip());
            } catch (IllegalArgumentException e) {
                // an unknown charset name: fall through to UTF-8
            }
        }
        return StandardCharsets.UTF_8;
    }

    /** Retry-After as delay-seconds or an HTTP-date (RFC 9110 section 10.2.3); null when neither. */
    static Duration retryAfter(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.strip();
        if (v.chars().allMatch(Character::isDigit)) {
            return v.length() > 9 ? Duration.ofSeconds(999_999_999) : Duration.ofSeconds(Long.parseLong(v));
        }
        try {
            Duration d = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME));
            return d.isNegative() ? Duration.ZERO : d;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
