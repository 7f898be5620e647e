package dev.kiln.data.text;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Bytes to text for mail, where the declared charset is often missing ("us-ascii" by default),
 * wrong (8-bit bytes in a "us-ascii" part) or unknown to the JDK ("default", "x-user-defined").
 * Decoding never throws: invalid sequences become U+FFFD.
 */
public final class MailCharsets {
    private MailCharsets() {}

    /**
     * The JDK charset called {@code name} (quotes and blanks around it ignored), or null when the
     * name is missing, malformed or not supported by this JDK.
     */
    public static Charset lookup(String name) {
        if (name == null) {
            return null;
        }
        String n = name.trim().replace("\"", "").replace("'", "");
        if (n.isEmpty()) {
            return null;
        }
        try {
            return Charset.forName(n);
        } catch (IllegalArgumentException e) { // IllegalCharsetNameException and UnsupportedCharsetException
            return null;
        }
    }

    /**
     * {@code bytes[from, to)} as text in the charset named {@code declared}. When that charset is
     * unknown, missing or US-ASCII (which cannot hold the 8-bit bytes such mail often carries
     * anyway), the bytes are read as UTF-8 if they are valid UTF-8 and as ISO-8859-1 otherwise
     * (every byte sequence is valid ISO-8859-1). A known charset decodes with invalid sequences
     * replaced by U+FFFD.
     */
    public static String decode(byte[] bytes, int from, int to, String declared) {
        Charset cs = lookup(declared);
        if (cs == null || cs.equals(StandardCharsets.US_ASCII)) {
            return decodeGuessing(bytes, from, to);
        }
        try {
            return cs.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(ByteBuffer.wrap(bytes, from, to - from)).toString();
        } catch (CharacterCodingException | RuntimeException e) {
            // REPLACE makes coding errors impossible; a broken third-party charset provider is not
            return decodeGuessing(bytes, from, to);
        }
    }

    /** {@link #decode(byte[], int, int, String)} of a whole array. */
    public static String decode(byte[] bytes, String declared) {
        return decode(bytes, 0, bytes.length, declared);
    }

    /** UTF-8 when {@code bytes[from, to)} is valid UTF-8 (pure ASCII is), else ISO-8859-1. */
    public static String decodeGuessing(byte[] bytes, int from, int to) {
        boolean ascii = true;
        for (int i = from; i < to; i++) {
            if (bytes[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, from, to - from)).toString();
        } catch (CharacterCodingException e) {
            return new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
        }
    }
}
