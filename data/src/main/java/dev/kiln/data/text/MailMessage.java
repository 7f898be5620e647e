package dev.kiln.data.text;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * An RFC 5322 / MIME message parsed from its bytes: headers, body, and for multipart bodies the
 * parts, each itself a {@code MailMessage} (headers + body, RFC 2046 section 5.1), nested to any
 * depth up to {@link #MAX_DEPTH}. A message/rfc822 part holds the embedded message as its one
 * part.
 *
 * <p>Parsing never throws on bad input: mail in the wild breaks every rule, so each defect has a
 * best-effort reading. A missing closing boundary ends the last part at the end of the body. A
 * multipart whose boundary parameter is missing (or matches no line) uses the first {@code --}
 * line followed by a {@code Content-} header as its boundary, and so does a message with a
 * MIME-Version but no Content-Type whose body has such a line. A missing or invalid Content-Type is otherwise
 * text/plain. Undecodable bytes become U+FFFD. See {@link MailHeaders#parse}, {@link
 * TransferDecoding} and {@link MailCharsets} for the rest.
 *
 * <p>{@link #text()} is the readable body: what a mail client would show, as plain text.
 * Immutable; the raw bytes are shared with the parts, not copied.
 */
public final class MailMessage {
    /** Multipart nesting beyond this depth is not split further (a guard against hostile input). */
    public static final int MAX_DEPTH = 24;

    private final MailHeaders headers;
    private final ContentType contentType;
    private final byte[] raw;
    private final int bodyStart;
    private final int bodyEnd;
    private final List<MailMessage> parts;

    private MailMessage(byte[] raw, int from, int to, ContentType defaultType, int depth) {
        MailHeaders.Parsed p = MailHeaders.parse(raw, from, to);
        this.headers = p.headers();
        this.raw = raw;
        this.bodyStart = p.bodyStart();
        this.bodyEnd = to;
        ContentType declared = ContentType.parse(headers.get("Content-Type"));
        if (declared == null && headers.get("Content-Type") == null && headers.get("MIME-Version") != null
                && defaultType.type().equals("text")) {
            // a MIME message with parts but no Content-Type saying so (a broken mailer): read it as the multipart it is
            String boundary = guessBoundary();
            declared = boundary == null ? null : new ContentType("multipart", "mixed", java.util.Map.of("boundary", boundary));
        }
        this.contentType = declared != null ? declared
                : headers.get("Content-Type") != null ? ContentType.TEXT_PLAIN : defaultType;
        this.parts = depth >= MAX_DEPTH ? List.of() : Collections.unmodifiableList(splitParts(depth));
    }

    /** Parses a whole message (a leading mbox "From " line is skipped). Never throws on malformed input. */
    public static MailMessage parse(byte[] message) {
        return new MailMessage(message, 0, message.length, ContentType.TEXT_PLAIN, 0);
    }

    public MailHeaders headers() {
        return headers;
    }

    /** The first header called {@code name} (case-insensitive), raw, or null. */
    public String header(String name) {
        return headers.get(name);
    }

    /** The Subject with its encoded-words decoded and blanks collapsed, or "" when there is none. */
    public String subject() {
        String s = headers.get("Subject");
        return s == null ? "" : EncodedWords.decode(s).replaceAll("\\s+", " ").strip();
    }

    /** The Content-Type in effect: the declared one, or the default where it is missing or invalid. */
    public ContentType contentType() {
        return contentType;
    }

    /** The parts of a multipart body, the embedded message of a message/rfc822 body, else empty. */
    public List<MailMessage> parts() {
        return parts;
    }

    /** The body bytes as they are in the message, before transfer decoding. */
    public byte[] rawBody() {
        return java.util.Arrays.copyOfRange(raw, bodyStart, bodyEnd);
    }

    /** The body bytes after the Content-Transfer-Encoding (base64, quoted-printable) is undone. */
    public byte[] decodedBody() {
        return TransferDecoding.decode(headers.get("Content-Transfer-Encoding"), raw, bodyStart, bodyEnd);
    }

    /**
     * The decoded body as text in its declared charset (with the fallbacks of {@link
     * MailCharsets#decode}), line breaks normalised to LF.
     */
    public String bodyText() {
        byte[] b = decodedBody();
        return normaliseLineBreaks(MailCharsets.decode(b, 0, b.length, contentType.parameter("charset")));
    }

    /** True when Content-Disposition says attachment (an inline part, even with a file name, is not). */
    public boolean isAttachment() {
        String d = headers.get("Content-Disposition");
        return d != null && d.strip().toLowerCase(Locale.ROOT).startsWith("attachment");
    }

    /**
     * The readable body as plain text, LF line breaks: a text/plain body as it is; a text/html
     * body through {@link HtmlText}; in a multipart/alternative the text/plain alternative, or
     * the richest other one when the plain one is missing or blank; in any other multipart (mixed,
     * related, signed, report, ...) the texts of its parts joined by blank lines; a
     * message/rfc822 part gives the text of the embedded message. Attachments (Content-Disposition:
     * attachment) and non-text parts (images, application/*, signatures, other text/* types) give
     * nothing. A multipart whose parts could not be found is read as text/plain.
     */
    public String text() {
        return textOf(this, true).strip();
    }

    private static String textOf(MailMessage m, boolean top) {
        if (!top && m.isAttachment()) {
            return "";
        }
        ContentType ct = m.contentType;
        if (ct.isMultipart()) {
            if (m.parts.isEmpty()) {
                return m.bodyText();
            }
            if (ct.subtype().equals("alternative")) {
                return alternative(m.parts);
            }
            StringBuilder sb = new StringBuilder();
            for (MailMessage p : m.parts) {
                String t = textOf(p, false).strip();
                if (!t.isEmpty()) {
                    sb.append(sb.isEmpty() ? "" : "\n\n").append(t);
                }
            }
            return sb.toString();
        }
        if (ct.type().equals("message") && !m.parts.isEmpty()) {
            return textOf(m.parts.getFirst(), true);
        }
        if (ct.is("text", "plain")) {
            return m.bodyText();
        }
        if (ct.is("text", "html")) {
            return HtmlText.toText(m.bodyText());
        }
        return "";
    }

    /** The text/plain alternative when it has text, else the last (richest, RFC 2046 5.1.4) alternative with text. */
    private static String alternative(List<MailMessage> alternatives) {
        String richest = "";
        for (MailMessage p : alternatives) {
            if (p.contentType.is("text", "plain") && !p.isAttachment()) {
                String t = p.bodyText().strip();
                if (!t.isEmpty()) {
                    return t;
                }
            }
        }
        for (MailMessage p : alternatives) {
            String t = textOf(p, false).strip();
            if (!t.isEmpty()) {
                richest = t;
            }
        }
        return richest;
    }

    private List<MailMessage> splitParts(int depth) {
        if (contentType.type().equals("message") && (contentType.subtype().equals("rfc822")
                || contentType.subtype().equals("global"))) {
            byte[] embedded = decodedBody();
            return List.of(new MailMessage(embedded, 0, embedded.length, ContentType.TEXT_PLAIN, depth + 1));
        }
        if (!contentType.isMultipart()) {
            return List.of();
        }
        String boundary = contentType.parameter("boundary");
        List<MailMessage> found = boundary == null || boundary.isEmpty() ? List.of() : split(boundary, depth);
        if (found.isEmpty()) {
            String guessed = guessBoundary();
            if (guessed != null && !guessed.equals(boundary)) {
                found = split(guessed, depth);
            }
        }
        return found;
    }

    /**
     * The parts between delimiter lines {@code --boundary} (trailing blanks allowed); the close
     * delimiter {@code --boundary--} ends them, and without it the last part runs to the end of
     * the body. The line break before a delimiter belongs to the delimiter (RFC 2046 5.1.1). The
     * preamble and epilogue are dropped.
     */
    private List<MailMessage> split(String boundary, int depth) {
        byte[] delimiter = ("--" + boundary).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        ContentType partDefault = contentType.subtype().equals("digest") ? ContentType.MESSAGE_RFC822
                : ContentType.TEXT_PLAIN;
        List<MailMessage> out = new ArrayList<>();
        int partStart = -1;
        int pos = bodyStart;
        while (pos < bodyEnd) {
            int end = MailHeaders.lineEnd(raw, pos, bodyEnd);
            int kind = delimiterKind(raw, pos, end, delimiter);
            if (kind != 0) {
                if (partStart >= 0) {
                    out.add(new MailMessage(raw, partStart, Math.max(partStart, breakBefore(pos)), partDefault, depth + 1));
                }
                if (kind == 2) {
                    return out;
                }
                partStart = Math.min(bodyEnd, end + 1);
            }
            pos = end + 1;
        }
        if (partStart >= 0 && partStart < bodyEnd) {
            out.add(new MailMessage(raw, partStart, bodyEnd, partDefault, depth + 1));
        }
        return out;
    }

    /** 0: not a delimiter line; 1: a delimiter; 2: the close delimiter. */
    private static int delimiterKind(byte[] b, int from, int end, byte[] delimiter) {
        if (end - from < delimiter.length) {
            return 0;
        }
        for (int i = 0; i < delimiter.length; i++) {
            if (b[from + i] != delimiter[i]) {
                return 0;
            }
        }
        int i = from + delimiter.length;
        int kind = 1;
        if (i + 2 <= end && b[i] == '-' && b[i + 1] == '-') {
            kind = 2;
            i += 2;
        }
        for (; i < end; i++) {
            if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') {
                return 0; // a longer boundary that starts with this one (a nested part's)
            }
        }
        return kind;
    }

    /** The start of the line break (CRLF or LF) that ends just before {@code lineStart}. */
    private int breakBefore(int lineStart) {
        int p = lineStart;
        if (p > bodyStart && raw[p - 1] == '\n') {
            p--;
            if (p > bodyStart && raw[p - 1] == '\r') {
                p--;
            }
        }
        return p;
    }

    /**
     * The boundary of the first body line of the form {@code --token} (no blanks) that is
     * followed by a {@code Content-} header line, as a real part's first delimiter is; or null.
     * Requiring the header keeps a ruler line of dashes from being taken for a boundary.
     */
    private String guessBoundary() {
        int pos = bodyStart;
        while (pos < bodyEnd) {
            int end = MailHeaders.lineEnd(raw, pos, bodyEnd);
            int contentEnd = end > pos && raw[end - 1] == '\r' ? end - 1 : end;
            if (contentEnd - pos > 2 && raw[pos] == '-' && raw[pos + 1] == '-') {
                String token = new String(raw, pos + 2, contentEnd - pos - 2, java.nio.charset.StandardCharsets.ISO_8859_1).strip();
                String next = new String(raw, Math.min(bodyEnd, end + 1), Math.min(8, Math.max(0, bodyEnd - end - 1)),
                        java.nio.charset.StandardCharsets.ISO_8859_1);
                if (!token.isEmpty() && token.chars().noneMatch(c -> c <= ' ')
                        && next.toLowerCase(Locale.ROOT).startsWith("content-")) {
                    return token;
                }
            }
            pos = end + 1;
        }
        return null;
    }

    /** CRLF and lone CR become LF. */
    static String normaliseLineBreaks(String s) {
        return s.indexOf('\r') < 0 ? s : s.replace("\r\n", "\n").replace('\r', '\n');
    }

    @Override
    public String toString() {
        return "MailMessage[" + contentType.mediaType() + ", " + parts.size() + " parts, subject '" + subject() + "']";
    }
}
