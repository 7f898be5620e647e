package dev.kiln.data.tokenize;

/**
 * GPT-2's reversible map from the 256 byte values to 256 printable Unicode characters, so that a
 * byte string can be handled as text (and stored in a JSON vocabulary) without control characters
 * or spaces. Printable Latin-1 bytes ({@code !}..{@code ~}, {@code ¡}..{@code ¬}, {@code ®}..{@code ÿ})
 * map to themselves; the 68 others (controls, space, DEL, NBSP, soft hyphen) map in byte order to
 * U+0100, U+0101, ... (so the space 0x20 becomes {@code Ġ} U+0120 and the newline 0x0A {@code Ċ}).
 */
public final class ByteAlphabet {
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by char - 0; -1 where a char is not in the alphabet. Covers U+0000..U+0143. */
    private static final short[] CHAR_TO_BYTE = new short[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = (short) b;
        }
    }

    private ByteAlphabet() {}

    /** The character standing for byte {@code b} (0..255; a signed Java byte is taken as unsigned). */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte (0..255) that {@code c} stands for, or -1 when {@code c} is not in the alphabet. */
    public static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** {@code bytes} as alphabet characters, one char per byte. */
    public static String encode(byte[] bytes, int from, int to) {
        char[] cs = new char[to - from];
        for (int i = from; i < to; i++) {
            cs[i - from] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(cs);
    }

    /**
     * The bytes that {@code token} stands for, or null when one of its chars is not in the
     * alphabet (a token that is not byte-level, e.g. an added token).
     */
    public static byte[] decode(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < out.length; i++) {
            int b = byteOf(token.charAt(i));
            if (b < 0) {
                return null;
            }
            out[i] = (byte) b;
        }
        return out;
    }
}
