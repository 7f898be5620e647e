package dev.kiln.data.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * RFC 2047 encoded-words in header values: {@code =?charset?Q?text?=} and
 * {@code =?charset?B?text?=}. Adjacent encoded-words separated only by blanks join without the
 * blanks, and their bytes are concatenated before decoding when they share a charset, since
 * mailers split multi-byte characters across words. Anything that is not a well-formed
 * encoded-word is left as it is; an unknown charset decodes as UTF-8 or ISO-8859-1 ({@link
 * MailCharsets#decodeGuessing}).
 */
public final class EncodedWords {
    private EncodedWords() {}

    private record Word(String charset, byte[] bytes, int end) {}

    /** {@code value} with its encoded-words decoded. */
    public static String decode(String value) {
        if (value == null || !value.contains("=?")) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length());
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        String pendingCharset = null;
        int i = 0;
        int lastWordEnd = -1;
        while (i < value.length()) {
            int start = value.indexOf("=?", i);
            Word w = start < 0 ? null : parse(value, start);
            if (start < 0) {
                pendingCharset = flush(out, pending, pendingCharset);
                out.append(value, i, value.length());
                break;
            }
            if (w == null) {
                pendingCharset = flush(out, pending, pendingCharset);
                out.append(value, i, start + 2);
                i = start + 2;
                continue;
            }
            boolean joined = lastWordEnd == i && value.substring(i, start).isBlank();
            if (!joined || !w.charset().equals(pendingCharset)) {
                pendingCharset = flush(out, pending, pendingCharset);
                if (!joined) {
                    out.append(value, i, start);
                }
            }
            pending.write(w.bytes(), 0, w.bytes().length);
            pendingCharset = w.charset();
            i = w.end();
            lastWordEnd = i;
        }
        flush(out, pending, pendingCharset);
        return out.toString();
    }

    /** Appends the decoded pending bytes to {@code out} and empties them; returns the new (absent) charset. */
    private static String flush(StringBuilder out, ByteArrayOutputStream pending, String charset) {
        if (charset != null) {
            byte[] b = pending.toByteArray();
            out.append(MailCharsets.decode(b, 0, b.length, charset));
            pending.reset();
        }
        return null;
    }

    /** The encoded-word starting at {@code start} ("=?"), or null if there is none. */
    private static Word parse(String s, int start) {
        int q1 = s.indexOf('?', start + 2);
        if (q1 < 0 || q1 + 2 >= s.length() || s.charAt(q1 + 2) != '?') {
            return null;
        }
        String charset = s.substring(start + 2, q1);
        if (charset.isEmpty() || charset.chars().anyMatch(c -> c <= ' ' || c == '=')) {
            return null;
        }
        int star = charset.indexOf('*'); // RFC 2231 language suffix: utf-8*en
        if (star >= 0) {
            charset = charset.substring(0, star);
        }
        char enc = Character.toUpperCase(s.charAt(q1 + 1));
        int textStart = q1 + 3;
        int close = s.indexOf("?=", textStart);
        if ((enc != 'Q' && enc != 'B') || close < 0) {
            return null;
        }
        String text = s.substring(textStart, close);
        byte[] raw = text.getBytes(StandardCharsets.ISO_8859_1);
        byte[] bytes = enc == 'B' ? TransferDecoding.base64(raw) : qDecode(text);
        return new Word(charset.toLowerCase(Locale.ROOT), bytes, close + 2);
    }

    /** The "Q" encoding: quoted-printable where '_' is a space (RFC 2047 section 4.2). */
    private static byte[] qDecode(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        for (int k = 0; k < b.length; k++) {
            int escaped = b[k] == '=' ? TransferDecoding.hex(b, k + 1, b.length) : -1;
            if (escaped >= 0) {
                out.write(escaped);
                k += 2;
            } else {
                out.write(b[k] == '_' ? ' ' : b[k]);
            }
        }
        return out.toByteArray();
    }
}
