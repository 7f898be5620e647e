package dev.kiln.data.text;

import java.io.ByteArrayOutputStream;
import java.util.Locale;

/**
 * The MIME content-transfer-encodings (RFC 2045 section 6) decoded leniently: real mail breaks
 * the rules (stray characters in base64, lowercase or invalid {@code =XY} escapes, truncated
 * bodies), and a reader of a corpus wants what can be recovered, not an exception. Every method
 * accepts any bytes and returns a result.
 */
public final class TransferDecoding {
    private TransferDecoding() {}

    private static final byte[] BASE64_VALUES = new byte[256];

    static {
        java.util.Arrays.fill(BASE64_VALUES, (byte) -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < alphabet.length(); i++) {
            BASE64_VALUES[alphabet.charAt(i)] = (byte) i;
        }
        // the URL-safe alphabet's two letters (RFC 4648 section 5) never clash with the standard one
        BASE64_VALUES['-'] = 62;
        BASE64_VALUES['_'] = 63;
    }

    /**
     * Decodes {@code bytes[from, to)} according to the {@code Content-Transfer-Encoding} value
     * {@code encoding} (case-insensitive; "base64", "quoted-printable"). Any other value, and
     * null, means the body is not encoded (7bit, 8bit, binary, or a name this reader does not
     * know) and its bytes are returned as they are.
     */
    public static byte[] decode(String encoding, byte[] bytes, int from, int to) {
        String e = encoding == null ? "" : encoding.trim().toLowerCase(Locale.ROOT);
        int stop = e.indexOf(';'); // "base64; something" and "base64 (comment)" appear in the wild
        if (stop < 0) {
            stop = e.indexOf(' ');
        }
        if (stop >= 0) {
            e = e.substring(0, stop);
        }
        e = e.replace("\"", "");
        return switch (e) {
            case "base64" -> base64(bytes, from, to);
            case "quoted-printable" -> quotedPrintable(bytes, from, to);
            default -> java.util.Arrays.copyOfRange(bytes, from, to);
        };
    }

    /**
     * Base64 (RFC 2045 section 6.8) of {@code bytes[from, to)}. Characters outside the alphabet
     * (line breaks, spaces, garbage) are skipped; the first {@code '='} ends the data. A final
     * incomplete group gives the whole bytes it holds: 2 characters give 1 byte, 3 give 2, and
     * a lone character (6 bits, less than a byte) is dropped.
     */
    public static byte[] base64(byte[] bytes, int from, int to) {
        byte[] out = new byte[(to - from) / 4 * 3 + 3];
        int n = 0;
        int acc = 0;
        int bits = 0;
        for (int i = from; i < to; i++) {
            int c = bytes[i] & 0xff;
            if (c == '=') {
                break;
            }
            int v = BASE64_VALUES[c];
            if (v < 0) {
                continue;
            }
            acc = (acc << 6) | v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out[n++] = (byte) (acc >>> bits);
                acc &= (1 << bits) - 1;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** {@link #base64(byte[], int, int)} of a whole array. */
    public static byte[] base64(byte[] bytes) {
        return base64(bytes, 0, bytes.length);
    }

    /**
     * Quoted-printable (RFC 2045 section 6.7) of {@code bytes[from, to)}: {@code =XY} (hex digits
     * of either case) is the byte 0xXY; {@code =} at the end of a line (before CRLF or LF, also
     * after trailing blanks a gateway may have added) is a soft line break and disappears; blanks
     * at the end of a line are dropped, as the RFC asks of decoders; line breaks are kept as they
     * were (CRLF or LF). An {@code =} followed by
     * anything else is not an escape and is kept as it is, with what follows it.
     */
    public static byte[] quotedPrintable(byte[] bytes, int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
        int i = from;
        while (i < to) {
            int lineEnd = i;
            while (lineEnd < to && bytes[lineEnd] != '\n') {
                lineEnd++;
            }
            boolean hasBreak = lineEnd < to;
            int contentEnd = lineEnd;
            if (contentEnd > i && bytes[contentEnd - 1] == '\r') {
                contentEnd--;
            }
            // trailing blanks of an encoded line are transport padding (rule 3)
            int trimmed = contentEnd;
            while (trimmed > i && (bytes[trimmed - 1] == ' ' || bytes[trimmed - 1] == '\t')) {
                trimmed--;
            }
            boolean soft = trimmed > i && bytes[trimmed - 1] == '=';
            int end = soft ? trimmed - 1 : trimmed;
            for (int k = i; k < end; k++) {
                byte b = bytes[k];
                int escaped = b == '=' ? hex(bytes, k + 1, end) : -1;
                if (escaped >= 0) {
                    out.write(escaped);
                    k += 2;
                } else {
                    out.write(b);
                }
            }
            if (hasBreak && !soft) {
                out.write(bytes, contentEnd, lineEnd + 1 - contentEnd); // the line break as it was, CRLF or LF
            }
            i = lineEnd + 1;
        }
        return out.toByteArray();
    }

    /** {@link #quotedPrintable(byte[], int, int)} of a whole array. */
    public static byte[] quotedPrintable(byte[] bytes) {
        return quotedPrintable(bytes, 0, bytes.length);
    }

    /** The byte spelled by the two hex digits at {@code bytes[at, at + 2)} (before {@code end}), or -1. */
    static int hex(byte[] bytes, int at, int end) {
        if (at + 1 >= end) {
            return -1;
        }
        int hi = hexDigit(bytes[at]);
        int lo = hexDigit(bytes[at + 1]);
        return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
    }

    private static int hexDigit(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return b >= 'a' && b <= 'f' ? b - 'a' + 10 : -1;
    }
}
