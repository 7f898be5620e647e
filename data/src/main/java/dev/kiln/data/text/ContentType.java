package dev.kiln.data.text;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A MIME media type with its parameters (RFC 2045 section 5.1), e.g. {@code text/html;
 * charset="iso-8859-1"}. Type, subtype and parameter names are lower-cased; parameter values
 * keep their case, without quotes. Immutable.
 *
 * @param type "text", "multipart", ...
 * @param subtype "plain", "alternative", ...
 * @param parameters by lower-case name, in the order given (the first of repeated names wins)
 */
public record ContentType(String type, String subtype, Map<String, String> parameters) {
    /** text/plain; charset=us-ascii, what a part without a Content-Type is (RFC 2045 section 5.2). */
    public static final ContentType TEXT_PLAIN = new ContentType("text", "plain", Map.of("charset", "us-ascii"));
    /** message/rfc822, the default inside multipart/digest (RFC 2046 section 5.1.5). */
    public static final ContentType MESSAGE_RFC822 = new ContentType("message", "rfc822", Map.of());

    public ContentType {
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /**
     * Parses a Content-Type header value leniently: parameters are split at semicolons outside
     * quoted strings, a parameter without '=' is skipped, and an unterminated quote runs to the
     * end. Returns null when there is no {@code type/subtype} token, so that the caller applies
     * its default (RFC 2045 says an invalid Content-Type means text/plain).
     */
    public static ContentType parse(String value) {
        if (value == null) {
            return null;
        }
        String[] pieces = splitParameters(value);
        String media = pieces[0].trim().toLowerCase(Locale.ROOT);
        int slash = media.indexOf('/');
        if (slash <= 0 || slash == media.length() - 1) {
            return null;
        }
        String type = media.substring(0, slash).trim();
        String subtype = media.substring(slash + 1).trim();
        if (!isToken(type) || !isToken(subtype)) {
            return null;
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 1; i < pieces.length; i++) {
            int eq = pieces[i].indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String name = pieces[i].substring(0, eq).trim().toLowerCase(Locale.ROOT);
            params.putIfAbsent(name, unquote(pieces[i].substring(eq + 1).trim()));
        }
        return new ContentType(type, subtype, params);
    }

    /** "text/plain". */
    public String mediaType() {
        return type + "/" + subtype;
    }

    /** The parameter called {@code name} (case-insensitive), or null. */
    public String parameter(String name) {
        return parameters.get(name.toLowerCase(Locale.ROOT));
    }

    public boolean isMultipart() {
        return type.equals("multipart");
    }

    public boolean is(String type, String subtype) {
        return this.type.equals(type) && this.subtype.equals(subtype);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(mediaType());
        parameters.forEach((k, v) -> sb.append("; ").append(k).append("=\"").append(v.replace("\"", "\\\"")).append('"'));
        return sb.toString();
    }

    /** The media type, then each parameter, split at ';' outside double quotes. */
    static String[] splitParameters(String value) {
        java.util.List<String> out = new java.util.ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (quoted && c == '\\' && i + 1 < value.length()) {
                cur.append(c).append(value.charAt(++i));
                continue;
            }
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ';' && !quoted) {
                out.add(cur.toString());
                cur.setLength(0);
                continue;
            }
            cur.append(c);
        }
        out.add(cur.toString());
        return out.toArray(String[]::new);
    }

    /** {@code "a \"b\""} to {@code a "b"}; a value without quotes is returned trimmed. */
    static String unquote(String v) {
        if (!v.startsWith("\"")) {
            return v;
        }
        StringBuilder sb = new StringBuilder(v.length());
        for (int i = 1; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\' && i + 1 < v.length()) {
                sb.append(v.charAt(++i));
            } else if (c == '"') {
                break;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?=".indexOf(c) >= 0) {
                return false;
            }
        }
        return true;
    }
}
