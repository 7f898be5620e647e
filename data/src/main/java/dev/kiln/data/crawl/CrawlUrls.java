package dev.kiln.data.crawl;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * URL normalisation, so that one page has one spelling in the frontier and the seen set: scheme
 * and host lower-cased, the default port (80 for http, 443 for https) and the fragment dropped,
 * an empty path made "/", dot segments resolved; only http and https URLs are kept.
 */
public final class CrawlUrls {
    private CrawlUrls() {}

    /**
     * {@code href} resolved against {@code base} and normalised, or null when it is not an http(s)
     * URL, is malformed, or names no host. {@code base} may be null for absolute hrefs.
     */
    public static String resolve(URI base, String href) {
        if (href == null) {
            return null;
        }
        String h = href.strip();
        if (h.isEmpty() || h.startsWith("#")) {
            return null; // the same page
        }
        try {
            URI ref = new URI(escapeUnsafe(h));
            URI abs = base == null ? ref : base.resolve(ref);
            return normalise(abs);
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null; // a malformed link in someone's page is not our error
        }
    }

    /** {@code url} normalised; null when it is not an absolute http(s) URL with a host. */
    public static String normalise(String url) {
        return resolve(null, url);
    }

    private static String normalise(URI uri) {
        String scheme = uri.getScheme();
        if (scheme == null) {
            return null;
        }
        scheme = scheme.toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return null;
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            return null;
        }
        host = host.toLowerCase(Locale.ROOT);
        int port = uri.getPort();
        if ((scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443)) {
            port = -1;
        }
        String path = uri.normalize().getRawPath(); // normalize() removes dot segments and nothing else
        if (path == null || path.isEmpty()) {
            path = "/";
        }
        if (path.startsWith("/..")) { // "http://h/../x": RFC 3986 drops the excess ".." segments
            path = path.replaceFirst("^(/\\.\\.)+(?=/|$)", "");
            if (path.isEmpty()) {
                path = "/";
            }
        }
        StringBuilder sb = new StringBuilder(scheme).append("://").append(host);
        if (port >= 0) {
            sb.append(':').append(port);
        }
        sb.append(path);
        if (uri.getRawQuery() != null) {
            sb.append('?').append(uri.getRawQuery());
        }
        return sb.toString();
    }

    /** Spaces, non-ASCII and other characters browsers accept in hrefs, percent-encoded as UTF-8. */
    private static String escapeUnsafe(String href) {
        StringBuilder sb = null;
        for (int i = 0; i < href.length(); i++) {
            char c = href.charAt(i);
            boolean unsafe = c <= ' ' || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^'
                    || c == '`' || c == '{' || c == '|' || c == '}';
            if (unsafe && sb == null) {
                sb = new StringBuilder(href.length() + 16).append(href, 0, i);
            }
            if (sb != null) {
                if (!unsafe) {
                    sb.append(c);
                } else {
                    int cp = href.codePointAt(i);
                    if (Character.charCount(cp) == 2) {
                        i++;
                    }
                    for (byte b : new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                        sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xF, 16)))
                                .append(Character.toUpperCase(Character.forDigit(b & 0xF, 16)));
                    }
                }
            }
        }
        return sb == null ? href : sb.toString();
    }

    /** "scheme://host[:port]" of a normalised URL: the unit of robots.txt and of politeness. */
    public static String origin(String url) {
        URI u = URI.create(url);
        return u.getScheme() + "://" + u.getRawAuthority();
    }

    /** The host of a normalised URL (lower case, no port): the unit of the crawl scope. */
    public static String host(String url) {
        return URI.create(url).getHost();
    }

    /** Path and query of a normalised URL, as robots.txt rules match them. */
    public static String pathAndQuery(String url) {
        URI u = URI.create(url);
        return u.getRawQuery() == null ? u.getRawPath() : u.getRawPath() + "?" + u.getRawQuery();
    }
}
